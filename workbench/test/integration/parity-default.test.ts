/**
 * `npm run parity` with no operands: the job runs on the `local` profile, then on the `cluster` profile (a
 * standalone master + 2 workers, so the broadcast weights cross process boundaries), on the same input, and the
 * layered checks pass. Also `npm run parity -- A B` on the two runs it made, and the JSON report.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, RUNS_DIR, sampleInput, subsetOf, testEnv, type TestEnv } from './local-harness.js';

const input = sampleInput();
let env: TestEnv;
let before: Set<string>;
let made: string[] = [];
let output: { stdout: string; stderr: string };

const runFolders = () => new Set(existsSync(RUNS_DIR) ? readdirSync(RUNS_DIR) : []);

beforeAll(async () => {
  env = testEnv();
  if (input.dir.includes('fruits-synthetic')) await cli(['local', '--config', env.configPath, '--dry-run', '--weights', 'random:0']);
  const subset = subsetOf(input.dir, 3, 4);
  // The config names the input and the weights once; parity runs both profiles from it.
  const yaml = readFileSync(env.configPath, 'utf8')
    .replace(/^(\s*input:).*$/m, `$1 ${subset}`)
    .replace(/^(\s*weights:).*$/m, '$1 random:0');
  writeFileSync(env.configPath, yaml);
  before = runFolders();
  output = await cli(['parity', '--config', env.configPath]);
  made = [...runFolders()].filter((d) => !before.has(d));
});
afterAll(async () => {
  for (const d of made) rmSync(path.join(RUNS_DIR, d), { recursive: true, force: true });
  await env?.cleanup();
});

describe(`npm run parity without operands (${input.label}, subset)`, () => {
  it('ran the job on local, then on cluster, and every check passed', () => {
    expect(output.stderr).toMatch(/running the job on profile "local"/);
    expect(output.stderr).toMatch(/running the job on profile "cluster"/);
    const runs = made.filter((d) => existsSync(path.join(RUNS_DIR, d, 'manifest.json')));
    expect(runs).toHaveLength(2);
    const masters = runs.map((d) => JSON.parse(readFileSync(path.join(RUNS_DIR, d, 'manifest.json'), 'utf8')).spark.master).sort();
    expect(masters[0]).toBe('local[*]');
    expect(masters[1]).toMatch(/^spark:\/\/127\.0\.0\.1:\d+$/);
    expect(output.stdout).not.toMatch(/\bfail\b/i);
  });

  it('wrote the JSON report with every layer and the tolerances', () => {
    // Beside the runs it compares: runs/parity-<a>-vs-<b>.json.
    const reports = made.filter((f) => f.startsWith('parity-') && f.endsWith('.json')).map((f) => path.join(RUNS_DIR, f));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(readFileSync(reports[0]!, 'utf8'));
    expect(report.tolerances.featureCosineMin).toBeGreaterThan(0);
    expect(JSON.stringify(report)).not.toMatch(/"status":\s*"fail"/);
  });

  it('compares the same two runs again when given as operands; a missing run is a clear error (exit 6)', async () => {
    const runs = made.filter((d) => existsSync(path.join(RUNS_DIR, d, 'manifest.json'))).map((d) => path.join(RUNS_DIR, d));
    await cli(['parity', '--config', env.configPath, runs[0]!, runs[1]!]);
    const { stderr } = await cli(['parity', '--config', env.configPath, runs[0]!, 'does-not-exist'], 6);
    expect(stderr).toMatch(/does-not-exist/);
  });
});
