/**
 * `npm run promote -- --profile serverless --rehearse` on real parts: the very Serverless plan, with its venv
 * archive built from the runtime lock, executed on this machine. MinIO stands in for the bucket, a local YARN node
 * holding executors of the planned worker size runs the job run's sparkSubmitParameters, entry point and arguments
 * with the archive unpacked by Spark as ./environment (PYSPARK_PYTHON into it, no project venv on the node's
 * PATH), and the result passes parity against the local run of the same input.
 *
 * What it costs (measured here on 2026-12-04): 242 s, about 75 s of it building the venv archive, which is then
 * cached outside the clone by lock hash and recipe. Most of the rest is the NodeManager localizing the archive
 * for the containers: without Hadoop's native library it forks one `chmod` per file, which is why the archive
 * leaves TensorFlow's C++ headers out (serverless/venv-archive.ts archiveSkips, about half of its entries).
 * WB_TIMELINE=1 prints every line with its time.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import { withScope } from '../../src/lifecycle.js';
import { descendants } from '../../src/stack/process-group.js';
import { runOnLocalStack } from '../../src/targets/local-stack.js';
import { rehearseServerless } from '../../src/targets/serverless-rehearsal.js';
import { linesOutput } from '../../src/terminal/index.js';
import { sampleInput, subsetOf } from './local-harness.js';
import { processesMentioning, ROOT } from './stack-fixtures/env.js';

const hasMaven = (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'mvn')));
const skipReason = !hasMaven && process.env.CI !== 'true' ? 'mvn is not installed (apt-get install maven): the YARN jars are fetched with Maven' : undefined;

const input = sampleInput();
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function config(profile: 'local' | 'serverless', inputDir: string, stateDir: string): WorkbenchConfig {
  const cfg = loadConfig({ root: ROOT, env: process.env, flags: { profile, input: inputDir } });
  return { ...cfg, stack: { ...cfg.stack, backend: 'native', stateDir, readyTimeoutSeconds: 180 } };
}

describe.skipIf(skipReason)(`promote --profile serverless --rehearse on ${input.label} (subset)${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  it('runs the job run on MinIO and a local YARN with the venv archive as #environment, and agrees with the local run', async () => {
    const subset = subsetOf(input.dir, 3, 4);
    const stateDir = path.join(path.dirname(subset), 'state');
    const lines: string[] = [];
    const t0 = Date.now();
    // WB_TIMELINE=1: every line with the seconds since the start (where the time goes).
    const out = linesOutput((l) => {
      lines.push(l);
      if (process.env.WB_TIMELINE) console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${l.slice(0, 200)}`);
    });

    const local = await withScope(
      (scope) => runOnLocalStack(config('local', subset, stateDir), { ...scope, out, env: process.env }, { keep: false, inputSource: '--input', cwd: ROOT }),
      { handleSignals: false },
    );
    made.push(local.runDir);

    const slsCfg = config('serverless', subset, stateDir);
    const outcome = await withScope((scope) => rehearseServerless(slsCfg, { ...scope, out, env: process.env }, { region: 'eu-west-3', localRun: local.runDir }), { handleSignals: false });
    made.push(outcome.runDir);

    // The plan carried the archive, built from the lock and cached with its sha256, uploaded beside the artifact.
    const plan = JSON.parse(readFileSync(path.join(outcome.runDir, 'serverless-plan.json'), 'utf8'));
    const venv = plan.uploads.find((u: { role: string }) => u.role === 'venv');
    expect(venv.key).toBe(`artifacts/${plan.artifactSha256}/environment.tar.gz`);
    expect(readFileSync(`${venv.source}.sha256`, 'utf8').split(/\s/)[0]).toBe(plan.venv.sha256);
    expect(plan.startJobRun.jobDriver.sparkSubmit.sparkSubmitParameters).toContain(`spark.archives=${plan.venv.uri}#environment`);
    // The job ran on YARN and produced every row.
    expect(outcome.manifest.spark.master).toBe('yarn');
    expect(outcome.manifest.counts).toMatchObject({ inputs: 12, features: 12, errors: 0 });
    // Parity against the local run passed (the rehearsal throws a ParityError otherwise), and it was written down.
    const parity = JSON.parse(readFileSync(path.join(outcome.runDir, 'parity-vs-local.json'), 'utf8'));
    expect(JSON.stringify(parity)).not.toMatch(/"status":\s*"fail"/);
    expect(JSON.parse(readFileSync(path.join(outcome.runDir, 'run.json'), 'utf8'))).toMatchObject({ target: 'rehearsal' });
    expect(outcome.summary.join('\n')).toMatch(/cannot prove[\s\S]*Amazon Linux 2023[\s\S]*NOT proven/);
    // Nothing left running: MinIO, YARN and its containers, the driver.
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(descendants(process.pid)).toEqual([]);
  });
});
