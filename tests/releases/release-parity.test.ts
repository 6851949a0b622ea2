/**
 * Parity across releases (issue 21): the same input and weights run on the default release's Spark and on the
 * other supported release's (`npm run local -- --release LABEL`), then `npm run parity -- A B` must pass on
 * features and PCA, with the release difference reported as a warning. Needs both releases' venvs: `make
 * test-releases` sets them up first (it is not part of the integration project, which runs on one release).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RELEASE, RELEASES } from '../../workbench/src/config/releases.js';
import { cli, readManifest, RUNS_DIR, sampleInput, subsetOf, testEnv, type TestEnv } from '../../workbench/test/integration/local-harness.js';

const OTHER = RELEASES.find((r) => r !== DEFAULT_RELEASE)!;
const input = sampleInput();
let env: TestEnv;
let runA: string;
let runB: string;
let parity: { stdout: string; stderr: string };

beforeAll(async () => {
  env = testEnv();
  if (input.dir.includes('fruits-synthetic')) await cli(['local', '--config', env.configPath, '--dry-run', '--weights', 'random:0']);
  const subset = subsetOf(input.dir, 4, 6);
  runA = env.newRunId('release-default');
  runB = env.newRunId('release-other');
  // The config's weights (auto: the ImageNet weights this machine has), the same on both sides.
  await cli(['local', '--config', env.configPath, '--input', subset, '--run-id', runA]);
  await cli(['local', '--config', env.configPath, '--release', OTHER.label, '--input', subset, '--run-id', runB]);
  parity = await cli(['parity', '--config', env.configPath, runA, runB]);
});
afterAll(async () => {
  await env?.cleanup();
  for (const f of [`parity-${runA}-vs-${runB}.json`]) rmSync(path.join(RUNS_DIR, f), { force: true });
});

describe(`the job on ${DEFAULT_RELEASE.label} (Spark ${DEFAULT_RELEASE.spark}) and on ${OTHER.label} (Spark ${OTHER.spark}), ${input.label}`, () => {
  it('ran each release\'s own Spark and recorded the release in its manifest', () => {
    const a = readManifest(runA);
    const b = readManifest(runB);
    expect(a.release).toBe(DEFAULT_RELEASE.label);
    expect(b.release).toBe(OTHER.label);
    expect(a.versions.pyspark).toBe(DEFAULT_RELEASE.spark);
    expect(b.versions.pyspark).toBe(OTHER.spark);
    expect(a.artifact.sha256).not.toBe(b.artifact.sha256);
    expect(a.artifact.code_sha256).toBe(b.artifact.code_sha256);
    expect(a.counts).toEqual(b.counts);
  });

  it('passes parity on features and PCA, warning on the release', () => {
    const text = parity.stdout + parity.stderr;
    expect(text).toMatch(/parity holds: \d+ passed, 0 failed/);
    expect(text).toMatch(/provenance\.release/);
    expect(text).toMatch(new RegExp(`the releases differ: A ${DEFAULT_RELEASE.label.replace(/\./g, '\\.')}`));
  });
});
