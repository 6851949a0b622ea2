/**
 * Executes an upload plan: uploads new and changed images with bounded concurrency, then removes stale objects.
 * Every image goes up as one PutObject with Content-MD5 (the server verifies the bytes, and its ETag is then the
 * MD5 the next plan compares with: see upload-plan.ts). Progress is reported through a callback; the command
 * decides how to show it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CloudError } from '../errors.js';
import type { UploadPlan } from './upload-plan.js';

export interface UploadProgress {
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface UploadResult {
  uploaded: number;
  unchanged: number;
  deleted: number;
  bytes: number;
}

const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' };

function contentType(key: string): string {
  return CONTENT_TYPES[key.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
}

/** Runs `worker` over `items` with at most `limit` in flight; stops starting new ones after the first failure. */
async function forEachLimited<T>(items: T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await worker(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

export async function executeUploadPlan(
  client: S3Client,
  plan: UploadPlan,
  opts: { signal?: AbortSignal; concurrency?: number; onProgress?: (p: UploadProgress) => void } = {},
): Promise<UploadResult> {
  const progress: UploadProgress = { done: 0, total: plan.toUpload.length, bytesDone: 0, bytesTotal: plan.bytesToUpload };
  try {
    await forEachLimited(plan.toUpload, opts.concurrency ?? 8, async (item) => {
      opts.signal?.throwIfAborted();
      const body = await readFile(item.file.absPath);
      await client.send(
        new PutObjectCommand({
          Bucket: plan.bucket,
          Key: item.key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: createHash('md5').update(body).digest('base64'),
          ContentType: contentType(item.key),
        }),
        { abortSignal: opts.signal },
      );
      progress.done++;
      progress.bytesDone += body.length;
      opts.onProgress?.({ ...progress });
    });
    for (let i = 0; i < plan.toDelete.length; i += 1000) {
      opts.signal?.throwIfAborted();
      const batch = plan.toDelete.slice(i, i + 1000);
      const res = await client.send(
        new DeleteObjectsCommand({ Bucket: plan.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        { abortSignal: opts.signal },
      );
      if (res.Errors && res.Errors.length > 0) {
        const first = res.Errors[0]!;
        throw new CloudError(`could not remove ${res.Errors.length} stale object(s) under s3://${plan.bucket}/${plan.prefix}: ${first.Key}: ${first.Message}`);
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    if (err instanceof CloudError) throw err;
    throw new CloudError(
      `upload to s3://${plan.bucket}/${plan.prefix} failed: ${err instanceof Error ? err.message : String(err)}`,
      'check that the stack is running (npm run local starts it) and that the bucket exists',
      { cause: err },
    );
  }
  return { uploaded: plan.toUpload.length, unchanged: plan.unchanged.length, deleted: plan.toDelete.length, bytes: plan.bytesToUpload };
}
