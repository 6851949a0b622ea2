/**
 * The local stack's packed input (job.inputFormat packed): a local folder's images planned into Parquet shards
 * (storage/pack-plan.ts), packed on the host into the cache (storage/pack-images.ts; the host has the venv, so
 * both backends are served alike), and the packed files mirrored to `<inputsPrefix>/<folder>.packed/`, which the
 * job reads with `--input-format packed`.
 *
 * The files go up as single PUTs (no tar archives): a few large files, each verified by its MD5 like any upload,
 * and an unchanged folder packs to the same bytes, so a second run uploads nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { WorkbenchConfig } from '../config/schema.js';
import type { RunContext } from '../context.js';
import { PrerequisiteError } from '../errors.js';
import { packedInputPrefix } from '../run/locations.js';
import { packedDir, packImages, type PackedInput } from '../storage/pack-images.js';
import { PACK_PLAN_VERSION, planPack, type PackPlan } from '../storage/pack-plan.js';
import { formatBytes, type LocalFile, type UploadRequest } from '../storage/upload-plan.js';
import { syncUploads } from '../storage/uploader.js';

export interface PackedInputPlan {
  pack: PackPlan;
  /** `<inputsPrefix>/<folder>.packed/` in the stack's bucket. */
  prefix: string;
  /** The cache folder the packed files live in once packed. */
  dir: string;
}

function packerSource(root: string): string {
  return path.join(root, 'pipeline', 'src', 'fruits_pipeline', 'pack.py');
}

/**
 * The digest's version: the planner's, plus the packer's source hash, so files packed by an earlier pack.py are
 * packed again rather than reused (the same reason the converted weights' name hashes their converter).
 */
export function packVersion(root: string): string {
  const source = packerSource(root);
  if (!existsSync(source)) {
    throw new PrerequisiteError(`job.inputFormat packed needs the pipeline's packer, and ${source} is missing`, 'set job.inputFormat: images, or update the pipeline');
  }
  return `${PACK_PLAN_VERSION}+pack.py:${createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12)}`;
}

export function planPackedInput(cfg: WorkbenchConfig, files: LocalFile[], folderName: string): PackedInputPlan {
  const pack = planPack(files, { folderName, version: packVersion(cfg.root) });
  return { pack, prefix: packedInputPrefix(cfg.storage.inputsPrefix, folderName), dir: packedDir(cfg.cacheDir, pack.digest) };
}

/** The packed files mirrored under `prefix`: nothing else stays there (stale shards of an earlier pack go). */
export function packedUpload(files: LocalFile[], bucket: string, prefix: string): UploadRequest {
  return { bucket, items: files.map((file) => ({ file, key: prefix + file.relPath })), mirror: [prefix] };
}

/** What --dry-run says about the packed input. */
export function describePackedInput(p: PackedInputPlan, inputDir: string, bucket: string): string[] {
  const n = p.pack.shards.length;
  return [
    `pack: ${inputDir}: ${p.pack.images} images (${formatBytes(p.pack.bytes)}) -> ${n} Parquet file${n === 1 ? '' : 's'} in ${p.dir}/ (reused when already packed)`,
    `upload: the packed files -> s3://${bucket}/${p.prefix}: ${n} file${n === 1 ? '' : 's'} at most; unchanged ones are skipped at run time`,
  ];
}

/** Packs (or reuses the cache), then mirrors the packed files to the bucket; `time` measures each step for the summary. */
export async function packAndUpload(
  cfg: WorkbenchConfig,
  ctx: RunContext,
  p: PackedInputPlan,
  o: { python: string; s3: S3Client; bucket: string; time: <T>(step: string, fn: () => Promise<T>) => Promise<T> },
): Promise<PackedInput> {
  const { out, signal } = ctx;
  const packed = await o.time('pack', () =>
    packImages(p.pack, { python: o.python, pipelineSrc: path.join(cfg.root, 'pipeline', 'src') }, { cacheDir: cfg.cacheDir, out, signal, env: ctx.env }),
  );
  const label = `upload packed input -> s3://${o.bucket}/${p.prefix}`;
  await o.time('upload', () => syncUploads(o.s3, packedUpload(packed.files, o.bucket, p.prefix), { out, signal, label, archives: false }));
  return packed;
}
