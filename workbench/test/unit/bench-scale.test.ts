import { describe, expect, it } from 'vitest';
import { classify, cpuByRole, parseMachineBusyS, parsePidStat, roleAfter } from '../../src/bench/process-peaks.js';
import { coreMsPerImage, formatGoal, formatScaleCpu, jobStepSeconds, scaleCpu, scaleGoals, type ScaleSize } from '../../src/bench/scale.js';
import { checkForecast, forecastRehearsalStep, formatForecastCheck } from '../../src/forecast/rehearsal.js';
import { comparePhases } from '../../src/forecast/emr-actuals.js';
import { testProfile } from './forecast-fixtures.js';

const size = (images: number, rate: number, driverMb: number, workerMb: number): ScaleSize => ({
  images,
  copies: images / 390,
  input: '/x',
  engine: 'onnxruntime',
  input_format: 'images',
  model_cache: 'hit',
  command_s: images / rate,
  command_images_per_s: rate,
  job_step_s: images / rate,
  job_images_per_s: rate,
  stages_s: {},
  tasks: 2,
  counts: { inputs: images, featurized: images, errors: 0 },
  memory: { driver_jvm_mb: driverMb, driver_python_mb: 100, executor_mb: driverMb, python_worker_mb: workerMb, python_workers_seen: 2, note: '' },
  cpu: null,
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

  it('classifies the process tree: driver JVM, its Python, the daemon\'s workers, executors, MinIO, any other descendant', () => {
    const procs = [
      { pid: 10, ppid: 1, cmd: 'node cli.js bench' },
      { pid: 11, ppid: 10, cmd: '/usr/bin/java -cp x org.apache.spark.deploy.SparkSubmit --master local[*] entry.py' },
      { pid: 12, ppid: 11, cmd: '/venv/bin/python3 /tmp/entrypoint.py --input s3a://b/x' },
      { pid: 13, ppid: 11, cmd: '/venv/bin/python3 -m pyspark.daemon' },
      { pid: 14, ppid: 13, cmd: '/venv/bin/python3 -m pyspark.daemon' },
      { pid: 15, ppid: 10, cmd: '/bin/minio server /data' },
      { pid: 16, ppid: 10, cmd: '/usr/bin/java -cp y org.apache.spark.executor.YarnCoarseGrainedExecutorBackend --driver-url x' },
      { pid: 17, ppid: 10, cmd: '/bin/sh -c spark-submit x' },
      { pid: 18, ppid: 17, cmd: '/root/.cache/fruits-workbench/bin/minio-RELEASE.2025/minio server /d --address 127.0.0.1:9000' },
      { pid: 19, ppid: 10, cmd: '/usr/bin/minio-client ls server' },
      { pid: 20, ppid: 1, cmd: '/usr/bin/java org.apache.spark.deploy.SparkSubmit (not ours)' },
      { pid: 21, ppid: 1, cmd: '/bin/minio server /elsewhere (not ours)' },
    ];
    expect(Object.fromEntries(classify(procs, 10))).toEqual({
      11: 'driver-jvm',
      12: 'driver-python',
      13: 'other', // the daemon itself
      14: 'python-worker',
      15: 'minio',
      16: 'executor-jvm',
      17: 'other',
      18: 'minio', // a grandchild is still ours
      19: 'other',
    });
  });

  it('keeps a worker\'s role when it is re-parented (same command line), takes the new one after an exec', () => {
    const worker = '/venv/bin/python3 -m pyspark.daemon';
    // The daemon exited first: its worker now hangs off another process and classifies as 'other'.
    expect(roleAfter({ role: 'python-worker', cmd: worker }, 'other', worker)).toBe('python-worker');
    // A child forked from the driver JVM looks like the JVM until it execs Python.
    expect(roleAfter({ role: 'driver-jvm', cmd: 'java -cp x org.apache.spark.deploy.SparkSubmit' }, 'other', worker)).toBe('other');
    expect(roleAfter({ role: 'other', cmd: worker }, 'python-worker', worker)).toBe('python-worker');
    expect(roleAfter(undefined, 'other', worker)).toBe('other');
    // An exited worker not yet reaped (a zombie) has an empty command line.
    expect(roleAfter({ role: 'python-worker', cmd: worker }, 'other', '')).toBe('python-worker');
  });

  it("reads a process's ppid and utime+stime (clock ticks of 1/100 s) from /proc/<pid>/stat, whatever its name holds", () => {
    // Fields from 3: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    const rest = 'S 42 42 42 0 -1 4194304 100 0 0 0 1234 566 9000 9000 20 0 1 0 1320771';
    expect(parsePidStat(`4242 (java) ${rest}`)).toEqual({ ppid: 42, cpuS: 18 });
    // A command name with spaces and parentheses does not shift the fields; children's cutime/cstime are not counted.
    expect(parsePidStat(`4243 (a (b) c) ${rest}`)).toEqual({ ppid: 42, cpuS: 18 });
  });

  it("reads the machine's busy CPU from /proc/stat: user, nice, system, irq, softirq, steal; not idle, iowait or guest", () => {
    const stat = 'cpu  1000 200 300 5000 700 10 20 30 400 0\ncpu0 500 100 150 2500 350 5 10 15 200 0\nintr 1 2 3\n';
    expect(parseMachineBusyS(stat)).toBe(15.6);
    expect(() => parseMachineBusyS('intr 1 2 3\n')).toThrow(/cpu line/);
  });

  it('sums CPU per role over its processes, counting only what each used inside the window', () => {
    expect(
      cpuByRole([
        { role: 'python-worker', startS: 0, lastS: 40 },
        { role: 'python-worker', startS: 0, lastS: 35.5 },
        { role: 'minio', startS: 2, lastS: 7 }, // already running when the window opened
        { role: 'other', startS: 0, lastS: 0 },
      ]),
    ).toEqual({ 'python-worker': 75.5, minio: 5, other: 0 });
    expect(cpuByRole([])).toEqual({});
  });

  it('CPU per image in core-milliseconds, and the cpu figures scale.json records', () => {
    expect(coreMsPerImage({ 'python-worker': 60, minio: 3.12 }, 3120)).toEqual({ 'python-worker': 19.23, minio: 1 });
    expect(coreMsPerImage({ minio: 1 }, 0)).toEqual({});
    const cpu = scaleCpu({ windowS: 56.44, cores: 2, machineBusyS: 100.04, byRoleS: { 'workbench-node': 3.111, other: 1, 'python-worker': 62.4, 'driver-jvm': 24 } }, 3120);
    expect(cpu).toMatchObject({
      window_s: 56.4,
      cores: 2,
      capacity_s: 112.9,
      machine_busy_s: 100,
      tracked_s: 90.5,
      by_role_s: { 'python-worker': 62.4, 'driver-jvm': 24, 'workbench-node': 3.11, other: 1 },
      core_ms_per_image: { 'python-worker': 20, 'driver-jvm': 7.69, 'workbench-node': 1, other: 0.32 },
    });
    // Roles in a fixed order, so sizes read alike in the JSON.
    expect(Object.keys(cpu.by_role_s)).toEqual(['python-worker', 'driver-jvm', 'workbench-node', 'other']);
    expect(formatScaleCpu(cpu)).toBe(
      'cpu: 56.4 s x 2 cores = 112.9 core-s, machine busy 100 core-s, tracked 90.5: python-worker 62.4 s (20 core-ms/image), driver-jvm 24 s (7.69 core-ms/image), ' +
        'workbench-node 3.11 s (1 core-ms/image), other 1 s (0.32 core-ms/image)',
    );
    expect(formatScaleCpu(null)).toMatch(/not measured/);
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
