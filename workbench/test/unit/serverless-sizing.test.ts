import { describe, expect, it } from 'vitest';
import { PlanRefusedError } from '../../src/errors.js';
import { WORKER_PEAK_RSS_MB_BY_ENGINE } from '../../src/emr/sizing.js';
import { allowedMemoryGb, deriveServerlessSizing, WORKER_SHAPES } from '../../src/serverless/sizing.js';
import { estimateServerlessCost, serverlessRate, assertServerlessWithinBudget } from '../../src/serverless/prices.js';
import { executionTimeoutMinutes, forecastServerless } from '../../src/serverless/forecast.js';
import { testProfile } from './forecast-fixtures.js';

describe('Serverless worker sizes', () => {
  it('rounds memory up to the shape\'s step within its range, and refuses beyond it', () => {
    expect(allowedMemoryGb(1, 100)).toBe(2); // minimum of 1 vCPU
    expect(allowedMemoryGb(4, 7380)).toBe(8); // ceil(7.2 GB) = 8
    expect(allowedMemoryGb(4, 8193)).toBe(9); // 1 GB steps
    expect(allowedMemoryGb(8, 17 * 1024)).toBe(20); // 4 GB steps from 16
    expect(allowedMemoryGb(16, 33 * 1024)).toBe(40); // 8 GB steps from 32
    expect(allowedMemoryGb(4, 31 * 1024)).toBeUndefined(); // 4 vCPU: 30 GB at most
    expect(() => allowedMemoryGb(3, 4096)).toThrow(PlanRefusedError);
  });

  it('onnxruntime, 4 vCPU executors: one Python worker per vCPU, heap + overhead = the worker memory', () => {
    const s = deriveServerlessSizing({ executors: 4, executorVcpu: 4, diskGb: 20, workerPeakRssMb: WORKER_PEAK_RSS_MB_BY_ENGINE.onnxruntime });
    expect(s.perWorkerMb).toBe(Math.ceil(989 * 1.25)); // 1237
    expect(s.taskCpus).toBe(1);
    expect(s.slots).toBe(16);
    // 4 x 1237 Python + 2048 heap + 384 JVM overhead = 7380 MB -> 8 GB
    expect(s.executor.memoryGb).toBe(8);
    expect(s.executor.heapMb + s.executor.overheadMb).toBe(8 * 1024);
    expect(s.executor.overheadMb).toBeGreaterThanOrEqual(4 * 1237 + 384);
    // driver: 2 vCPU, 2048 heap + 384 + one Python worker = 3669 MB -> 4 GB
    expect(s.driver).toMatchObject({ vcpu: 2, memoryGb: 4 });
    expect(s.capacity).toEqual({ vcpu: 2 + 16, memoryGb: 4 + 32, diskGb: 20 + 80 });
    expect(s.sparkConf).toMatchObject({
      'spark.executor.instances': '4',
      'spark.executor.cores': '4',
      'spark.task.cpus': '1',
      'spark.executor.memory': `${s.executor.heapMb}m`,
      'spark.executor.memoryOverhead': `${s.executor.overheadMb}m`,
      'spark.dynamicAllocation.enabled': 'false',
    });
  });

  it('every derived worker is an allowed combination', () => {
    for (const vcpu of [1, 2, 4, 8, 16] as const) {
      for (const peak of Object.values(WORKER_PEAK_RSS_MB_BY_ENGINE)) {
        const s = deriveServerlessSizing({ executors: 2, executorVcpu: vcpu, diskGb: 20, workerPeakRssMb: peak });
        for (const w of [s.driver, s.executor]) {
          const shape = WORKER_SHAPES.find((x) => x.vcpu === w.vcpu)!;
          expect(w.memoryGb).toBeGreaterThanOrEqual(shape.minGb);
          expect(w.memoryGb).toBeLessThanOrEqual(shape.maxGb);
          expect((w.memoryGb - shape.minGb) % shape.stepGb).toBe(0);
          expect(w.heapMb).toBeGreaterThanOrEqual(1024);
        }
      }
    }
  });

  it('fewer tasks with more threads when a Python worker per vCPU does not fit', () => {
    // 7000 MB x 1.25 per worker: 4 of them (35 GB) exceed a 4 vCPU worker's 30 GB; 2 tasks of 2 threads fit.
    const s = deriveServerlessSizing({ executors: 1, executorVcpu: 4, diskGb: 20, workerPeakRssMb: 7000 });
    expect(s.taskCpus).toBe(2);
    expect(s.tasksPerExecutor).toBe(2);
    expect(s.executor.memoryGb).toBeLessThanOrEqual(30);
  });

  it('refuses a worker memory no shape of that vCPU can hold', () => {
    expect(() => deriveServerlessSizing({ executors: 1, executorVcpu: 1, diskGb: 20, workerPeakRssMb: 6000 })).toThrow(PlanRefusedError);
    expect(() => deriveServerlessSizing({ executors: 1, executorVcpu: 4, diskGb: 10, workerPeakRssMb: 989 })).toThrow(/20-200 GB/);
  });
});

