/** The billed side of a Serverless run: GetJobRun's billedResourceUtilization priced at the dated table (pure). */
import { describe, expect, it } from 'vitest';
import { billedCost, estimateServerlessCost, estimatedUsage, SERVERLESS_PRICE_TABLE, serverlessRate } from '../../src/serverless/prices.js';
import { deriveServerlessSizing } from '../../src/serverless/sizing.js';

const T = SERVERLESS_PRICE_TABLE;

describe('billedCost', () => {
  it('prices vCPU-, memory- and storage-hours at the region\'s dated prices, in EUR', () => {
    const b = billedCost('eu-west-1', { vCPUHour: 10, memoryGBHour: 20, storageGBHour: 100 });
    const usd = 10 * T.usdPerVcpuHour['eu-west-1']! + 20 * T.usdPerGbHour['eu-west-1']! + 100 * T.usdPerStorageGbHour;
    expect(b.eur).toBeCloseTo(usd * T.usdToEur, 4);
    expect(b).toMatchObject({ vCPUHour: 10, memoryGBHour: 20, storageGBHour: 100, region: 'eu-west-1', priceTableDate: T.date });
  });

  it('differs by region, and a missing figure counts as zero (moto and older answers leave some out)', () => {
    const used = { vCPUHour: 1, memoryGBHour: 4 };
    expect(billedCost('eu-west-3', used).eur).toBeGreaterThan(billedCost('eu-west-1', used).eur);
    expect(billedCost('eu-west-1', {})).toMatchObject({ vCPUHour: 0, memoryGBHour: 0, storageGBHour: 0, eur: 0 });
    expect(billedCost('eu-west-1', { vCPUHour: 1 }).eur).toBeCloseTo(T.usdPerVcpuHour['eu-west-1']! * T.usdToEur, 4);
  });

  it('keeps the cents of a small run (a one-minute job costs well under a cent per vCPU)', () => {
    const b = billedCost('eu-west-1', { vCPUHour: 4 / 60, memoryGBHour: 16 / 60 });
    expect(b.eur).toBeGreaterThan(0);
    expect(b.eur).toBeLessThan(0.01);
  });

  it('refuses a region without prices (a plan for it never gets this far)', () => {
    expect(() => billedCost('eu-south-1', { vCPUHour: 1 })).toThrow(/no EMR Serverless price for eu-south-1/);
  });
});

describe('estimatedUsage', () => {
  it('is the planned workers times the billed minutes, in the units AWS bills, and priced it is the estimate', () => {
    const sizing = deriveServerlessSizing({ executors: 2, executorVcpu: 4, diskGb: 50 });
    const e = estimateServerlessCost(serverlessRate('eu-west-3', sizing), 30, 60);
    const u = estimatedUsage(e);
    expect(u.vCPUHour).toBeCloseTo(sizing.capacity.vcpu / 2, 4);
    expect(u.memoryGBHour).toBeCloseTo(sizing.capacity.memoryGb / 2, 4);
    expect(u.storageGBHour).toBeCloseTo(e.rate.extraStorageGb / 2, 4);
    expect(billedCost('eu-west-3', u).eur).toBeCloseTo(e.totalEur, 2);
  });
});
