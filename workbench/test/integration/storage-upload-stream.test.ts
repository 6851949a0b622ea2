/**
 * The one uploader streams each file from disk (the Serverless venv archive is ~510 MB): against a real MinIO, a
 * 384 MB file and a 32 MB file go up through syncUploads while the process's ArrayBuffer memory is sampled. A
 * reader of the whole file would hold at least the file's size; a stream holds a few chunks, whatever the size.
 * Afterwards both objects hold their file's MD5 (one PutObject each: the ETag the next plan compares with).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolPaths } from '../../src/setup/tools.js';
import { ensureBucket } from '../../src/stack/bucket.js';
import type { StartedService } from '../../src/stack/types.js';
import { listObjects } from '../../src/storage/listing.js';
import { describeFile } from '../../src/storage/local-folder.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { normalizeEtag } from '../../src/storage/upload-plan.js';
import { syncUploads } from '../../src/storage/uploader.js';
import { memoryOutput } from '../../src/terminal/index.js';
import { setupTools } from './stack-fixtures/env.js';
import { testMinio } from './stack-fixtures/minio.js';

const MB = 1024 * 1024;

/** A file of `mb` MiB of varied bytes, written a MiB at a time (the test itself never holds it whole). */
async function bigFile(file: string, mb: number): Promise<void> {
  const h = await open(file, 'w');
  const chunk = Buffer.alloc(MB);
  for (let i = 0; i < mb; i++) {
    chunk.writeUInt32LE(i, (i * 4096) % (MB - 4));
    chunk.fill(i & 0xff, 0, 64);
    await h.write(chunk);
  }
  await h.close();
}

/** The highest ArrayBuffer memory above the start while `work` runs, sampled every 10 ms. */
async function peakArrayBuffers(work: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(sample);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers) - base;
}

describe('the uploader streams large files', () => {
  let tools: ToolPaths;
  let minio: StartedService | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-upload-stream-'));
  beforeAll(async () => {
    tools = await setupTools();
  });
  afterAll(async () => {
    await minio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a 384 MB file holding far less than its size in memory, and the object holds its MD5', async () => {
    const { handle, credentials } = await testMinio(tools, dir);
    const signal = new AbortController().signal;
    minio = await handle.start(signal);
    const s3Access = { endpoint: minio.endpoints.s3!, region: 'eu-west-3', bucket: 'stream-test', ...credentials };
    await ensureBucket(s3Access, signal);
    const s3 = createS3Client(s3Access);

    await bigFile(path.join(dir, 'environment.tar.gz'), 384);
    writeFileSync(path.join(dir, 'small.bin'), Buffer.alloc(32 * MB, 7));
    const large = await describeFile(path.join(dir, 'environment.tar.gz'));
    const small = await describeFile(path.join(dir, 'small.bin'));
    const items = [
      { file: large, key: 'artifacts/abc/environment.tar.gz' },
      { file: small, key: 'artifacts/abc/small.bin' },
    ];
    let uploaded = 0;
    const peak = await peakArrayBuffers(async () => {
      uploaded = (await syncUploads(s3, { bucket: 'stream-test', items, mirror: [] }, { out: memoryOutput(), label: 'upload', signal })).uploaded;
    });
    expect(uploaded).toBe(2);
    // Reading the file whole would need >= 384 MB; a stream holds chunks. Half the file's size leaves room for
    // the SDK's own buffers and garbage not yet collected, and still fails a whole-file read.
    expect(peak).toBeLessThan(large.size / 2);
    console.log(`storage-upload-stream: peak ArrayBuffer growth ${(peak / MB).toFixed(1)} MiB while uploading ${((large.size + small.size) / MB).toFixed(0)} MiB`);

    const remote = new Map((await listObjects(s3, 'stream-test', 'artifacts/abc/')).map((o) => [o.key, o]));
    for (const { file, key } of items) {
      expect(normalizeEtag(remote.get(key)!.etag), key).toBe(file.md5);
      expect(remote.get(key)!.size, key).toBe(file.size);
    }
    // Unchanged: the next sync uploads nothing (the ETag is the file's MD5, as the plan compares).
    expect((await syncUploads(s3, { bucket: 'stream-test', items, mirror: [] }, { out: memoryOutput(), label: 'upload again', signal })).uploaded).toBe(0);
    s3.destroy();
  });
});