describe('Serverless prices and forecast', () => {
  const sizing = deriveServerlessSizing({ executors: 4, executorVcpu: 4, diskGb: 20, workerPeakRssMb: 989 });

  it('prices vCPU-hours and GB-hours of all the workers, storage above 20 GB only', () => {
    const r = serverlessRate('eu-west-1', sizing);
    // (18 x 0.052624 + 36 x 0.0057785) x 0.87 EUR/USD
    expect(r.eurPerHour).toBeCloseTo((18 * 0.052624 + 36 * 0.0057785) * 0.87, 4);
    expect(r.extraStorageGb).toBe(0);
    const bigDisk = deriveServerlessSizing({ executors: 4, executorVcpu: 4, diskGb: 50, workerPeakRssMb: 989 });
    expect(serverlessRate('eu-west-1', bigDisk).extraStorageGb).toBe(5 * 30);
    expect(() => serverlessRate('eu-south-1', sizing)).toThrow(/no EMR Serverless price known for eu-south-1/);
  });

  it('bills at least one minute; the worst case is the execution timeout; the guard refuses over the budget', () => {
    const r = serverlessRate('eu-west-3', sizing);
    const e = estimateServerlessCost(r, 0.2, 30);
    expect(e.minutes).toBe(1);
    expect(e.totalEur).toBeCloseTo(r.eurPerHour / 60, 2);
    expect(e.worstCaseEur).toBeCloseTo(r.eurPerHour / 2, 2);
    expect(() => assertServerlessWithinBudget(estimateServerlessCost(r, 600, 600), 1)).toThrow(PlanRefusedError);
    expect(() => assertServerlessWithinBudget(e, 1)).not.toThrow();
  });

  it('the step forecast is forecast/step.ts on the planned slots, with the workers\' start-up, and the timeout covers it within the budget', () => {
    const r = serverlessRate('eu-west-3', sizing);
    const f = forecastServerless({ profile: testProfile, images: 100_000, engine: 'onnxruntime', sizing, eurPerHour: r.eurPerHour });
    expect(f.step.tasks).toBe(Math.max(16, Math.ceil(100_000 / 6300)));
    expect(f.billedMinutes).toBeCloseTo(f.step.seconds / 60, 1);
    expect(f.totalMinutes).toBeCloseTo(f.billedMinutes + 2, 1);
    const t = executionTimeoutMinutes(f.billedMinutes, r.eurPerHour, 10);
    expect(t).toBeGreaterThanOrEqual(f.billedMinutes);
    expect(t).toBe(Math.ceil(Math.min(f.billedMinutes * 1.5 + 10, (10 / r.eurPerHour) * 60)));
    // A small budget caps the timeout at what it pays for, never below the forecast.
    expect(executionTimeoutMinutes(30, 2, 0.5)).toBe(30);
  });
});
