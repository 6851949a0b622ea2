import { describe, expect, it } from 'vitest';
import { PlanRefusedError } from '../../src/errors.js';
import { assertForecastWithinBudget, chooseCoreNodes, MAX_CORE_NODES, OverBudgetError } from '../../src/forecast/auto-nodes.js';
import { forecastEmr } from '../../src/forecast/emr.js';
import { pricedCluster } from '../../src/emr/plan.js';
import { testProfile } from './forecast-fixtures.js';

const forecastFor = (images: number) => (nodes: number) =>
  forecastEmr({
    profile: testProfile,
    images,
    engine: 'onnxruntime',
    ...pricedCluster('eu-west-3', [
      { role: 'MASTER', instanceType: 'm5.xlarge', count: 1, market: 'ON_DEMAND' },
      { role: 'CORE', instanceType: 'm5.xlarge', count: nodes, market: 'ON_DEMAND' },
    ]),
    tasksPerNode: 4,
    taskCpus: 1,
  });

describe('--core-nodes auto', () => {
  it('picks the cheapest count that ends within the target', () => {
    const all = Array.from({ length: MAX_CORE_NODES }, (_, k) => forecastFor(1_000_000)(k + 1));
    const target = 60;
    const chosen = chooseCoreNodes(forecastFor(1_000_000), target);
    expect(chosen.totalMinutes).toBeLessThanOrEqual(target);
    const cheaperFitting = all.filter((f) => f.totalMinutes <= target && f.totalEur < chosen.totalEur);
    expect(cheaperFitting).toEqual([]);
    // One node fewer would not make it in time (the cost grows with the nodes here: fixed phases on more instances).
    if (chosen.coreNodes > 1) expect(all[chosen.coreNodes - 2]!.totalMinutes).toBeGreaterThan(target);
  });

  it('a small input needs one node; a longer target never needs more nodes', () => {
    expect(chooseCoreNodes(forecastFor(10_000), 60).coreNodes).toBe(1);
    expect(chooseCoreNodes(forecastFor(1_000_000), 240).coreNodes).toBeLessThanOrEqual(chooseCoreNodes(forecastFor(1_000_000), 60).coreNodes);
  });

  it('refuses when no count can make it, naming the fastest and the target that would work', () => {
    const err = (() => {
      try {
        chooseCoreNodes(forecastFor(10_000_000), 20);
      } catch (e) {
        return e as PlanRefusedError;
      }
    })();
    expect(err).toBeInstanceOf(PlanRefusedError);
    expect(err!.message).toMatch(/no core node count from 1 to 20 finishes 10,000,000 images within 20 min; the fastest is 20 x m5.xlarge/);
    expect(err!.fix).toMatch(/raise --target-minutes \(profile targetMinutes\) to \d+/);
  });
});

describe('the budget guard on the forecast', () => {
  it('passes within the budget', () => {
    const f = forecastFor(100_000)(2);
    expect(() => assertForecastWithinBudget(f, f.totalEur, forecastFor(100_000))).not.toThrow();
  });

  it('over the budget: refused with the node count and time that would fit', () => {
    const ff = forecastFor(1_000_000);
    const twenty = ff(20);
    const budget = ff(3).totalEur + 0.001; // 3 nodes fit, 20 do not
    const err = (() => {
      try {
        assertForecastWithinBudget(twenty, budget, ff);
      } catch (e) {
        return e as OverBudgetError;
      }
    })();
    expect(err).toBeInstanceOf(OverBudgetError);
    expect(err).toBeInstanceOf(PlanRefusedError);
    expect(err!.message).toMatch(/refused: 1,000,000 images on 20 x m5.xlarge: \d+ min, [\d.]+ EUR \(forecast\), above the budget/);
    expect(err!.fits!.totalEur).toBeLessThanOrEqual(budget);
    // The fastest count within the budget.
    const within = Array.from({ length: 20 }, (_, k) => ff(k + 1)).filter((f) => f.totalEur <= budget);
    expect(err!.fits!.totalMinutes).toBe(Math.min(...within.map((f) => f.totalMinutes)));
    expect(err!.fix).toContain(`--core-nodes ${err!.fits!.coreNodes} (${err!.fits!.coreNodes} x m5.xlarge: ${Math.ceil(err!.fits!.totalMinutes)} min`);
  });

  it('no count fits: says the cheapest and the budget it needs', () => {
    const ff = forecastFor(10_000_000);
    const err = (() => {
      try {
        assertForecastWithinBudget(ff(2), 0.5, ff);
      } catch (e) {
        return e as OverBudgetError;
      }
    })();
    expect(err).toBeInstanceOf(OverBudgetError);
    expect(err!.fits).toBeUndefined();
    expect(err!.message).toMatch(/no core node count from 1 to 20 fits \(the cheapest is \d+ x m5.xlarge/);
    expect(err!.fix).toMatch(/raise --budget-eur \(or budgetEur\) to [\d.]+ with --core-nodes \d+/);
  });
});
