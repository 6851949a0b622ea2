/**
 * Uploads the plan's objects, skipping those already in S3 with the same bytes. One ListObjectsV2 per
 * prefix gives every existing object's size and ETag (the MD5 of a single-part upload), so a rerun on the
 * same inputs and artifact uploads nothing. Each PutObject carries Content-MD5, so S3 rejects corrupted bytes.
 */
import { readFile } from 'node:fs/promises';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Output } from '../commands/types.js';
import { toCloudError } from './aws-errors.js';
import type { PlannedUpload } from './plan.js';

const CONCURRENCY = 8;

/** The prefix listed to find existing objects: the first two key segments (inputs/<name>/, artifacts/<sha>/...). */
export function listingPrefix(key: string): string {
  const parts = key.split('/');
  return parts.length > 2 ? `${parts.slice(0, 2).join('/')}/` : `${parts.slice(0, -1).join('/')}/`;
}

export async function existingObjects(s3: S3Client, bucket: string, prefixes: Iterable<string>, signal?: AbortSignal): Promise<Map<string, { size: number; etag: string }>> {
  const found = new Map<string, { size: number; etag: string }>();
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal });
      for (const o of page.Contents ?? []) {
        if (o.Key) found.set(o.Key, { size: o.Size ?? -1, etag: (o.ETag ?? '').replace(/"/g, '') });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return found;
}

/** Runs `fn` over items with at most `limit` in flight; the first failure rejects (the others finish first). */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

export interface UploadSummary {
  uploaded: number;
  unchanged: number;
  bytesUploaded: number;
}

export async function uploadPlanned(
  s3: S3Client,
  bucket: string,
  uploads: PlannedUpload[],
  out: Output,
  signal?: AbortSignal,
): Promise<UploadSummary> {
  try {
    const existing = await existingObjects(s3, bucket, new Set(uploads.map((u) => listingPrefix(u.key))), signal);
    const todo = uploads.filter((u) => {
      const e = existing.get(u.key);
      return !(e && e.size === u.bytes && e.etag === u.md5);
    });
    const summary: UploadSummary = { uploaded: 0, unchanged: uploads.length - todo.length, bytesUploaded: 0 };
    out.info(`uploading ${todo.length} of ${uploads.length} objects to s3://${bucket}/ (${summary.unchanged} unchanged)`);
    await pool(todo, CONCURRENCY, async (u) => {
      const body = await readFile(u.source);
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: u.key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: Buffer.from(u.md5, 'hex').toString('base64'),
        }),
        { abortSignal: signal },
      );
      summary.uploaded++;
      summary.bytesUploaded += body.length;
    });
    return summary;
  } catch (err) {
    if (signal?.aborted) throw err;
    throw toCloudError(err, `uploading to s3://${bucket}/`);
  }
}
