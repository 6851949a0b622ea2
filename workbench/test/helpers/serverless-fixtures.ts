/** Configs for the Serverless tests: real loadConfig on a temp workbench.yaml with a `serverless` profile. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import type { ServerlessPlanInputs } from '../../src/serverless/plan.js';
import { fakeArtifact, fakeFile, fakeInputFiles } from './emr-fixtures.js';

export function serverlessConfig(opts: { profile?: Record<string, unknown>; job?: Record<string, unknown>; root?: string } = {}): WorkbenchConfig {
  const root = opts.root ?? mkdtempSync(path.join(tmpdir(), 'wb-sls-'));
  const doc = {
    job: { weights: 'random:0', input: 'images', ...opts.job },
    profiles: {
      local: { kind: 'local' },
      emr: { kind: 'emr', bucket: 'fruits-test-bucket' },
      serverless: { kind: 'serverless', bucket: 'fruits-test-bucket', ...opts.profile },
    },
  };
  writeFileSync(path.join(root, 'workbench.yaml'), stringify(doc));
  return loadConfig({ root, env: { HOME: root }, flags: { profile: 'serverless' } });
}

export function serverlessInputs(cfg: WorkbenchConfig, over: Partial<ServerlessPlanInputs> = {}): ServerlessPlanInputs {
  return {
    artifact: fakeArtifact(),
    input: { kind: 'local', dir: '/data/fruits-sample', files: fakeInputFiles() },
    runId: '20261125T200102Z-ab12cd',
    weights: { spec: 'random:0' },
    venv: { file: fakeFile('/cache/venvs/env.tar.gz', '9', 5_000_000), sha256: 'e'.repeat(64), python: cfg.release.python },
    createdAt: '2026-11-25T20:01:02.000Z',
    ...over,
  };
}
