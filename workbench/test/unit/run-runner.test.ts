/**
 * job/runner.ts against stand-ins for spark-submit (small shell scripts): the log, the events, the summary, the
 * failure message, and that an abort stops the whole process group.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortedError, JobError } from '../../src/errors.js';
import type { ProgressEvent } from '../../src/job/progress.js';
import { runJob } from '../../src/job/runner.js';
import type { SubmitPlan } from '../../src/job/submit-plan.js';
import { commandLine, groupMembers } from '../../src/stack/process-group.js';

const MANIFEST = {
  schema_version: 1, run_id: 'r1', status: 'succeeded', input_uri: 's3a://b/in/', output_uri: 's3a://b/runs/r1/',
  started_at: 't0', finished_at: 't1', counts: { inputs: 2, features: 2, errors: 0, featurized: 2 }, feature_dim: 1280,
  pca: { k: 1, k_mode: 'fixed', variance_threshold: null, standardize: false, explained_variance_ratio: [0.9], variance_kept: 0.9 },
  weights: { spec: 'random:0', source: 'random', sha256: 'a'.repeat(64), meaningful: false },
  artifact: { sha256: 'b'.repeat(64), code_sha256: 'c' }, settings: { weights: 'random:0', image_size: 224, interpolation: 'bilinear', arrow_batch_size: 64, partitions: 0, pca_k: null, pca_variance: 0.95, pca_standardize: false }, versions: {}, spark: {}, timings_s: { total: 1 }, outputs: {},
};

function script(body: string): { plan: SubmitPlan; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-runner-'));
  const file = path.join(dir, 'fake-spark-submit');
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
  return { dir, plan: { command: file, args: ['--master', 'local[*]'], env: { AWS_SECRET_ACCESS_KEY: 'sekret', FAKE: '1' }, redactedEnvKeys: ['AWS_SECRET_ACCESS_KEY'] } };
}

describe('runJob', () => {
  it('logs everything, reports progress and returns the manifest of the summary line', async () => {
    const { plan, dir } = script(`
echo "26/11/25 20:06:53 INFO DAGScheduler: Submitting 2 missing tasks from ResultStage 4 (MapPartitionsRDD[3] at mapInPandas at X.java:0) (first 15 tasks are for partitions Vector(0, 1))" >&2
echo "fruits-job: featurized 2 (env FAKE=$FAKE)"
echo "FRUITS_JOB_SUMMARY"
echo '${JSON.stringify(MANIFEST)}'`);
    const events: ProgressEvent[] = [];
    const logFile = path.join(dir, 'driver.log');
    const result = await runJob(plan, { logFile, signal: new AbortController().signal, parentEnv: { PATH: process.env.PATH }, onEvent: (e) => events.push(e) });
    expect(result.manifest.run_id).toBe('r1');
    // stdout and stderr are two pipes: their relative order is not guaranteed.
    expect(events).toHaveLength(2);
    expect(events).toEqual(
      expect.arrayContaining([
        { kind: 'stage-start', stage: 4, tasks: 2, name: 'mapInPandas' },
        { kind: 'job', text: 'featurized 2 (env FAKE=1)' },
      ]),
    );
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('fruits-job: featurized 2');
    expect(log).toContain('FRUITS_JOB_SUMMARY');
    expect(log).not.toContain('sekret');
  });

  it("fails with the job's reason, the log tail and the log path", async () => {
    const { plan, dir } = script(`
echo "26/11/25 20:06:53 WARN Something: a warning worth showing" >&2
for i in $(seq 1 60); do echo "26/11/25 20:06:53 INFO SparkContext: shutdown noise $i" >&2; done
echo "fruits-job: error: no images under s3a://b/in/" >&2
exit 1`);
    const logFile = path.join(dir, 'driver.log');
    const err = await runJob(plan, { logFile, logLabel: 'runs/r1/driver.log', signal: new AbortController().signal, parentEnv: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    const { message, fix } = err as JobError;
    expect(message).toMatch(/^the job failed \(exit code 1\): no images under s3a:\/\/b\/in\//);
    expect(message).toContain('a warning worth showing');
    expect(message).not.toContain('shutdown noise');
    expect(fix).toContain('runs/r1/driver.log');
    expect(readFileSync(logFile, 'utf8')).toContain('shutdown noise 60');
  });

  it('fails clearly when the job exits 0 without a summary', async () => {
    const { plan, dir } = script('echo hello');
    const err = await runJob(plan, { logFile: path.join(dir, 'driver.log'), signal: new AbortController().signal, parentEnv: {} }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no FRUITS_JOB_SUMMARY/);
  });

  it('stops the whole process group on abort and returns only when it is gone', async () => {
    const { plan, dir } = script(`
sleep 300 &
echo "$$ $!" > "${'$'}(dirname "$0")/pids"
echo "fruits-job: started"
wait`);
    const controller = new AbortController();
    let pids: number[] = [];
    const running = runJob(plan, {
      logFile: path.join(dir, 'driver.log'),
      signal: controller.signal,
      parentEnv: { PATH: process.env.PATH },
      killGraceMs: 2000,
      onEvent: () => {
        pids = readFileSync(path.join(dir, 'pids'), 'utf8').trim().split(' ').map(Number);
        controller.abort();
      },
    });
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    // The script leads its own group, and its child (sleep) was in it: nothing of either is left alive.
    const [leader, sleeper] = pids;
    expect(leader).toBeGreaterThan(0);
    expect(groupMembers(leader!)).toEqual([]);
    expect(commandLine(sleeper!)).toBeUndefined();
    expect(readFileSync(path.join(dir, 'driver.log'), 'utf8')).toContain('# interrupted');
  });
});
