/**
 * Small files sent as one tar archive that MinIO unpacks on arrival (its "auto-extract" PutObject, the metadata
 * below): one request for up to ARCHIVE_LIMITS.maxArchiveEntries objects instead of one each. Why, measured,
 * and which stores get it: archive-batches.ts.
 *
 * What stays as with single PUTs:
 * - The archive carries Content-MD5, so MinIO refuses damaged bytes. Each unpacked object's ETag is its content's
 *   MD5, which the uploader's check after the upload compares with every file (uploader.ts mismatchedKeys).
 * - A failed archive is retried whole (retry.ts); unpacking an archive again overwrites the same keys.
 * - Entries are dated now, so LastModified is the upload's time as with a PUT (MinIO keeps a tar entry's time).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pack } from 'tar-stream';
import { withRetry } from './retry.js';
import type { UploadItem } from './upload-plan.js';

/**
 * User metadata that makes MinIO unpack the body instead of storing it (x-amz-meta-snowball-auto-extract), and
 * skip directory entries (the archives here hold none, but a directory object would be counted as an input).
 */
export const AUTO_EXTRACT_METADATA = { 'snowball-auto-extract': 'true', 'minio-snowball-ignore-dirs': 'true' } as const;

/** The tar archive of `items` (names are the keys; long or non-ASCII keys get PAX headers from tar-stream). */
export async function packArchive(items: Pick<UploadItem, 'key' | 'file'>[], now: Date = new Date()): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  try {
    for (const { key, file } of items) {
      const data = await readFile(file.absPath);
      await new Promise<void>((resolve, reject) => tar.entry({ name: key, size: data.length, mtime: now, mode: 0o644 }, data, (err) => (err ? reject(err) : resolve())));
    }
    tar.finalize();
  } catch (err) {
    tar.destroy(err as Error);
    await collected.catch(() => {});
    throw err;
  }
  await collected;
  return Buffer.concat(chunks);
}

/** Sends `items` as one archive for the store to unpack under their keys. */
export async function putArchive(client: S3Client, bucket: string, items: UploadItem[], signal?: AbortSignal): Promise<void> {
  const body = await packArchive(items);
  const md5 = createHash('md5').update(body).digest('base64');
  // The archive's own key is not stored: MinIO writes the entries and nothing else. It names the first entry's
  // folder so that a server log line points at the upload it came from.
  const first = items[0]!.key;
  const key = `${first.includes('/') ? first.slice(0, first.lastIndexOf('/') + 1) : ''}upload-${items.length}.tar`;
  await withRetry(
    () =>
      client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: md5, ContentType: 'application/x-tar', Metadata: { ...AUTO_EXTRACT_METADATA } }),
        { abortSignal: signal },
      ),
    { signal },
  );
}
