import { describe, expect, it } from 'vitest';
import { assertWithinBudget, costSoFarEur, estimateCost, PRICE_TABLE, pricedInstanceTypes } from '../../src/emr/prices.js';
import { EU_REGIONS } from '../../src/emr/region-guard.js';
import { PlanRefusedError } from '../../src/errors.js';

const defaultCluster = [
  { role: 'MASTER' as const, instanceType: 'm5.xlarge', count: 1, market: 'ON_DEMAND' as const },
  { role: 'CORE' as const, instanceType: 'm5.xlarge', count: 2, market: 'ON_DEMAND' as const },
];

describe('price table', () => {
  it('is dated, sourced, and prices every listed type in every EU region', () => {
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_TABLE.source).toMatch(/aws\.amazon\.com/);
    for (const t of pricedInstanceTypes()) {
      expect(PRICE_TABLE.emrUsdPerHour[t]).toBeGreaterThan(0);
      for (const r of EU_REGIONS) expect(PRICE_TABLE.ec2UsdPerHour[t]![r]).toBeGreaterThan(0);
    }
  });
});

describe('estimateCost', () => {
  it('adds EC2 + EMR uplift + EBS per instance-hour, converts to EUR, scales with minutes', () => {
    const e = estimateCost({ region: 'eu-west-3', groups: defaultCluster, minutes: 60, idleTimeoutMinutes: 30 });
    const usdPerInstance = 0.224 + 0.048 + PRICE_TABLE.ebsUsdPerInstanceHour;
    expect(e.eurPerHour).toBeCloseTo(3 * usdPerInstance * PRICE_TABLE.usdToEur, 3);
    expect(e.totalEur).toBeCloseTo(e.eurPerHour, 2);
    expect(e.worstCaseEur).toBeCloseTo(e.eurPerHour * 1.5, 2);
    const half = estimateCost({ region: 'eu-west-3', groups: defaultCluster, minutes: 30, idleTimeoutMinutes: 30 });
    expect(half.totalEur).toBeCloseTo(e.totalEur / 2, 2);
  });

  it('differs by region (Frankfurt costs more than Stockholm)', () => {
    const fra = estimateCost({ region: 'eu-central-1', groups: defaultCluster, minutes: 60, idleTimeoutMinutes: 30 });
    const sto = estimateCost({ region: 'eu-north-1', groups: defaultCluster, minutes: 60, idleTimeoutMinutes: 30 });
    expect(fra.totalEur).toBeGreaterThan(sto.totalEur);
  });

  it('applies the stated spot discount to the EC2 part only', () => {
    const spot = defaultCluster.map((g) => (g.role === 'CORE' ? { ...g, market: 'SPOT' as const } : g));
    const od = estimateCost({ region: 'eu-west-1', groups: defaultCluster, minutes: 60, idleTimeoutMinutes: 30 });
    const sp = estimateCost({ region: 'eu-west-1', groups: spot, minutes: 60, idleTimeoutMinutes: 30 });
    const saved = 2 * 0.214 * PRICE_TABLE.spotDiscount * PRICE_TABLE.usdToEur;
    expect(od.eurPerHour - sp.eurPerHour).toBeCloseTo(saved, 3);
  });

  it('refuses an instance type without a price (e.g. Graviton: the lock is x86_64)', () => {
    expect(() => estimateCost({ region: 'eu-west-1', groups: [{ ...defaultCluster[0]!, instanceType: 'm6g.xlarge' }], minutes: 60, idleTimeoutMinutes: 30 })).toThrow(
      PlanRefusedError,
    );
  });

  it('charges at least a minute so far', () => {
    expect(costSoFarEur({ eurPerHour: 6 }, 0)).toBeCloseTo(0.1, 5);
    expect(costSoFarEur({ eurPerHour: 6 }, 30 * 60_000)).toBeCloseTo(3, 5);
  });
});

describe('budget guard', () => {
  const e = (minutes: number) => estimateCost({ region: 'eu-west-3', groups: defaultCluster, minutes, idleTimeoutMinutes: 30 });

  it('accepts the default cluster for an hour under the default 10 EUR', () => {
    expect(() => assertWithinBudget(e(60), 10)).not.toThrow();
  });

  it('accepts a plan exactly at the budget and refuses one cent above', () => {
    const est = e(60);
    expect(() => assertWithinBudget(est, est.totalEur)).not.toThrow();
    expect(() => assertWithinBudget(est, est.totalEur - 0.01)).toThrow(PlanRefusedError);
  });

  it('refuses a long run, saying the cost, the budget and how to change either', () => {
    try {
      assertWithinBudget(e(24 * 60), 10);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PlanRefusedError);
      expect((err as Error).message).toMatch(/costs about \d+\.\d\d EUR.*above the budget of 10\.00 EUR/);
      expect((err as PlanRefusedError).fix).toMatch(/budgetEur/);
    }
  });
});
