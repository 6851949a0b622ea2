import { describe, expect, it } from 'vitest';
import { SCAN_S3_REQUESTS_PER_IMAGE, VCPU_DERATE } from '../../src/forecast/assumptions.js';
import { EMR_PHASE_MINUTES, forecastEmr, minutesToStepEnd, requestCost, waitLimitMinutes, YARN_STARTUP_SECONDS, type EmrForecastInput } from '../../src/forecast/emr.js';
import { forecastStep } from '../../src/forecast/step.js';
import { pricedCluster } from '../../src/emr/plan.js';
import { estimateCost, s3RequestPrices, type PricedGroup } from '../../src/emr/prices.js';
import { testProfile } from './forecast-fixtures.js';


const groups = (core: number): PricedGroup[] => [
  { role: 'MASTER', instanceType: 'm5.xlarge', count: 1, market: 'ON_DEMAND' },
  { role: 'CORE', instanceType: 'm5.xlarge', count: core, market: 'ON_DEMAND' },
];
const input = (over: Partial<EmrForecastInput> = {}): EmrForecastInput => ({
  profile: testProfile,
  images: 1_000_000,
  engine: 'onnxruntime',
  ...pricedCluster('eu-west-3', groups(2)),
  tasksPerNode: 4,
  taskCpus: 1,
  ...over,
});

describe('forecastStep (target-agnostic)', () => {
  const step = (over: Partial<Parameters<typeof forecastStep>[0]> = {}) =>
    forecastStep({ profile: testProfile, images: 8000, engine: 'onnxruntime', slots: 2, taskCpus: 1, coreSpeed: 1, imagesPerTask: 1000, ...over });

  it('fixed + whole waves of tasks at the profile rate', () => {
    // 8 tasks of 1000 images on 2 slots: 4 waves x 1000 / 40 = 100 s, + 30 s fixed.
    expect(step()).toMatchObject({ tasks: 8, waves: 4, workSeconds: 100, fixedSeconds: 30, seconds: 130 });
  });

  it('never fewer tasks than slots; a partial last wave costs a whole wave', () => {
    expect(step({ images: 100, slots: 4 })).toMatchObject({ tasks: 4, waves: 1 });
    // 9 tasks on 2 slots: 5 waves of 8000/9 images.
    expect(step({ images: 8001 }).waves).toBe(5);
  });

  it('slower cores and more task cpus scale the time; other engines use their own rate', () => {
    expect(step({ coreSpeed: 0.5 }).seconds).toBe(260);
    expect(step({ taskCpus: 2 }).workSeconds).toBe(50);
    expect(step({ engine: 'keras' }).workSeconds).toBe(200);
    expect(step({ startupSeconds: 10 }).fixedSeconds).toBe(40);
  });

  it('zero images: only the fixed cost; bad inputs are refused', () => {
    expect(step({ images: 0 })).toMatchObject({ tasks: 0, workSeconds: 0, seconds: 30 });
    expect(() => step({ images: -1 })).toThrow();
    expect(() => step({ slots: 0 })).toThrow();
    expect(() => step({ engine: 'openvino' })).toThrow(/no rate for openvino/);
  });
});

