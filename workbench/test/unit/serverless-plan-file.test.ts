import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanRefusedError } from '../../src/errors.js';
import { buildServerlessPlan } from '../../src/serverless/plan.js';
import { loadServerlessPlan, writeServerlessPlan } from '../../src/serverless/plan-file.js';
import { describeFile } from '../../src/storage/local-folder.js';
import { serverlessConfig, serverlessInputs } from '../helpers/serverless-fixtures.js';

async function savedPlan() {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-sls-planfile-'));
  const img = path.join(dir, 'a.jpg');
  writeFileSync(img, 'image');
  const real = async (name: string) => {
    writeFileSync(path.join(dir, name), name);
    return describeFile(path.join(dir, name));
  };
  const files = { zip: await real('fruits_pipeline.zip'), entrypoint: await real('entrypoint.py'), lock: await real('requirements.lock') };
  const cfg = serverlessConfig();
  const inputs = serverlessInputs(cfg, { input: { kind: 'local', dir, files: [await describeFile(img)] }, venv: undefined });
  const plan = buildServerlessPlan(cfg, { ...inputs, artifact: { ...inputs.artifact, files: { ...inputs.artifact.files, ...files } } });
  const file = path.join(dir, 'plan.json');
  await writeServerlessPlan(file, plan);
  return { plan, file, img };
}

describe('saved Serverless plans', () => {
  it('round-trips: the loaded plan is the plan written', async () => {
    const { plan, file } = await savedPlan();
    const loaded = await loadServerlessPlan(file);
    const { digest, ...bare } = loaded;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(bare).toEqual(JSON.parse(JSON.stringify(plan)));
  });

  it('refuses an edited plan, a lower budget today, a changed input file, and a plan of another kind', async () => {
    const { file, img } = await savedPlan();
    const text = await readFile(file, 'utf8');
    writeFileSync(file, text.replace('"executionTimeoutMinutes": ', '"executionTimeoutMinutes": 1'));
    await expect(loadServerlessPlan(file)).rejects.toThrow(/changed after it was written/);
    writeFileSync(file, text);
    await expect(loadServerlessPlan(file, { budgetEur: 0.0001 })).rejects.toThrow(PlanRefusedError);
    writeFileSync(img, 'another image');
    await expect(loadServerlessPlan(file)).rejects.toThrow(/changed or is gone/);
    writeFileSync(file, JSON.stringify({ format: 'fruits-workbench/promote-plan@1' }));
    await expect(loadServerlessPlan(file)).rejects.toThrow(/not a Serverless plan/);
  });
});
