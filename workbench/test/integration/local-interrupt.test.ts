/**
 * Ctrl-C (SIGINT) while the job runs: the CLI exits 130, no process it started is left (spark-submit's JVM, the
 * Python driver, PySpark workers, MinIO), the run folder is marked incomplete and has no manifest, and the job
 * never wrote a manifest to the bucket.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, descendants } from '../../src/stack/process-group.js';
import { readState } from '../../src/stack/state.js';
import { RUNS_DIR, runCli, sampleInput, testEnv, type CliRun, type TestEnv } from './local-harness.js';

const input = sampleInput();
let env: TestEnv;
let runId: string;
let run: CliRun;
let exitCode: number | null;
/** Every process the CLI had started when it was interrupted, with its command line (pids get reused). */
let started: { pid: number; cmd: string }[] = [];

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (cond()) return;
    if (run.child.exitCode !== null) break;
    await sleep(250);
  }
  throw new Error(`never saw ${what}\n--- stdout\n${run.stdout()}\n--- stderr\n${run.stderr()}`);
}

beforeAll(async () => {
  env = testEnv();
  runId = env.newRunId('sigint');
  run = runCli(['local', '--config', env.configPath, '--input', input.dir, '--weights', 'random:0', '--run-id', runId]);
  // The job's own lines appear once its Spark session is up and it has listed the images: mid-run.
  await until('the job running', () => /^ {2}job: /m.test(run.stderr()));
  started = descendants(run.child.pid!).map((pid) => ({ pid, cmd: commandLine(pid) ?? '' }));
  run.child.kill('SIGINT');
  exitCode = await run.done;
});
afterAll(() => env?.cleanup());

describe('SIGINT during npm run local', () => {
  it('exits 130 after stopping everything', () => {
    expect(started.some((p) => p.cmd.includes('org.apache.spark.deploy.SparkSubmit')), 'spark-submit was running').toBe(true);
    expect(started.some((p) => p.cmd.includes('minio')), 'MinIO was running').toBe(true);
    expect(exitCode).toBe(130);
    expect(run.stderr()).toContain('SIGINT: stopping and cleaning up...');
  });

  it('leaves no process behind', () => {
    const alive = started.filter((p) => commandLine(p.pid) === p.cmd && p.cmd !== '');
    expect(alive).toEqual([]);
    expect(readState(env.stateDir)).toBeUndefined();
  });

  it('marks the run folder incomplete and leaves no manifest, locally or in the bucket', () => {
    const dir = path.join(RUNS_DIR, runId);
    expect(existsSync(path.join(dir, 'manifest.json'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'incomplete.json'), 'utf8'))).toMatchObject({ status: 'interrupted' });
    expect(readFileSync(path.join(dir, 'driver.log'), 'utf8')).toContain('# interrupted');
    // MinIO is stopped: look at its data folder (single-drive layout: <data>/<bucket>/<key>/xl.meta).
    expect(existsSync(path.join(env.stateDir, 'minio-data', 'fruits-workbench', 'runs', runId, 'manifest.json'))).toBe(false);
    expect(existsSync(path.join(env.stateDir, 'minio-data', 'fruits-workbench', 'inputs')), 'the data folder layout is as assumed').toBe(true);
  });
});
