/**
 * Which local images to upload, which are already in the bucket, and which remote objects are stale. Pure: the
 * local scan (with checksums) and the remote listing are done by the caller (storage/uploader.ts).
 *
 * The input prefix mirrors the local folder: `<inputsPrefix>/<folder name>/<relative path>`. The job reads the
 * whole prefix, so objects that no longer exist locally are removed; otherwise a run would count images the
 * user deleted.
 *
 * How "unchanged" is decided: same size and same MD5, where the remote MD5 is the object's ETag. We chose the
 * ETag over x-amz-checksum-sha256 because ListObjectsV2 returns the ETag of every object in one paginated
 * listing (1,000 per request), while a SHA-256 checksum is only returned per object (HeadObject or
 * GetObjectAttributes with ChecksumMode), i.e. one request per image. The ETag is the MD5 of the content for
 * single-part uploads without SSE-KMS, which is how the uploader writes every image (one PutObject with
 * Content-MD5, so the server also verifies the bytes on arrival). An ETag that is not a plain MD5 (multipart
 * upload, KMS encryption) never matches, so such an object is uploaded again: the safe side.
 */
import { joinKey } from './s3-uri.js';

/** The extensions the job reads (docs/job-contract.md: jpg/jpeg/png in any case). */
export const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;

export function isImageFile(relPath: string): boolean {
  return IMAGE_EXTENSION.test(relPath);
}

export interface LocalFile {
  /** Path relative to the input folder, '/' separators. */
  relPath: string;
  absPath: string;
  size: number;
  /** Hex MD5 of the content (computed for images only; '' for other files). */
  md5: string;
}

export interface RemoteObject {
  key: string;
  size: number;
  /** As listed, with or without the surrounding quotes. */
  etag: string;
}

export type UploadReason = 'new' | 'size changed' | 'content changed';

export interface UploadItem {
  file: LocalFile;
  key: string;
  reason: UploadReason;
}

export interface UploadPlan {
  bucket: string;
  /** Ends with '/'. */
  prefix: string;
  toUpload: UploadItem[];
  unchanged: { file: LocalFile; key: string }[];
  /** Remote keys under the prefix with no local counterpart. */
  toDelete: string[];
  /** Local files that are not images (not uploaded; the job would ignore them anyway). */
  ignored: string[];
  bytesToUpload: number;
}

/** `"9e107d9d372bb6826bd81d3542a419d6"` -> `9e107d9d372bb6826bd81d3542a419d6`. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

export function planUpload(args: {
  files: LocalFile[];
  remote: RemoteObject[];
  bucket: string;
  /** `<inputsPrefix>/<folder name>`, with or without the trailing '/'. */
  prefix: string;
}): UploadPlan {
  const prefix = `${joinKey(args.prefix)}/`;
  const remoteByKey = new Map(args.remote.map((o) => [o.key, o]));
  const plan: UploadPlan = { bucket: args.bucket, prefix, toUpload: [], unchanged: [], toDelete: [], ignored: [], bytesToUpload: 0 };
  const wanted = new Set<string>();

  for (const file of [...args.files].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))) {
    if (!isImageFile(file.relPath)) {
      plan.ignored.push(file.relPath);
      continue;
    }
    const key = prefix + file.relPath;
    wanted.add(key);
    const remote = remoteByKey.get(key);
    let reason: UploadReason | undefined;
    if (!remote) reason = 'new';
    else if (remote.size !== file.size) reason = 'size changed';
    else if (normalizeEtag(remote.etag) !== file.md5.toLowerCase()) reason = 'content changed';
    if (reason) {
      plan.toUpload.push({ file, key, reason });
      plan.bytesToUpload += file.size;
    } else plan.unchanged.push({ file, key });
  }
  plan.toDelete = args.remote
    .map((o) => o.key)
    .filter((k) => k.startsWith(prefix) && !wanted.has(k))
    .sort();
  return plan;
}

/** "12 to upload (1.3 MB), 378 unchanged, 1 stale to remove, 2 non-images ignored". */
export function describeUploadPlan(plan: UploadPlan): string {
  const parts = [`${plan.toUpload.length} to upload (${formatBytes(plan.bytesToUpload)})`, `${plan.unchanged.length} unchanged`];
  if (plan.toDelete.length > 0) parts.push(`${plan.toDelete.length} stale to remove`);
  if (plan.ignored.length > 0) parts.push(`${plan.ignored.length} non-image file${plan.ignored.length === 1 ? '' : 's'} ignored`);
  return parts.join(', ');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
