/**
 * `npm run local -- --input-format packed` end to end, real processes: the sample read as images, then the same
 * folder packed on the host into Parquet files (the pipeline's packer), mirrored to `inputs/<folder>.packed/` and
 * read by the job with `--input-format packed`, on the stack kept from the first run. Both layouts must give the
 * same counts and the same keys; the images' own prefix stays as it was, and a second sync of the packed files
 * uploads nothing (same images, same bytes).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ResourceStack } from '../../src/lifecycle.js';
import { loadOrCreateCredentials } from '../../src/stack/credentials.js';
import { readState } from '../../src/stack/state.js';
import { listObjects } from '../../src/storage/listing.js';
import { scanLocalFolder } from '../../src/storage/local-folder.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { packAndUpload, planPackedInput } from '../../src/targets/packed-input.js';
import { memoryOutput } from '../../src/terminal/memory-output.js';
import { projectPython } from '../helpers/project-python.js';
import { cli, readManifest, readParquetFolder, ROOT, sampleInput, testEnv, type TestEnv } from './local-harness.js';

const input = sampleInput();
const folder = path.basename(input.dir);
let env: TestEnv;
let imagesRun: string;
let packedRun: string;
let packedOutput: { stdout: string; stderr: string };

beforeAll(async () => {
  env = testEnv();
  imagesRun = env.newRunId('images');
  packedRun = env.newRunId('packed');
  console.log(`input: ${input.label}`);
  await cli(['local', '--config', env.configPath, '--input', input.dir, '--weights', 'random:0', '--run-id', imagesRun, '--keep']);
  packedOutput = await cli(['local', '--config', env.configPath, '--input', input.dir, '--weights', 'random:0', '--run-id', packedRun, '--keep', '--input-format', 'packed']);
});
afterAll(() => env?.cleanup());

function countImages(dir: string): number {
  return readdirSync(dir, { recursive: true }).filter((f) => /\.(jpe?g|png)$/i.test(String(f))).length;
}

function stackS3() {
  const state = readState(env.stateDir)!;
  expect(state, 'the stack was kept with --keep').toBeDefined();
  return { bucket: state.s3.bucket, s3: createS3Client({ ...state.s3, ...loadOrCreateCredentials(env.stateDir).credentials }) };
}

describe(`npm run local --input-format packed on the ${input.label}`, () => {
  it('packs on the host (a timed step), mirrors the packed files and gives the job their prefix', () => {
    const text = packedOutput.stdout + packedOutput.stderr;
    const images = countImages(input.dir);
    // A pack made by an earlier run of the same images is reused (the cache folder is the user's).
    expect(text).toMatch(new RegExp(`pack: (${images} images -> \\d+ Parquet files? |reusing ${images} images in \\d+ Parquet files? )`));
    expect(text).toContain(`upload packed input -> s3://fruits-workbench/inputs/${folder}.packed/`);
    expect(packedOutput.stdout).toMatch(/workbench +setup [^\n]*, pack [\d.]+ s, upload [\d.]+ s, job /);
    expect(packedOutput.stdout).toMatch(new RegExp(`^run ${packedRun} succeeded in `, 'm'));
  });

  it("counts what the images layout counts: inputs = features + errors, the same figures and keys", async () => {
    const packed = readManifest(packedRun);
    const images = readManifest(imagesRun);
    expect(packed.counts.inputs).toBe(countImages(input.dir));
    expect(packed.counts.features + packed.counts.errors).toBe(packed.counts.inputs);
    expect(packed.counts).toEqual(images.counts);
    expect(packed.spark.input_format).toBe('packed');
    const keys = async (run: string) => (await readParquetFolder(run, 'features')).map((r) => `${r.label}|${r.key}`).sort();
    expect(await keys(packedRun)).toEqual(await keys(imagesRun));
  });

  it("leaves the images layout's prefix as it was, and a second sync of the packed files uploads nothing", async () => {
    const { bucket, s3 } = stackS3();
    try {
      expect(await listObjects(s3, bucket, `inputs/${folder}/`)).toHaveLength(countImages(input.dir));
      const cfg = loadConfig({ root: ROOT, configPath: env.configPath, env: process.env, flags: { inputFormat: 'packed' } });
      const plan = planPackedInput(cfg, await scanLocalFolder(input.dir), folder);
      const remote = await listObjects(s3, bucket, plan.prefix);
      expect(remote.map((o) => o.key)).toEqual(plan.pack.shards.map((s) => `${plan.prefix}${s.name}`));

      const out = memoryOutput();
      const python = projectPython().python!;
      const ctx = { out, env: process.env, signal: new AbortController().signal, stack: new ResourceStack() };
      const packed = await packAndUpload(cfg, ctx, plan, { python, s3, bucket, time: (_step, fn) => fn() });
      expect(packed.reused).toBe(true);
      expect(out.text()).toMatch(new RegExp(`upload packed input -> s3://${bucket}/${plan.prefix}: 0 to upload \\(0 B\\), ${plan.pack.shards.length} unchanged`));
      expect(out.text()).toContain(`0 uploaded, ${plan.pack.shards.length} unchanged`);

      // The packer's files: one row per image, keyed and labelled like the images layout.
      const rows = [];
      for (const f of packed.files) rows.push(...(await parquetReadObjects({ file: await asyncBufferFromFile(f.absPath), columns: ['key', 'label'] })));
      expect(rows).toHaveLength(countImages(input.dir));
      expect(rows[0]).toMatchObject({ key: plan.pack.shards[0]!.files[0]!.relPath, label: plan.pack.shards[0]!.files[0]!.relPath.split('/').at(-2) });
    } finally {
      s3.destroy();
    }
  });
});
