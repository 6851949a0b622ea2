/**
 * The one uploader, for the local stack's MinIO and for the EMR bucket alike: list what is there, plan
 * (upload-plan.ts), upload new and changed files with bounded concurrency, remove stale objects under mirrored
 * prefixes, then list again and check that every key holds its file's MD5.
 *
 * Every file goes up as one PutObject with Content-MD5 (the server verifies the bytes, and its ETag is then the
 * MD5 the next plan compares with). The body is a stream of the file, never the file in memory: the venv archive
 * of the Serverless target is ~510 MB, and eight of them in flight must not need gigabytes. One PutObject, not a
 * multipart upload, because a multipart ETag is not the MD5 the plan and the check afterwards compare with
 * (PutObject takes up to 5 GB). Each call is retried while the store is briefly away (retry.ts), with a fresh
 * stream: an upload survives a MinIO restart in the middle. Progress goes through the Output's task (one live
 * line on a TTY, quarter lines in a log).
 *
 * To a store that unpacks archives (the local stacks' MinIO, option `archives`), small files go up packed, up to
 * 2,000 per request (archive-batches.ts, archive-upload.ts); the plan, the check afterwards and the result are
 * the same.
 */
import { createReadStream } from 'node:fs';
import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CloudError } from '../errors.js';
import type { Output } from '../terminal/index.js';
import { planArchiveBatches } from './archive-batches.js';
import { putArchive } from './archive-upload.js';
import { forEachLimited } from './for-each-limited.js';
import { listObjects } from './listing.js';
import { md5File } from './local-folder.js';
import { withRetry } from './retry.js';
import { describeUploadPlan, listingPrefixes, normalizeEtag, planUploads, type LocalFile, type UploadItem, type UploadPlan, type UploadRequest } from './upload-plan.js';

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

/** Bytes read from a file per chunk while it is uploaded: what one upload in flight holds in memory. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

/**
 * One file as one PutObject, streamed from disk. The MD5 is the planned one (the scan hashed the file, streaming);
 * if the file changed since, the server refuses the mismatching Content-MD5 and nothing wrong is stored.
 * A file planned without one (a non-image in a scanned folder) is hashed here first, streaming too.
 */
export async function putFile(client: S3Client, bucket: string, key: string, file: Pick<LocalFile, 'absPath' | 'size' | 'md5'>, signal?: AbortSignal): Promise<void> {
  const md5Hex = /^[0-9a-f]{32}$/i.test(file.md5) ? file.md5 : await md5File(file.absPath);
  const md5 = Buffer.from(md5Hex, 'hex').toString('base64');
  await withRetry(
    () => {
      const body = createReadStream(file.absPath, { highWaterMark: UPLOAD_CHUNK_BYTES });
      return client
        .send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: file.size, ContentMD5: md5, ContentType: contentType(key) }),
          { abortSignal: signal },
        )
        .finally(() => body.destroy());
    },
    { signal },
  );
}

/** Archives in flight at once; each holds at most ARCHIVE_LIMITS.maxArchiveBytes in memory. */
export const ARCHIVES_IN_FLIGHT = 2;

export interface ExecuteOptions {
  signal?: AbortSignal;
  concurrency?: number;
  /**
   * The store unpacks tar archives sent with MinIO's auto-extract metadata: only the local stacks' MinIO. Never
   * set it for AWS S3, which would store each archive as one object.
   */
  archives?: boolean;
  onProgress?: (p: UploadProgress) => void;
}

function uploadError(plan: Pick<UploadPlan, 'bucket' | 'prefix'>, err: unknown): CloudError {
  return new CloudError(
    `upload to s3://${plan.bucket}/${plan.prefix} failed: ${err instanceof Error ? err.message : String(err)}`,
    'check that the store is running (npm run local starts it) and that the bucket exists and is writable with these credentials',
    { cause: err },
  );
}

