/**
 * Reading run outputs: local folders, run ids, file:// and s3:// (through a fake S3 client holding the same files);
 * and every broken input gives a RunOutputError naming the run, the file and a fix instead of a stack trace.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { CloudError, ParityError } from '../../src/errors.js';
import { loadRun } from '../../src/outputs/load-run.js';
import { RunOutputError } from '../../src/outputs/run-output-error.js';
import { openRunSource } from '../../src/outputs/source.js';
import { READ_LIMITS } from '../../src/outputs/sample.js';
import { tryParseS3Uri as parseS3Uri } from '../../src/storage/s3-uri.js';
import { baseRun, writeRun } from '../fixtures/parity/synthetic-run.js';

const root = mkdtempSync(path.join(tmpdir(), 'parity-source-'));
let n = 0;
const freshRun = () => writeRun(path.join(root, `run-${++n}`), baseRun());

async function loadError(location: string): Promise<RunOutputError> {
  const err = await loadRun(openRunSource(location)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunOutputError);
  return err as RunOutputError;
}

describe('loadRun from a local folder', () => {
  it('reads every table of a run folder, skipping _SUCCESS and .crc files, across part files', async () => {
    const run = await loadRun(openRunSource(freshRun()));
    expect(run.manifest.run_id).toBe('run-a');
    expect(run.features.size).toBe(12);
    expect(run.errors.get('Apricot/broken.jpg')).toEqual({ label: 'Apricot', reason: 'cannot identify image file' });
    expect(run.features.get('Banana/2_100.jpg')!.features).toHaveLength(16);
    expect(run.pca.size).toBe(12);
    expect(run.components.map((c) => c.length)).toEqual([16, 16, 16, 16]);
    expect(run.rows).toEqual({ features: 12, errors: 1, pca: 12 });
  });

  it('accepts file:// URIs and bare run ids under the runs folder', async () => {
    const dir = freshRun();
    expect((await loadRun(openRunSource(pathToFileURL(dir).href))).manifest.run_id).toBe('run-a');
    const source = openRunSource(path.basename(dir), { runsDir: root, cwd: '/' });
    expect((await loadRun(source)).features.size).toBe(12);
  });

  it('says which folder it looked at when the run does not exist', () => {
    expect(() => openRunSource('nope-123', { runsDir: root, cwd: root })).toThrow(RunOutputError);
    expect(() => openRunSource('nope-123', { runsDir: root, cwd: root })).toThrow(/no such run folder \(looked at .*nope-123/);
    expect(() => openRunSource('gs://bucket/run')).toThrow(/unsupported URI scheme/);
  });

  it('a missing manifest: the run did not complete', async () => {
    const dir = freshRun();
    rmSync(path.join(dir, 'manifest.json'));
    const err = await loadError(dir);
    expect(err.message).toBe(`run ${dir}: no manifest.json: the run did not complete, or this is not a run output folder`);
    expect(err.fix).toMatch(/runs\/<run-id> folder/);
    expect(err).toBeInstanceOf(ParityError);
    expect(err.exitCode).toBe(6);
  });

  it('a truncated manifest: not valid JSON', async () => {
    const dir = freshRun();
    const text = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    writeFileSync(path.join(dir, 'manifest.json'), text.slice(0, text.length / 2));
    expect((await loadError(dir)).message).toMatch(/manifest\.json is not valid JSON .*corrupted or truncated/);
  });

  it('a manifest missing fields or of another schema version names each field', async () => {
    const dir = freshRun();
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    delete m.weights.sha256;
    m.counts.inputs = 'many';
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const err = await loadError(dir);
    expect(err.message).toMatch(/does not match the job contract/);
    expect(err.message).toMatch(/counts\.inputs: /);
    expect(err.message).toMatch(/weights\.sha256: /);

    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, schema_version: 2 }));
    expect((await loadError(dir)).message).toMatch(/schema_version: this workbench reads manifest schema_version 1/);
  });

  it('a failed run is refused', async () => {
    const dir = freshRun();
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, status: 'failed' }));
    expect((await loadError(dir)).message).toMatch(/did not succeed \(manifest status "failed"\)/);
  });

  it('a missing table folder, a corrupted part file and a wrong vector length are named', async () => {
    const dir = freshRun();
    rmSync(path.join(dir, 'pca_components'), { recursive: true });
    expect((await loadError(dir)).message).toMatch(/the pca_components\/ output folder is missing/);

    const dir2 = freshRun();
    const part = readdirSync(path.join(dir2, 'features')).find((f) => f.startsWith('part-'))!;
    writeFileSync(path.join(dir2, 'features', part), 'not parquet at all');
    expect((await loadError(dir2)).message).toMatch(new RegExp(`features/${part} is not a readable Parquet file with columns key, label, features`));

    const dir3 = freshRun();
    const m = JSON.parse(readFileSync(path.join(dir3, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir3, 'manifest.json'), JSON.stringify({ ...m, feature_dim: 1280 }));
    expect((await loadError(dir3)).message).toMatch(/column "features" has 16 values, the manifest says 1280/);
  });
});

/** A fake S3 client serving a local folder as bucket "fruits" (only the two calls parity makes). */
function fakeS3(folder: string, opts: { deny?: boolean } = {}): S3Client {
  const files = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else files.set(`${prefix}${name}`, readFileSync(full));
    }
  };
  walk(folder, 'runs/r1/');
  const calls: string[] = [];
  const client = {
    calls,
    async send(command: unknown) {
      if (opts.deny) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      if (command instanceof ListObjectsV2Command) {
        const { Prefix = '', ContinuationToken } = command.input;
        const keys = [...files.keys()].filter((k) => k.startsWith(Prefix)).sort();
        // Pages of 3 keys, to exercise pagination.
        const start = ContinuationToken ? Number(ContinuationToken) : 0;
        const page = keys.slice(start, start + 3);
        calls.push(`list ${Prefix} ${start}`);
        const more = start + 3 < keys.length;
        return { Contents: page.map((Key) => ({ Key, Size: files.get(Key)!.length })), IsTruncated: more, NextContinuationToken: more ? String(start + 3) : undefined };
      }
      if (command instanceof GetObjectCommand) {
        const body = files.get(command.input.Key!);
        if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        // Range: bytes=start-last (inclusive), as S3 serves it.
        const range = /^bytes=(\d+)-(\d+)$/.exec(command.input.Range ?? '');
        const bytes = range ? body.subarray(Number(range[1]), Number(range[2]) + 1) : body;
        calls.push(`get ${command.input.Key}${range ? ` ${range[1]}-${range[2]}` : ''}`);
        return { Body: { transformToByteArray: async () => new Uint8Array(bytes) } };
      }
      throw new Error('unexpected command');
    },
  };
  return client as unknown as S3Client;
}

