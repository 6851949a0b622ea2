/**
 * Which images of a local folder go into which Parquet file of the packed input (job --input-format packed).
 * Pure: the scanned files in (storage/local-folder.ts, with size and MD5), shards and a digest out; the packing
 * itself is pipeline/src/fruits_pipeline/pack.py, run by storage/pack-images.ts.
 *
 * Why shards, and why these limits: one object per image costs the job three S3 requests per image; a shard of
 * 256 images is one object read with ranged GETs. 256 rather than more: the job gives each task whole files when
 * there are at least as many files as tasks (pipeline packed_input.py), so a file is the unit of its task balance
 * (at 24,960 images, 98 files over 4 tasks of 6,300 images: 25, 25, 25 and 23 files). A shard closes at PACK_LIMITS.imagesPerShard images or
 * PACK_LIMITS.bytesPerShard of content, whichever comes first, so a folder of large photos still gives objects a
 * single PUT carries comfortably and Spark can spread over its cores; a file larger than the byte limit gets a
 * shard of its own.
 *
 * The digest names the cache folder of the packed files: it covers everything that decides their bytes (the
 * packer's version, each shard's name, each file's key, size and MD5, and the folder's name, which is the label
 * of an image at its root), so an unchanged folder reuses its files and a changed image packs again.
 */
import { createHash } from 'node:crypto';
import { isImageFile, type LocalFile } from './upload-plan.js';

export const PACK_LIMITS = {
  imagesPerShard: 256,
  bytesPerShard: 64 * 1024 * 1024,
} as const;

/** Bump when the planner's choices change (limits, names, what is packed): cached packs then no longer match. */
export const PACK_PLAN_VERSION = 'fruits-pack-plan/2';

export interface PackShard {
  /** part-00000.parquet, part-00001.parquet, ... in key order. */
  name: string;
  files: LocalFile[];
  /** Sum of the files' sizes: the shard's content before Parquet framing. */
  bytes: number;
}

export interface PackPlan {
  shards: PackShard[];
  images: number;
  bytes: number;
  /** Hex sha256 of what decides the packed bytes (see the module comment). */
  digest: string;
}

export interface PackPlanOptions {
  /** The input folder's name: the label the packer gives an image lying at the folder's root. */
  folderName: string;
  /** Mixed into the digest: the planner's and the packer's versions (default: PACK_PLAN_VERSION alone). */
  version?: string;
  limits?: { imagesPerShard: number; bytesPerShard: number };
}

/**
 * Whether Spark's file listing would read this path: it skips any component starting with `_` (unless it holds
 * `=`, a partition folder) or `.`. The images layout never sees such files, so the packed one leaves them out too
 * and both layouts of a folder count the same images.
 */
export function sparkWouldList(relPath: string): boolean {
  return relPath.split('/').every((part) => !part.startsWith('.') && !(part.startsWith('_') && !part.includes('=')));
}

export function shardName(index: number): string {
  return `part-${String(index).padStart(5, '0')}.parquet`;
}

export function planPack(files: LocalFile[], opts: PackPlanOptions): PackPlan {
  const limits = opts.limits ?? PACK_LIMITS;
  // Key order, whatever order the caller scanned in: shard membership must not depend on it.
  const images = files
    .filter((f) => isImageFile(f.relPath) && sparkWouldList(f.relPath))
    .sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  const groups: LocalFile[][] = [];
  let current: LocalFile[] = [];
  let bytes = 0;
  for (const f of images) {
    if (current.length > 0 && (current.length >= limits.imagesPerShard || bytes + f.size > limits.bytesPerShard)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length > 0) groups.push(current);
  const shards = groups.map((g, i) => ({ name: shardName(i), files: g, bytes: g.reduce((n, f) => n + f.size, 0) }));
  return {
    shards,
    images: images.length,
    bytes: shards.reduce((n, s) => n + s.bytes, 0),
    digest: packDigest(shards, opts.folderName, opts.version ?? PACK_PLAN_VERSION),
  };
}

/** sha256 over the version, the folder name, then each shard's name and each file's key, size and MD5. */
export function packDigest(shards: PackShard[], folderName: string, version: string): string {
  const h = createHash('sha256');
  // One JSON line per record: quoting keeps fields apart whatever characters a file name holds.
  h.update(`${JSON.stringify([version, folderName])}\n`);
  for (const s of shards) {
    h.update(`${JSON.stringify(['shard', s.name])}\n`);
    for (const f of s.files) h.update(`${JSON.stringify([f.relPath, f.size, f.md5])}\n`);
  }
  return h.digest('hex');
}

/** The packer's spec (pack.py --spec): each shard's name and its files as (key, absolute path). */
export function packSpec(plan: PackPlan): { shards: { name: string; files: { key: string; path: string }[] }[] } {
  return { shards: plan.shards.map((s) => ({ name: s.name, files: s.files.map((f) => ({ key: f.relPath, path: f.absPath })) })) };
}
