import { describe, expect, it } from 'vitest';
import { buildPromotePlan, emrForecaster, emrProfileOf } from '../../src/emr/plan.js';
import { sealPlan, validatePlan } from '../../src/emr/plan-file.js';
import { summarizePlan } from '../../src/emr/plan-summary.js';
import { PlanRefusedError } from '../../src/errors.js';
import { chooseCoreNodes, OverBudgetError } from '../../src/forecast/auto-nodes.js';
import { minutesToStepEnd, waitLimitMinutes } from '../../src/forecast/emr.js';
import { TABLE_SIZES } from '../../src/forecast/table.js';
import { emrConfig, fakeInputFiles, planInputs } from '../helpers/emr-fixtures.js';
import { testProfile } from './forecast-fixtures.js';

const IMAGES = 24_960;
const manyImages = () => fakeInputFiles('/data/fruits-x64', Array.from({ length: IMAGES }, (_, i) => `Apple/c${i}_1_100.jpg`));
const inputs = (over: Parameters<typeof planInputs>[0] = {}) =>
  planInputs({ input: { kind: 'local', dir: '/data/fruits-x64', files: manyImages() }, throughput: testProfile, ...over });

describe('a promote plan with a throughput profile', () => {
  it('forecasts the actual input, prices and bounds the run with it, and tabulates 10k-10M images', () => {
    const cfg = emrConfig();
    const plan = buildPromotePlan(cfg, inputs());
    const f = plan.forecast!;
    expect(f.run.images).toBe(IMAGES);
    expect(f.run.coreNodes).toBe(2);
    expect(plan.estimate.totalEur).toBeCloseTo(f.run.totalEur, 2);
    expect(plan.estimate.minutes).toBe(f.run.totalMinutes);
    expect(plan.plannedMinutes).toBe(waitLimitMinutes(f.run, 10));
    expect(plan.plannedMinutes).toBeGreaterThanOrEqual(minutesToStepEnd(f.run));
    expect(f.table.map((r) => r.images)).toEqual([...TABLE_SIZES]);
    expect(f.table.every((r) => r.coreNodes === 2)).toBe(true);
    // The plan's forecast is the docs' forecaster's, for the same profile.
    expect(f.table[2]).toEqual(emrForecaster(emrProfileOf(cfg), testProfile, cfg.job.engine, undefined, undefined, true)(2, 1_000_000));
    // S3's charges: the scan's requests are in the plan's cost, the upload's PUTs are shown apart.
    expect(plan.estimate.s3RequestsEur).toBe(f.run.requests.scanEur);
    expect(f.run.requests).toMatchObject({ scan: 3 * IMAGES, upload: IMAGES });
    expect(f.run.requests.uploadEur).toBeGreaterThan(f.run.requests.scanEur);
    expect(plan.coreNodes).toEqual({ requested: 2, targetMinutes: 60, planned: 2 });

    const text = summarizePlan(plan).join('\n');
    expect(text).toMatch(/forecast {2}24,960 images on 2 x m5.xlarge: [\d.]+ min, [\d.]+ EUR \(provisioning 7.0, bootstrap 5.0, step [\d.]+ \[\d+ tasks/);
    expect(text).toMatch(/images +core nodes +step min +total min +EUR +of it S3 requests +EUR per 1M images/);
    expect(text).toMatch(/S3 requests [\d.]+ EUR for 74,880 reads\); before it, the upload's 24,960 PUTs: up to [\d.]+ EUR \(once\)/);
    expect(text).toMatch(/cost {6}~[\d.]+ EUR for \d+ min \([\d.]+ EUR\/h, plus [\d.]+ EUR of S3 requests\)/);
    expect(text).toMatch(/10,000,000 +2 x m5.xlarge/);
    expect(text).toContain('hyperthread derate');
  });

  it('--core-nodes auto: the cheapest count ending within the target, in the request too', () => {
    const cfg = emrConfig({ profile: { coreNodes: 'auto', targetMinutes: 30 } });
    const plan = buildPromotePlan(cfg, inputs());
    const expected = chooseCoreNodes((n) => emrForecaster(emrProfileOf(cfg), testProfile, cfg.job.engine)(n, IMAGES), 30);
    expect(plan.coreNodes).toEqual({ requested: 'auto', targetMinutes: 30, planned: expected.coreNodes });
    expect(plan.runJobFlow.Instances?.InstanceGroups?.find((g) => g.InstanceRole === 'CORE')?.InstanceCount).toBe(expected.coreNodes);
    expect(plan.sizing.coreNodes).toBe(expected.coreNodes);
    expect(plan.forecast!.run.totalMinutes).toBeLessThanOrEqual(30);
    // 10M images cannot end within 30 min on 20 nodes: the table shows the fastest, flagged.
    expect(plan.forecast!.table.at(-1)).toMatchObject({ coreNodes: 20, overTarget: true });
    expect(summarizePlan(plan).join('\n')).toMatch(/core nodes: auto, the cheapest count ending within 30 min/);
  });

  it('over the budget: refused before anything, naming a node count that fits', () => {
    const cfg = emrConfig({ profile: { coreNodes: 20 } });
    const forecast20 = emrForecaster(emrProfileOf(cfg), testProfile, cfg.job.engine)(20, IMAGES);
    const tight = emrConfig({ profile: { coreNodes: 20, budgetEur: Number((forecast20.totalEur - 0.05).toFixed(2)) } });
    const refused = (() => {
      try {
        buildPromotePlan(tight, inputs());
      } catch (e) {
        return e as OverBudgetError;
      }
    })();
    expect(refused).toBeInstanceOf(OverBudgetError);
    expect(refused!.message).toMatch(/refused: 24,960 images on 20 x m5.xlarge: \d+ min, [\d.]+ EUR \(forecast\), above the budget/);
    expect(refused!.fix).toMatch(/^use --core-nodes \d+ \(\d+ x m5.xlarge: \d+ min, [\d.]+ EUR\)/);
  });

  it('auto needs a forecast: refused without a profile or for an s3 input of unknown size', () => {
    const cfg = emrConfig({ profile: { coreNodes: 'auto' } });
    expect(() => buildPromotePlan(cfg, inputs({ throughput: undefined }))).toThrow(/--core-nodes auto needs a forecast, and there is no throughput profile/);
    expect(() => buildPromotePlan(cfg, inputs({ input: { kind: 's3', uri: 's3://fruits-test-bucket/inputs/big/' } }))).toThrow(PlanRefusedError);
  });

  it('no forecast (s3 input used in place): plannedMinutes priced and bounding the wait, as before', () => {
    const plan = buildPromotePlan(emrConfig({ profile: { plannedMinutes: 45 } }), inputs({ input: { kind: 's3', uri: 's3://fruits-test-bucket/inputs/big/' } }));
    expect(plan.forecast).toBeNull();
    expect(plan.plannedMinutes).toBe(45);
    expect(plan.estimate.minutes).toBe(45);
    expect(summarizePlan(plan).join('\n')).toMatch(/forecast {2}none \(the s3:\/\/ input is used in place/);
  });

  it('a saved forecast plan is forecast again on load and held against today\'s budget', () => {
    const plan = buildPromotePlan(emrConfig(), inputs());
    const sealed = JSON.parse(JSON.stringify(sealPlan(plan)));
    const loaded = validatePlan(sealed, 'plan.json');
    expect(loaded.forecast!.run).toEqual(plan.forecast!.run);
    expect(loaded.estimate.totalEur).toBeCloseTo(plan.estimate.totalEur, 2);
    expect(() => validatePlan(sealed, 'plan.json', { budgetEur: plan.forecast!.run.totalEur - 0.01 })).toThrow(/its run is forecast at \d+ min and [\d.]+ EUR, above the budget/);
  });
});
