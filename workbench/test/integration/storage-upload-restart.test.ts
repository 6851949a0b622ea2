/**
 * The one uploader against a real MinIO that is restarted in the middle of an upload of the shared sample:
 * afterwards every object holds its file's bytes (MD5) and nothing is missing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSampleImagesDir } from '../../src/setup/shared.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { ensureBucket } from '../../src/stack/bucket.js';
import type { StartedService } from '../../src/stack/types.js';
import { listObjects } from '../../src/storage/listing.js';
import { scanLocalFolder } from '../../src/storage/local-folder.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { folderUpload, normalizeEtag } from '../../src/storage/upload-plan.js';
import { syncUploads } from '../../src/storage/uploader.js';
import { memoryOutput } from '../../src/terminal/index.js';
import { ROOT, setupTools } from './stack-fixtures/env.js';
import { testMinio } from './stack-fixtures/minio.js';

const sample = sharedSampleImagesDir(ROOT, process.env);
const present = existsSync(sample);
if (!present) console.log(`storage-upload-restart: skipped, the shared sample is absent (${sample})`);

describe.skipIf(!present)('uploads survive a MinIO restart in the middle', () => {
  let tools: ToolPaths;
  const dirs: string[] = [];
  let current: StartedService | undefined;
  let restart: Promise<void> | undefined;
  beforeAll(async () => {
    tools = await setupTools();
  });
  afterAll(async () => {
    // A failed upload may end while the restart is still under way: let it finish, then stop what it started.
    await restart?.catch(() => {});
    await current?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('restarts the real MinIO process during an upload of the shared sample; every object then has its file\'s MD5', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-restart-'));
    dirs.push(dir);
    const { handle, credentials } = await testMinio(tools, dir);
    const signal = new AbortController().signal;
    current = await handle.start(signal);
    const s3Access = { endpoint: current.endpoints.s3!, region: 'eu-west-3', bucket: 'restart-test', ...credentials };
    await ensureBucket(s3Access, signal);
    const s3 = createS3Client(s3Access);

    const files = await scanLocalFolder(sample);
    const { request } = folderUpload(files, 'restart-test', 'inputs/fruits-360-sample');
    expect(request.items.length).toBeGreaterThan(100);

    // One PUT at a time, so the restart lands while most of the sample is still to go.
    let doneAtRestart = -1;
    let restarted = false;
    let uploadedAfterRestart = 0;
    const out = memoryOutput();
    const result = await syncUploads(s3, request, {
      out,
      label: 'upload',
      concurrency: 1,
      onProgress: (p) => {
        if (restarted) uploadedAfterRestart++;
        if (restart || p.done < 20) return;
        doneAtRestart = p.done;
        restart = (async () => {
          await current!.stop();
          current = await handle.start(signal);
          restarted = true;
        })();
      },
    });
    await restart;
    expect(doneAtRestart).toBeGreaterThan(0);
    expect(doneAtRestart).toBeLessThan(request.items.length);
    expect(result.uploaded).toBe(request.items.length);
    // The upload went on through the restart: images went up to the new process too.
    expect(uploadedAfterRestart).toBeGreaterThan(0);

    // Every key holds its file's bytes, and the prefix holds nothing else.
    const remote = new Map((await listObjects(s3, 'restart-test', 'inputs/fruits-360-sample/')).map((o) => [o.key, o]));
    expect(remote.size).toBe(request.items.length);
    for (const { file, key } of request.items) {
      const o = remote.get(key);
      expect(o, key).toBeDefined();
      expect(normalizeEtag(o!.etag), key).toBe(file.md5);
      expect(o!.size, key).toBe(file.size);
    }
    s3.destroy();
  });
});