describe('forecastEmr', () => {
  it('four phases, the step from the profile on derated vCPUs, every phase billed at the cluster rate', () => {
    const f = forecastEmr(input());
    const eurPerHour = estimateCost({ region: 'eu-west-3', groups: groups(2), minutes: 60, idleTimeoutMinutes: 0 }).eurPerHour;
    expect(f.eurPerHour).toBe(eurPerHour);
    expect(f.phases.provisioning.minutes).toBe(EMR_PHASE_MINUTES.provisioning);
    expect(f.phases.teardown.minutes).toBe(EMR_PHASE_MINUTES.teardown);
    const slots = 2 * 4;
    const tasks = Math.ceil(1_000_000 / 6300);
    const stepSeconds = (30 + YARN_STARTUP_SECONDS + Math.ceil(tasks / slots) * (1_000_000 / tasks / 40)) / VCPU_DERATE;
    expect(f.step.seconds).toBeCloseTo(stepSeconds, 0);
    expect(f.phases.step.minutes).toBeCloseTo(stepSeconds / 60, 1);
    const total = EMR_PHASE_MINUTES.provisioning + EMR_PHASE_MINUTES.bootstrap + EMR_PHASE_MINUTES.teardown + stepSeconds / 60;
    expect(f.totalMinutes).toBeCloseTo(total, 1);
    // The cluster for the whole run, plus S3's GET-class charge for the scan's 3 requests per image.
    const s3 = s3RequestPrices('eu-west-3');
    expect(f.requests.scan).toBe(3_000_000);
    expect(f.requests.scanEur).toBeCloseTo(3000 * s3.getEurPerThousand, 3);
    expect(f.totalEur).toBeCloseTo((eurPerHour * total) / 60 + f.requests.scanEur, 2);
    for (const p of Object.values(f.phases)) expect(p.eur).toBeCloseTo((eurPerHour * p.minutes) / 60, 2);
    expect(f.assumptions.vcpuDerate).toBe(VCPU_DERATE);
    expect(f.assumptions.scanS3RequestsPerImage).toBe(SCAN_S3_REQUESTS_PER_IMAGE);
  });

  it("prices S3's requests by region: the scan's in the total, the upload's PUTs apart (paid once)", () => {
    const s3 = s3RequestPrices('eu-west-3');
    const inPlace = forecastEmr(input());
    const uploaded = forecastEmr(input({ uploadImages: 1_000_000 }));
    expect(inPlace.requests).toMatchObject({ upload: 0, uploadEur: 0 });
    expect(uploaded.requests.upload).toBe(1_000_000);
    expect(uploaded.requests.uploadEur).toBeCloseTo(1000 * s3.putEurPerThousand, 3);
    expect(uploaded.totalEur).toBe(inPlace.totalEur);
    // A PUT costs more than a GET, and regions differ: Frankfurt above Ireland.
    expect(s3.putEurPerThousand).toBeGreaterThan(s3.getEurPerThousand);
    expect(s3RequestPrices('eu-central-1').getEurPerThousand).toBeGreaterThan(s3RequestPrices('eu-west-1').getEurPerThousand);
    expect(requestCost(0, 0, s3)).toEqual({ scan: 0, scanEur: 0, upload: 0, uploadEur: 0 });
  });

  it('more nodes: a shorter step, a higher rate per hour', () => {
    const two = forecastEmr(input());
    const four = forecastEmr(input(pricedCluster('eu-west-3', groups(4))));
    expect(four.phases.step.minutes).toBeLessThan(two.phases.step.minutes);
    expect(four.eurPerHour).toBeGreaterThan(two.eurPerHour);
    expect(four.coreNodes).toBe(4);
  });

  it('grows with the input, and is refused without a core group', () => {
    expect(forecastEmr(input({ images: 10_000 })).totalEur).toBeLessThan(forecastEmr(input({ images: 10_000_000 })).totalEur);
    expect(() => pricedCluster('eu-west-3', groups(1).slice(0, 1))).toThrow(/no CORE group/);
    expect(() => forecastEmr(input({ core: { instanceType: 'm5.xlarge', count: 0 } }))).toThrow(/at least 1/);
  });
});

describe('the bounded wait', () => {
  it('forecast x 1.5 + 10 min, counted from RunJobFlow to the step end', () => {
    const f = forecastEmr(input({ images: 100_000 }));
    expect(waitLimitMinutes(f, 1000)).toBe(Math.ceil(minutesToStepEnd(f) * 1.5 + 10));
  });

  it('never past what the budget pays for, never below the forecast itself', () => {
    const f = forecastEmr(input({ images: 100_000 }));
    const budgetFor = (minutes: number) => (f.eurPerHour * minutes) / 60;
    const tight = budgetFor(minutesToStepEnd(f) + 5 + f.phases.teardown.minutes);
    expect(waitLimitMinutes(f, tight)).toBe(Math.ceil(minutesToStepEnd(f) + 5));
    expect(waitLimitMinutes(f, 0.01)).toBe(Math.ceil(minutesToStepEnd(f)));
  });
});
