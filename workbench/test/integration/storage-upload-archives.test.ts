/**
 * Small files go up to the local stacks' MinIO packed in tar archives that the server unpacks (storage/
 * archive-upload.ts). Against a real MinIO: every file lands at its key holding its bytes (ETag = MD5, what the
 * next plan compares with), dated at the upload, with nothing else under the prefix (no archive object, no folder
 * objects), long and non-ASCII keys included; a large file goes up alone; a second sync uploads nothing, and an
 * edit and a deletion are mirrored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolPaths } from '../../src/setup/tools.js';
import { ensureBucket } from '../../src/stack/bucket.js';
import type { StartedService } from '../../src/stack/types.js';
import { ARCHIVE_LIMITS } from '../../src/storage/archive-batches.js';
import { listObjects } from '../../src/storage/listing.js';
import { scanLocalFolder } from '../../src/storage/local-folder.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { folderUpload, normalizeEtag } from '../../src/storage/upload-plan.js';
import { syncUploads } from '../../src/storage/uploader.js';
import { memoryOutput } from '../../src/terminal/index.js';
import { setupTools } from './stack-fixtures/env.js';
import { testMinio } from './stack-fixtures/minio.js';

const BUCKET = 'archive-test';
const PREFIX = 'inputs/fruits';
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('uploads packed in archives that MinIO unpacks', () => {
  let tools: ToolPaths;
  let minio: StartedService | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-upload-archives-'));
  const input = path.join(dir, 'fruits');
  beforeAll(async () => {
    tools = await setupTools();
  });
  afterAll(async () => {
    await minio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands every file at its key with its bytes, and mirrors later edits', async () => {
    const { handle, credentials } = await testMinio(tools, path.join(dir, 'minio'));
    const signal = new AbortController().signal;
    minio = await handle.start(signal);
    const access = { endpoint: minio.endpoints.s3!, region: 'eu-west-3', bucket: BUCKET, ...credentials };
    await ensureBucket(access, signal);
    const s3 = createS3Client(access);

    // More files than one archive holds, in a few class folders; one large file; awkward names.
    const bytes = new Map<string, Buffer>();
    const put = (rel: string, data: Buffer) => {
      mkdirSync(path.dirname(path.join(input, rel)), { recursive: true });
      writeFileSync(path.join(input, rel), data);
      // An old file date: the object must still be dated at the upload, as a PUT would be.
      utimesSync(path.join(input, rel), new Date('2001-01-01'), new Date('2001-01-01'));
      bytes.set(`${PREFIX}/${rel}`, data);
    };
    const n = ARCHIVE_LIMITS.maxArchiveEntries + 150;
    for (let i = 0; i < n; i++) put(`Class ${i % 4}/${i}_100.jpg`, randomBytes(200 + (i % 300)));
    put(`${'a-rather-long-folder-name/'.repeat(6)}Pêche/1_100.jpg`, randomBytes(900));
    put('Big/large.png', randomBytes(ARCHIVE_LIMITS.maxEntryBytes + 1));

    const sync = async () => {
      const { request, ignored } = folderUpload(await scanLocalFolder(input), BUCKET, PREFIX);
      let last = 0;
      const result = await syncUploads(s3, request, { out: memoryOutput(), label: 'upload', signal, ignored, archives: true, onProgress: (p) => (last = p.done) });
      return { ...result, progressed: last };
    };
    const before = Date.now() - 60_000;
    const first = await sync();
    expect(first.uploaded).toBe(bytes.size);
    expect(first.progressed).toBe(bytes.size);

    const listed = await listObjects(s3, BUCKET, `${PREFIX}/`);
    expect(listed.map((o) => o.key).sort()).toEqual([...bytes.keys()].sort());
    for (const o of listed) {
      expect(normalizeEtag(o.etag), o.key).toBe(md5(bytes.get(o.key)!));
      expect(o.size, o.key).toBe(bytes.get(o.key)!.length);
    }
    // Nothing outside the prefix either (the archive itself is not stored).
    expect((await listObjects(s3, BUCKET, '')).length).toBe(bytes.size);
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/Class 0/0_100.jpg` }));
    expect(head.LastModified!.getTime()).toBeGreaterThan(before);

    expect((await sync()).uploaded).toBe(0);

    put('Class 1/1_100.jpg', randomBytes(333));
    rmSync(path.join(input, 'Class 2/2_100.jpg'));
    bytes.delete(`${PREFIX}/Class 2/2_100.jpg`);
    const third = await sync();
    expect([third.uploaded, third.deleted]).toEqual([1, 1]);
    const after = new Map((await listObjects(s3, BUCKET, `${PREFIX}/`)).map((o) => [o.key, o]));
    expect(after.size).toBe(bytes.size);
    expect(normalizeEtag(after.get(`${PREFIX}/Class 1/1_100.jpg`)!.etag)).toBe(md5(bytes.get(`${PREFIX}/Class 1/1_100.jpg`)!));
    s3.destroy();
  });
});