describe('loadRun from S3', () => {
  it('parses s3:// and s3a:// URIs', () => {
    expect(parseS3Uri('s3a://fruits/runs/r1/')).toEqual({ bucket: 'fruits', key: 'runs/r1/' });
    expect(parseS3Uri('s3://fruits')).toEqual({ bucket: 'fruits', key: '' });
    expect(parseS3Uri('/runs/r1')).toBeUndefined();
  });

  it('reads the same run through the S3 client as from the folder', async () => {
    const dir = freshRun();
    const buckets: string[] = [];
    const client = fakeS3(dir);
    const fromS3 = await loadRun(openRunSource('s3a://fruits/runs/r1/', { s3Client: (w) => (buckets.push(w.bucket), client) }));
    const local = await loadRun(openRunSource(dir));
    expect(buckets).toEqual(['fruits']);
    expect([...fromS3.features.keys()]).toEqual([...local.features.keys()]);
    expect(fromS3.components).toEqual(local.components);
    const calls = (client as unknown as { calls: string[] }).calls;
    expect(calls).toContain('list runs/r1/features/ 3');
    // Part files are read by ranges (footer, then column chunks), never whole.
    const featureGets = calls.filter((c) => c.startsWith('get runs/r1/features/part-'));
    expect(featureGets.length).toBeGreaterThan(0);
    expect(featureGets.every((c) => / \d+-\d+$/.test(c))).toBe(true);
  });

  it('samples a large run read through S3 exactly as from the folder, by ranged reads', async () => {
    const dir = writeRun(path.join(root, `run-${++n}`), baseRun({ labels: ['Apricot', 'Banana', 'Cherry', 'Kiwi'], perLabel: 100 }), { parts: 5, pageSize: 1024 });
    const limits = { ...READ_LIMITS, batchRows: 32, keysWhole: 100, valuesWhole: 100, sampleRows: 30 };
    const client = fakeS3(dir);
    const fromS3 = await loadRun(openRunSource('s3://fruits/runs/r1/', { s3Client: () => client }), limits);
    const local = await loadRun(openRunSource(dir), limits);
    expect(fromS3.features.size).toBe(30);
    expect([...fromS3.features.keys()]).toEqual([...local.features.keys()]);
    expect(fromS3.features.get([...local.features.keys()][0]!)!.features).toEqual(local.features.get([...local.features.keys()][0]!)!.features);
    expect(fromS3.tables.features.keyDigest.toString()).toBe(local.tables.features.keyDigest.toString());
    const gets = (client as unknown as { calls: string[] }).calls.filter((c) => c.startsWith('get runs/r1/features/part-'));
    expect(gets.every((c) => / \d+-\d+$/.test(c))).toBe(true);
  });

  it('a run with no manifest in the bucket, no client, or no access', async () => {
    const dir = freshRun();
    rmSync(path.join(dir, 'manifest.json'));
    await expect(loadRun(openRunSource('s3://fruits/runs/r1', { s3Client: () => fakeS3(dir) }))).rejects.toThrow(/no manifest\.json/);
    expect(() => openRunSource('s3://fruits/runs/r1')).toThrow(/needs an S3 client/);
    const denied = loadRun(openRunSource('s3://fruits/runs/r1', { s3Client: () => fakeS3(dir, { deny: true }) }));
    await expect(denied).rejects.toBeInstanceOf(CloudError);
    await expect(denied).rejects.toThrow(/reading s3:\/\/fruits\/runs\/r1\/manifest\.json failed: AccessDenied/);
  });
});
