import { describe, expect, it } from 'vitest';
import { assertEuRegion, EU_REGIONS, isEuRegion } from '../../src/emr/region-guard.js';
import { PlanRefusedError } from '../../src/errors.js';

// Every AWS commercial region that is not in the EU, including the two European ones outside it.
const NON_EU = [
  'eu-west-2', 'eu-central-2', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'ca-west-1',
  'sa-east-1', 'mx-central-1', 'af-south-1', 'me-south-1', 'me-central-1', 'il-central-1', 'ap-east-1',
  'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4',
  'ap-southeast-5', 'ap-southeast-7', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'cn-north-1',
  'us-gov-west-1', '', 'EU-WEST-1', 'eu-west-1 ', 'eu-west-9',
];

describe('EU region guard', () => {
  it.each([...EU_REGIONS])('accepts %s', (region) => {
    expect(isEuRegion(region)).toBe(true);
    expect(assertEuRegion(region)).toBe(region);
  });

  it.each(NON_EU)('refuses %j with a GDPR reason', (region) => {
    expect(isEuRegion(region)).toBe(false);
    expect(() => assertEuRegion(region)).toThrow(PlanRefusedError);
    expect(() => assertEuRegion(region)).toThrow(/GDPR/);
  });

  it('says why London and Zurich are refused although they are in Europe', () => {
    expect(() => assertEuRegion('eu-west-2')).toThrow(/London.*outside the EU/);
    expect(() => assertEuRegion('eu-central-2')).toThrow(/Zurich.*outside the EU/);
  });

  it('names the accepted regions in the fix', () => {
    try {
      assertEuRegion('us-east-1');
      expect.unreachable();
    } catch (err) {
      expect((err as PlanRefusedError).fix).toContain('eu-west-3');
      expect((err as PlanRefusedError).exitCode).toBe(7);
    }
  });
});
