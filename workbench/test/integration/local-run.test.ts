/**
 * `npm run local` end to end, real processes: the CLI starts MinIO + Spark local[*], uploads the sample, runs
 * the PySpark job with random:0 weights, downloads the outputs into runs/<id>/ and prints the summary. Then,
 * against the stack kept with --keep: the outputs are in MinIO, and a second upload of the same folder uploads
 * nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/storage/s3-client.js';
import { listObjects } from '../../src/storage/listing.js';
import { scanLocalFolder } from '../../src/storage/local-folder.js';
import { planUpload } from '../../src/storage/upload-plan.js';
import { executeUploadPlan } from '../../src/storage/uploader.js';
import { loadOrCreateCredentials } from '../../src/stack/credentials.js';
import { readState } from '../../src/stack/state.js';
import { cli, readManifest, readParquetFolder, RUNS_DIR, sampleInput, testEnv, type TestEnv } from './local-harness.js';

const input = sampleInput();
let env: TestEnv;
let runId: string;
let output: { stdout: string; stderr: string };

beforeAll(async () => {
  env = testEnv();
  runId = env.newRunId('run');
  console.log(`input: ${input.label}`);
  output = await cli(['local', '--config', env.configPath, '--input', input.dir, '--weights', 'random:0', '--run-id', runId, '--keep']);
});
afterAll(() => env?.cleanup());

function countImages(dir: string): number {
  return readdirSync(dir, { recursive: true }).filter((f) => /\.(jpe?g|png)$/i.test(String(f))).length;
}

describe(`npm run local on the ${input.label}`, () => {
  it('prints the summary and says the random weights are not meaningful', () => {
    expect(output.stdout).toMatch(new RegExp(`^run ${runId} succeeded in `, 'm'));
    expect(output.stdout).toMatch(/features +1280 per image/);
    expect(output.stdout).toContain('NOT MEANINGFUL');
    expect(output.stdout).toContain(`s3://fruits-workbench/runs/${runId}/`);
    // Credentials never reach the terminal.
    const { credentials } = loadOrCreateCredentials(env.stateDir);
    expect(output.stdout + output.stderr).not.toContain(credentials.secretAccessKey);
  });

  it('writes the run folder with a manifest whose counts add up to the input', async () => {
    const dir = path.join(RUNS_DIR, runId);
    for (const f of ['manifest.json', 'pca.csv', 'explained_variance.json', 'driver.log']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(existsSync(path.join(dir, 'incomplete.json'))).toBe(false);
    const m = readManifest(runId);
    const images = countImages(input.dir);
    expect(m.run_id).toBe(runId);
    expect(m.counts.inputs).toBe(images);
    expect(m.counts.features + m.counts.errors).toBe(images);
    expect(m.counts.featurized).toBe(images);
    expect(m.weights).toMatchObject({ spec: 'random:0', meaningful: false });

    const features = await readParquetFolder(runId, 'features');
    expect(features).toHaveLength(m.counts.features);
    expect((features[0]!.features as number[]).length).toBe(1280);
    const csvRows = readFileSync(path.join(dir, 'pca.csv'), 'utf8').trim().split('\n');
    expect(csvRows[0]).toMatch(/^key,label,pc_1,/);
    expect(csvRows).toHaveLength(m.counts.features + 1);
    expect(csvRows[0]!.split(',')).toHaveLength(2 + m.pca.k);
  });

  it('leaves the outputs in MinIO, manifest included', async () => {
    const state = readState(env.stateDir);
    expect(state, 'the stack was kept with --keep').toBeDefined();
    const s3 = createS3Client({ ...state!.s3, ...loadOrCreateCredentials(env.stateDir).credentials });
    try {
      const keys = (await listObjects(s3, state!.s3.bucket, `runs/${runId}/`)).map((o) => o.key.slice(`runs/${runId}/`.length));
      expect(keys).toContain('manifest.json');
      expect(keys).toContain('explained_variance.json');
      expect(keys.some((k) => /^features\/part-.*\.parquet$/.test(k))).toBe(true);
      expect(keys.filter((k) => /^pca_csv\/.*\.csv$/.test(k))).toHaveLength(1);
    } finally {
      s3.destroy();
    }
  });

  it('uploads nothing the second time: every image is unchanged', async () => {
    const state = readState(env.stateDir)!;
    const s3 = createS3Client({ ...state.s3, ...loadOrCreateCredentials(env.stateDir).credentials });
    try {
      const prefix = `inputs/${path.basename(input.dir)}/`;
      const plan = planUpload({
        files: await scanLocalFolder(input.dir),
        remote: await listObjects(s3, state.s3.bucket, prefix),
        bucket: state.s3.bucket,
        prefix,
      });
      expect(plan.toUpload).toEqual([]);
      expect(plan.unchanged).toHaveLength(countImages(input.dir));
      expect(await executeUploadPlan(s3, plan)).toMatchObject({ uploaded: 0, unchanged: countImages(input.dir), deleted: 0 });
    } finally {
      s3.destroy();
    }
  });
});
