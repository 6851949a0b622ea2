/**
 * `npm run promote -- --rehearse` on real parts: the very promote plan executed on this machine. MinIO stands
 * in for the bucket, the plan's bootstrap script installs the shipped wheels into a fresh Python, a local YARN
 * node sized like one planned core node (container memory enforced) runs the step's spark-submit arguments, and
 * the result passes parity against the local run of the same input. One executor container is killed in the
 * middle of the job: the output is still the same.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import { withScope } from '../../src/lifecycle.js';
import { descendants } from '../../src/stack/process-group.js';
import { killOneExecutorContainer, type KilledContainer } from '../../src/stack/yarn/kill-container.js';
import { runOnLocalStack } from '../../src/targets/local-stack.js';
import { rehearsalTarget } from '../../src/targets/rehearsal.js';
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

function config(profile: 'local' | 'emr', inputDir: string, stateDir: string): WorkbenchConfig {
  const cfg = loadConfig({ root: ROOT, env: process.env, flags: { profile, input: inputDir } });
  return { ...cfg, stack: { ...cfg.stack, backend: 'native', stateDir, readyTimeoutSeconds: 180 } };
}

describe.skipIf(skipReason)(`promote --rehearse on ${input.label} (subset)${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  it('runs the plan on MinIO, the bootstrap and a local YARN, survives a killed executor container, and agrees with the local run', async () => {
    const subset = subsetOf(input.dir, 3, 4);
    const stateDir = path.join(path.dirname(subset), 'state');
    const lines: string[] = [];
    const out = linesOutput((l) => lines.push(l));

    const local = await withScope(
      (scope) => runOnLocalStack(config('local', subset, stateDir), { ...scope, out, env: process.env }, { keep: false, inputSource: '--input', cwd: ROOT }),
      { handleSignals: false },
    );
    made.push(local.runDir);

    let killed: KilledContainer | undefined;
    const emrCfg = config('emr', subset, stateDir);
    const outcome = await withScope(
      async (scope) => {
        const ctx = { ...scope, out, env: process.env };
        const target = rehearsalTarget(emrCfg, ctx, {
          region: 'eu-west-3',
          localRun: local.runDir,
          onJobRunning: async (yarn) => {
            killed = await killOneExecutorContainer(yarn, { signal: scope.signal });
          },
        });
        const plan = await target.plan();
        // The very plan: explicit executor memory, the wheels in the artifact, the weights in the bucket.
        expect(JSON.stringify(plan.runJobFlow)).not.toContain('maximizeResourceAllocation');
        expect(plan.uploads.some((u) => u.key.includes('/wheels/'))).toBe(true);
        expect(plan.weightsSpec.startsWith(`s3://${plan.bucket}/`) || plan.weightsSpec.startsWith('random:')).toBe(true);
        return target.execute(plan);
      },
      { handleSignals: false },
    );
    made.push(outcome.runDir);
    const log = lines.join('\n');

    // The bootstrap installed the shipped wheels into a fresh Python, offline.
    expect(log).toMatch(/rehearsal: bootstrap done \(fruits-bootstrap: installing \d+ pinned packages .* from \d+ shipped wheels\)/);
    // The job ran on YARN, lost one executor container mid-job, and still produced every row.
    expect(killed?.containerId).toMatch(/^container_/);
    expect(outcome.manifest.spark.master).toBe('yarn');
    expect(outcome.manifest.counts).toMatchObject({ inputs: 12, features: 12, errors: 0 });
    // Parity against the local run passed (the target throws a ParityError otherwise), and it was written down.
    const parity = JSON.parse(readFileSync(path.join(outcome.runDir, 'parity-vs-local.json'), 'utf8'));
    expect(JSON.stringify(parity)).not.toMatch(/"status":\s*"fail"/);
    expect(existsSync(path.join(outcome.runDir, 'report.html'))).toBe(true);
    // The run folder says a rehearsal ran it (run.json), keeps the bootstrap's log, and the report claims no
    // AWS region and no EMR cost for it; the local run is recorded as local.
    expect(JSON.parse(readFileSync(path.join(outcome.runDir, 'run.json'), 'utf8'))).toMatchObject({ target: 'rehearsal', region: null });
    expect(JSON.parse(readFileSync(path.join(local.runDir, 'run.json'), 'utf8'))).toMatchObject({ target: 'local' });
    expect(readFileSync(path.join(outcome.runDir, 'bootstrap.log'), 'utf8')).toMatch(/fruits-bootstrap: installing/);
    const report = readFileSync(path.join(outcome.runDir, 'report.html'), 'utf8');
    expect(report).not.toContain('Data and compute stayed in eu-west-3');
    expect(report).not.toContain('id="cost"');
    expect(outcome.summary.join('\n')).toMatch(/what a rehearsal cannot prove[\s\S]*EMRFS[\s\S]*IAM[\s\S]*Amazon Linux[\s\S]*prices/);
    // Nothing left running: MinIO, YARN and its containers, the driver.
    expect(processesMentioning(stateDir)).toEqual([]);
    expect(descendants(process.pid)).toEqual([]);
  });
});
