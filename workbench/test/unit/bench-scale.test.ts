import { describe, expect, it } from 'vitest';
import { classify } from '../../src/bench/process-peaks.js';
import { formatGoal, jobStepSeconds, scaleGoals, type ScaleSize } from '../../src/bench/scale.js';
import { checkForecast, forecastRehearsalStep, formatForecastCheck } from '../../src/forecast/rehearsal.js';
import { comparePhases } from '../../src/forecast/emr-actuals.js';
import { testProfile } from './forecast-fixtures.js';

const size = (images: number, rate: number, driverMb: number, workerMb: number): ScaleSize => ({
  images,
  copies: images / 390,
  input: '/x',
  engine: 'onnxruntime',
  model_cache: 'hit',
  command_s: images / rate,
  command_images_per_s: rate,
  job_step_s: images / rate,
  job_images_per_s: rate,
  stages_s: {},
  tasks: 2,
  counts: { inputs: images, featurized: images, errors: 0 },
  memory: { driver_jvm_mb: driverMb, driver_python_mb: 100, executor_mb: driverMb, python_worker_mb: workerMb, python_workers_seen: 2, note: '' },
});

describe('scale bench helpers', () => {
  it("reads the job step's seconds from the run summary's workbench line", () => {
    expect(jobStepSeconds(['run x', '  workbench  setup 0.2 s, stack 0.6 s, upload 1.6 s, job 47 s, download 0.1 s'])).toBe(47);
    expect(jobStepSeconds(['  workbench  setup 0.2 s, stack 1.1 s, upload 3 min 02 s, job 21 min 05 s, download 4.0 s'])).toBe(1265);
    expect(jobStepSeconds(['  workbench  job 8.5 s'])).toBe(8.5);
    expect(jobStepSeconds(['no such line'])).toBeNull();
  });

  it('goals: ratios met, not met, or not measured (never a failure)', () => {
    const goals = scaleGoals([size(3120, 50, 1000, 900), size(99_840, 60, 1600, 950)], 100);
    const by = Object.fromEntries(goals.map((g) => [g.name, g]));
    expect(by.rate_99840_vs_3120).toMatchObject({ value: 1.2, met: true });
    expect(by.rate_99840_vs_featurize_warm).toMatchObject({ value: 0.6, met: false });
    expect(by.driver_rss_99840_vs_3120).toMatchObject({ value: 1.6, met: false });
    expect(by.python_worker_rss_99840_vs_3120!.met).toBe(true);
    expect(formatGoal(by.driver_rss_99840_vs_3120!)).toMatch(/1.6x \(goal <= 1.5x\): NOT met/);
    // --skip-largest: nothing to compare.
    expect(scaleGoals([size(3120, 50, 1000, 900)], null).every((g) => g.met === null && g.value === null)).toBe(true);
  });

  it('classifies the process tree: driver JVM, its Python, the daemon\'s workers, executors', () => {
    const procs = [
      { pid: 10, ppid: 1, cmd: 'node cli.js bench' },
      { pid: 11, ppid: 10, cmd: '/usr/bin/java -cp x org.apache.spark.deploy.SparkSubmit --master local[*] entry.py' },
      { pid: 12, ppid: 11, cmd: '/venv/bin/python3 /tmp/entrypoint.py --input s3a://b/x' },
      { pid: 13, ppid: 11, cmd: '/venv/bin/python3 -m pyspark.daemon' },
      { pid: 14, ppid: 13, cmd: '/venv/bin/python3 -m pyspark.daemon' },
      { pid: 15, ppid: 10, cmd: '/bin/minio server /data' },
      { pid: 16, ppid: 10, cmd: '/usr/bin/java -cp y org.apache.spark.executor.YarnCoarseGrainedExecutorBackend --driver-url x' },
      { pid: 20, ppid: 1, cmd: '/usr/bin/java org.apache.spark.deploy.SparkSubmit (not ours)' },
    ];
    expect(Object.fromEntries(classify(procs, 10))).toEqual({ 11: 'driver-jvm', 12: 'driver-python', 14: 'python-worker', 16: 'executor-jvm' });
  });
});

describe('the rehearsal forecast check', () => {
  it('the planned node\'s 4 slots on a 2-core host run at the host\'s 2 cores', () => {
    const onTwo = forecastRehearsalStep({ profile: testProfile, images: 24_960, engine: 'onnxruntime', executors: 1, workersPerExecutor: 4, taskCpus: 1, hostCores: 2 });
    const fourCores = forecastRehearsalStep({ profile: testProfile, images: 24_960, engine: 'onnxruntime', executors: 1, workersPerExecutor: 4, taskCpus: 1, hostCores: 8 });
    // 4 tasks of 6,240 images, one wave: 156 s on 4 real cores, twice that on 2.
    expect(fourCores.workSeconds).toBe(156);
    expect(onTwo.workSeconds).toBe(312);
    expect(onTwo.fixedSeconds).toBeGreaterThan(testProfile.fixedSeconds);
  });

  it('error = (measured - predicted) / predicted, within +-25% or not', () => {
    expect(checkForecast(100, 120, 24_960)).toMatchObject({ errorPct: 20, withinTolerance: true });
    expect(checkForecast(100, 70, 24_960)).toMatchObject({ errorPct: -30, withinTolerance: false });
    expect(formatForecastCheck(checkForecast(100, 120, 24_960))).toMatch(/predicted 100 s, measured 120 s for 24,960 images: error \+20% \(within \+-25%\)/);
  });
});

describe('promote phases, forecast vs EMR timelines', () => {
  it('provisioning and bootstrap together, the step, teardown and total; missing timestamps stay null', () => {
    const t = (m: number) => new Date(Date.UTC(2026, 11, 4, 12, m));
    const forecast = { phases: { provisioning: { minutes: 7, eur: 0 }, bootstrap: { minutes: 5, eur: 0 }, step: { minutes: 20, eur: 0 }, teardown: { minutes: 2, eur: 0 } }, totalMinutes: 34 };
    const rows = comparePhases(forecast as never, { clusterCreated: t(0), clusterReady: t(10), stepStarted: t(11), stepEnded: t(31), clusterEnded: t(33) });
    expect(rows).toEqual([
      { phase: 'provisioning+bootstrap', predictedMinutes: 12, actualMinutes: 10 },
      { phase: 'step', predictedMinutes: 20, actualMinutes: 20 },
      { phase: 'teardown', predictedMinutes: 2, actualMinutes: 2 },
      { phase: 'total', predictedMinutes: 34, actualMinutes: 33 },
    ]);
    expect(comparePhases(null, {}).every((r) => r.predictedMinutes === null && r.actualMinutes === null)).toBe(true);
  });
});