/** Executes a plan: uploads, then removes stale objects. */
export async function executeUploadPlan(client: S3Client, plan: UploadPlan, opts: ExecuteOptions = {}): Promise<UploadResult> {
  const progress: UploadProgress = { done: 0, total: plan.toUpload.length, bytesDone: 0, bytesTotal: plan.bytesToUpload };
  const { signal } = opts;
  try {
    const advance = (items: UploadItem[]) => {
      progress.done += items.length;
      for (const item of items) progress.bytesDone += item.file.size;
      opts.onProgress?.({ ...progress });
    };
    const { archives, single } = opts.archives ? planArchiveBatches(plan.toUpload) : { archives: [], single: plan.toUpload };
    // Two archives in flight: one is packed while MinIO unpacks the other (which writes 16 entries at a time).
    await forEachLimited(archives, ARCHIVES_IN_FLIGHT, async (batch) => {
      signal?.throwIfAborted();
      await putArchive(client, plan.bucket, batch, signal);
      advance(batch);
    });
    await forEachLimited(single, opts.concurrency ?? 8, async (item) => {
      signal?.throwIfAborted();
      await putFile(client, plan.bucket, item.key, item.file, signal);
      advance([item]);
    });
    for (let i = 0; i < plan.toDelete.length; i += 1000) {
      signal?.throwIfAborted();
      const batch = plan.toDelete.slice(i, i + 1000);
      const res = await withRetry(
        () => client.send(new DeleteObjectsCommand({ Bucket: plan.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: signal }),
        { signal },
      );
      if (res.Errors && res.Errors.length > 0) {
        const first = res.Errors[0]!;
        throw new CloudError(`could not remove ${res.Errors.length} stale object(s) under s3://${plan.bucket}/${plan.prefix}: ${first.Key}: ${first.Message}`);
      }
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof CloudError) throw err;
    throw uploadError(plan, err);
  }
  return { uploaded: plan.toUpload.length, unchanged: plan.unchanged.length, deleted: plan.toDelete.length, bytes: plan.bytesToUpload };
}

/** Lists the remote state a request depends on. */
export async function listRemote(client: S3Client, req: UploadRequest, signal?: AbortSignal) {
  const lists = [];
  for (const prefix of listingPrefixes(req)) lists.push(await withRetry(() => listObjects(client, req.bucket, prefix, signal), { signal }));
  return lists.flat();
}

/** Keys of the request whose remote object is missing or does not hold the file's MD5. */
export async function mismatchedKeys(client: S3Client, req: UploadRequest, signal?: AbortSignal): Promise<string[]> {
  const remote = new Map((await listRemote(client, req, signal)).map((o) => [o.key, o]));
  return req.items
    .filter(({ file, key }) => {
      const r = remote.get(key);
      return !r || r.size !== file.size || normalizeEtag(r.etag) !== file.md5.toLowerCase();
    })
    .map((i) => i.key);
}

export interface SyncOptions extends ExecuteOptions {
  out: Output;
  /** Names the upload in the output, e.g. "upload inputs/fruits -> s3://bucket/inputs/fruits/". */
  label: string;
  /** Files the request left out (not images), reported in the plan line. */
  ignored?: string[];
}

/**
 * Puts a request in the bucket: list, plan, upload, remove stale, verify. Unchanged files are not uploaded again.
 * Afterwards every key holds its file's bytes (by MD5) and mirrored prefixes hold nothing else.
 */
export async function syncUploads(client: S3Client, req: UploadRequest, o: SyncOptions): Promise<UploadResult & { plan: UploadPlan }> {
  const { out, signal } = o;
  let plan: UploadPlan;
  try {
    plan = planUploads(req, await listRemote(client, req, signal), o.ignored);
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw uploadError({ bucket: req.bucket, prefix: req.mirror[0] ?? '' }, err);
  }
  out.info(`${o.label}: ${describeUploadPlan(plan)}`);
  const task = out.task('  uploading', { total: plan.toUpload.length });
  let result: UploadResult;
  try {
    result = await executeUploadPlan(client, plan, {
      ...o,
      onProgress: (p) => {
        task.progress(p.done);
        o.onProgress?.(p);
      },
    });
  } finally {
    task.end();
  }
  // A PUT whose answer was lost (the server went away mid-request) may or may not have landed: check them all.
  let bad: string[];
  try {
    bad = await mismatchedKeys(client, req, signal);
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw uploadError(plan, err);
  }
  if (bad.length > 0) {
    throw new CloudError(
      `after the upload, ${bad.length} object(s) under s3://${req.bucket}/ do not hold their file's bytes (first: ${bad[0]})`,
      'run the command again: unchanged files are skipped and the others are uploaded again',
    );
  }
  out.info(`  ${result.uploaded} uploaded, ${result.unchanged} unchanged${result.deleted ? `, ${result.deleted} stale removed` : ''}`);
  return { ...result, plan };
}
