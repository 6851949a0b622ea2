/**
 * Which local images to upload, which are already in the bucket, and which remote objects are stale. Pure: the
 * local scan (with checksums) and the remote listing are done by the caller (storage/uploader.ts). The same
 * planner serves the local stack's MinIO and the EMR bucket.
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
import { formatBytes } from '../terminal/format.js';
import { joinKey } from './s3-uri.js';

export { formatBytes };

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
  /** The first mirrored prefix (ends with '/'), '' when nothing is mirrored; for messages. */
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

/**
 * What to put in a bucket: files at keys, and the prefixes that must end up holding exactly those files
 * (`mirror`). The job reads a whole input prefix, so objects under a mirrored prefix that no longer exist
 * locally are removed; otherwise a run would count images the user deleted. Content-addressed keys (the
 * artifact, weights) are not mirrored: other runs' objects live beside them.
 */
export interface UploadRequest {
  bucket: string;
  items: { file: LocalFile; key: string }[];
  /** Prefixes (ending with '/') mirrored exactly. */
  mirror: string[];
}

/** A local folder mirrored to `<prefix>/`: its images at `<prefix>/<relative path>`, other files ignored. */
export function folderUpload(files: LocalFile[], bucket: string, prefix: string): { request: UploadRequest; ignored: string[] } {
  const p = `${joinKey(prefix)}/`;
  const images = files.filter((f) => isImageFile(f.relPath));
  return {
    request: { bucket, items: images.map((file) => ({ file, key: p + file.relPath })), mirror: [p] },
    ignored: files.filter((f) => !isImageFile(f.relPath)).map((f) => f.relPath).sort(),
  };
}

/** The prefixes to list to know the remote state of a request: each mirrored prefix, and each other key's folder. */
export function listingPrefixes(req: UploadRequest): string[] {
  const prefixes = new Set(req.mirror);
  for (const { key } of req.items) {
    if (req.mirror.some((m) => key.startsWith(m))) continue;
    prefixes.add(key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '');
  }
  return [...prefixes].sort();
}

/** Pure: which items to upload and why, which are unchanged, which remote objects are stale. */
export function planUploads(req: UploadRequest, remote: RemoteObject[], ignored: string[] = []): UploadPlan {
  const remoteByKey = new Map(remote.map((o) => [o.key, o]));
  const plan: UploadPlan = { bucket: req.bucket, prefix: req.mirror[0] ?? '', toUpload: [], unchanged: [], toDelete: [], ignored, bytesToUpload: 0 };
  const wanted = new Set<string>();
  for (const { file, key } of [...req.items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    if (wanted.has(key)) continue;
    wanted.add(key);
    const r = remoteByKey.get(key);
    let reason: UploadReason | undefined;
    if (!r) reason = 'new';
    else if (r.size !== file.size) reason = 'size changed';
    else if (normalizeEtag(r.etag) !== file.md5.toLowerCase()) reason = 'content changed';
    if (reason) {
      plan.toUpload.push({ file, key, reason });
      plan.bytesToUpload += file.size;
    } else plan.unchanged.push({ file, key });
  }
  plan.toDelete = remote
    .map((o) => o.key)
    .filter((k) => req.mirror.some((m) => k.startsWith(m)) && !wanted.has(k))
    .sort();
  return plan;
}

/** A local folder mirrored to `<prefix>/` (folderUpload + planUploads). */
export function planUpload(args: {
  files: LocalFile[];
  remote: RemoteObject[];
  bucket: string;
  /** `<inputsPrefix>/<folder name>`, with or without the trailing '/'. */
  prefix: string;
}): UploadPlan {
  const { request, ignored } = folderUpload(args.files, args.bucket, args.prefix);
  return planUploads(request, args.remote, ignored);
}

/** "12 to upload (1.3 MB), 378 unchanged, 1 stale to remove, 2 non-images ignored". */
export function describeUploadPlan(plan: UploadPlan): string {
  const parts = [`${plan.toUpload.length} to upload (${formatBytes(plan.bytesToUpload)})`, `${plan.unchanged.length} unchanged`];
  if (plan.toDelete.length > 0) parts.push(`${plan.toDelete.length} stale to remove`);
  if (plan.ignored.length > 0) parts.push(`${plan.ignored.length} non-image file${plan.ignored.length === 1 ? '' : 's'} ignored`);
  return parts.join(', ');
}
