/**
 * Which planned uploads travel packed in tar archives, and how they are grouped. Pure.
 *
 * Why: the local stacks' MinIO unpacks a tar archive sent with its auto-extract header into one object per entry
 * (archive-upload.ts). One PutObject per image costs a request's signing and HTTP round trip on both sides:
 * measured on this project's 2-core machine, 24,960 sample images took 23.4 s as single PUTs (19 CPU-s in Node's
 * S3 client, 22 in MinIO) and 12.3 s as one archive (0.4 and 17.7 CPU-s). On a 2-core laptop that CPU is taken
 * from the job that follows.
 *
 * AWS S3 has no such header (it would store the archive as one object), so only a store known to unpack archives
 * gets them: the uploader's `archives` option, which the local-stack targets set and the EMR targets never do.
 * Large files stay single PUTs, streamed from disk: an archive is built in memory, bounded by the limits here.
 */
import { posix } from 'node:path';
import type { UploadItem } from './upload-plan.js';

export interface ArchiveLimits {
  /** A file larger than this goes up alone (streamed), never inside an archive. */
  maxEntryBytes: number;
  /** An archive's content bytes: what one archive in flight holds in memory. */
  maxArchiveBytes: number;
  /** Entries per archive: the progress line moves once per archive, and a failed archive is retried whole. */
  maxArchiveEntries: number;
}

const MiB = 1024 * 1024;

export const ARCHIVE_LIMITS: ArchiveLimits = { maxEntryBytes: 1 * MiB, maxArchiveBytes: 32 * MiB, maxArchiveEntries: 2_000 };

export interface ArchiveBatches {
  /** Groups of small files, each sent as one archive, in plan order. */
  archives: UploadItem[][];
  /** Files sent as single PutObjects: larger than maxEntryBytes, or a key an archive cannot carry. */
  single: UploadItem[];
}

/**
 * MinIO stores an entry at `path.Clean(name)`: a key that cleaning would change ('a//b', 'a/./b', a leading '/')
 * must go up as a single PUT, or it would land under another key.
 */
export function archivableKey(key: string): boolean {
  return key.length > 0 && !key.startsWith('/') && !key.endsWith('/') && posix.normalize(key) === key;
}

/** Groups the plan's uploads greedily, in order: a new archive starts when the next file would pass a limit. */
export function planArchiveBatches(items: UploadItem[], limits: ArchiveLimits = ARCHIVE_LIMITS): ArchiveBatches {
  const archives: UploadItem[][] = [];
  const single: UploadItem[] = [];
  let current: UploadItem[] = [];
  let bytes = 0;
  for (const item of items) {
    if (item.file.size > limits.maxEntryBytes || !archivableKey(item.key)) {
      single.push(item);
      continue;
    }
    if (current.length > 0 && (current.length >= limits.maxArchiveEntries || bytes + item.file.size > limits.maxArchiveBytes)) {
      archives.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.file.size;
  }
  if (current.length > 0) archives.push(current);
  return { archives, single };
}
