/**
 * Packs a folder's images into the Parquet files a PackPlan names (storage/pack-plan.ts), on the host, with the
 * pipeline's packer (`python -m fruits_pipeline.pack`), into a cache folder named by the plan's digest:
 * `<cacheDir>/packed/<digest>/`. A folder holding the completion marker is reused as is; otherwise the spec and
 * the packer's output go to a temp folder beside it, the packer's own report is checked against the plan, the
 * marker is written and the folder renamed into place, so a folder under its digest is only ever complete.
 *
 * Same plan, same bytes (the packer writes no timestamps): an unchanged folder gives unchanged objects in the
 * bucket, and the uploader skips them. Only the newest KEEP_PACKED folders stay (by last use), so switching
 * between inputs keeps a few packs while the cache does not grow with every edit of a folder.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { AbortedError, JobError } from '../errors.js';
import { childEnvFrom } from '../host/child-env.js';
import { isPidAlive, withFileLock } from '../host/file-lock.js';
import { formatBytes } from '../terminal/format.js';
import type { Output } from '../terminal/index.js';
import { describeFile } from './local-folder.js';
import { packSpec, type PackPlan } from './pack-plan.js';
import type { LocalFile } from './upload-plan.js';

/** Written last into a packed folder: its presence means every shard is there, as listed. */
export const PACK_MARKER = '.complete.json';
/** Packed folders kept in the cache (the one in use included); older ones are removed after a pack. */
export const KEEP_PACKED = 3;

export interface PackerTools {
  /** The venv's python (pyarrow). */
  python: string;
  /** `<repo>/pipeline/src`, put on the packer's PYTHONPATH. */
  pipelineSrc: string;
}

export interface PackImagesOptions {
  cacheDir: string;
  out: Output;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
}

export interface PackedInput {
  /** The packed folder in the cache. */
  dir: string;
  /** Its Parquet files, relPath = the shard's name, with size and MD5 (what the uploader compares). */
  files: LocalFile[];
  images: number;
  bytes: number;
  reused: boolean;
}

interface Marker {
  digest: string;
  images: number;
  shards: { name: string; size: number; md5: string }[];
}

export function packedRoot(cacheDir: string): string {
  return path.join(cacheDir, 'packed');
}

export function packedDir(cacheDir: string, digest: string): string {
  return path.join(packedRoot(cacheDir), digest);
}

function shardsShown(n: number): string {
  return `${n} Parquet file${n === 1 ? '' : 's'}`;
}

/** The folder's files as the marker lists them, when the marker matches the plan and every file has its size. */
async function readComplete(dir: string, plan: PackPlan): Promise<PackedInput | undefined> {
  let marker: Marker;
  try {
    marker = JSON.parse(await readFile(path.join(dir, PACK_MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
  const names = plan.shards.map((s) => s.name);
  if (marker.digest !== plan.digest || marker.images !== plan.images || marker.shards?.map((s) => s.name).join('\n') !== names.join('\n')) return undefined;
  const files: LocalFile[] = [];
  for (const s of marker.shards) {
    const absPath = path.join(dir, s.name);
    const size = await stat(absPath).then((st) => st.size, () => -1);
    if (size !== s.size) return undefined;
    files.push({ relPath: s.name, absPath, size, md5: s.md5 });
  }
  return { dir, files, images: marker.images, bytes: files.reduce((n, f) => n + f.size, 0), reused: true };
}

/** Runs the packer into `outDir`; returns its report, checked against the plan. */
async function runPacker(plan: PackPlan, tools: PackerTools, specFile: string, outDir: string, o: PackImagesOptions): Promise<void> {
  const args = ['-m', 'fruits_pipeline.pack', '--spec', specFile, '--output', outDir];
  const r = await execa(tools.python, args, {
    // The one filter for every Python child (host/child-env.ts): no stray PYTHONPATH or virtualenv of the user's.
    env: childEnvFrom(o.env, { PYTHONPATH: tools.pipelineSrc, PYTHONUNBUFFERED: '1' }),
    extendEnv: false,
    cancelSignal: o.signal,
    reject: false,
  });
  if (o.signal.aborted) throw new AbortedError();
  const byHand = `run it by hand to see everything: PYTHONPATH=${tools.pipelineSrc} ${tools.python} ${args.join(' ')}`;
  if (r.failed) {
    const why = (r.stderr || r.message || '').trim().split('\n').filter(Boolean).at(-1) ?? `exit ${r.exitCode}`;
    throw new JobError(`packing the input images failed: ${why}`, `check the file it names (readable, still there), or set job.inputFormat: images; ${byHand}`);
  }
  let report: { shards?: unknown; images?: unknown };
  try {
    report = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as typeof report;
  } catch {
    throw new JobError(`the packer ended without its report line (stdout: ${r.stdout.trim().slice(-200) || 'empty'})`, byHand);
  }
  if (report.images !== plan.images || report.shards !== plan.shards.length) {
    throw new JobError(
      `the packer wrote ${String(report.images)} images in ${String(report.shards)} files; the plan had ${plan.images} in ${plan.shards.length}`,
      `a bug between the workbench's planner and pack.py: ${byHand}`,
    );
  }
}

/** Packs (or reuses) the plan's files in the cache; prints one line saying which, and what it holds. */
export async function packImages(plan: PackPlan, tools: PackerTools, o: PackImagesOptions): Promise<PackedInput> {
  const root = packedRoot(o.cacheDir);
  const dir = packedDir(o.cacheDir, plan.digest);
  await mkdir(root, { recursive: true });
  // Two commands packing the same folder at once: the second waits, then reuses the first one's files.
  const packed = await withFileLock(path.join(root, `${plan.digest}.lock`), o.signal, (pid) => o.out.info(`pack: waiting for another workbench (pid ${pid}) packing the same images...`), async () => {
    const cached = await readComplete(dir, plan);
    if (cached) {
      // Last use = the marker's time: pruning keeps the packs used most recently.
      const now = new Date();
      await utimes(path.join(dir, PACK_MARKER), now, now);
      o.out.info(`pack: reusing ${plan.images} images in ${shardsShown(cached.files.length)} (${formatBytes(cached.bytes)}), packed earlier: ${dir}`);
      return cached;
    }
    // The pid in the name tells pruning whether the temp folder's owner is still running.
    const tmp = path.join(root, `.tmp-${plan.digest.slice(0, 12)}-${process.pid}-${randomBytes(3).toString('hex')}`);
    const outDir = path.join(tmp, 'out');
    const t0 = performance.now();
    const task = o.out.task(`  packing ${plan.images} images into ${shardsShown(plan.shards.length)}`);
    try {
      await mkdir(outDir, { recursive: true });
      const specFile = path.join(tmp, 'spec.json');
      await writeFile(specFile, JSON.stringify(packSpec(plan)));
      await runPacker(plan, tools, specFile, outDir, o);
      const files: LocalFile[] = [];
      for (const s of plan.shards) files.push(await describeFile(path.join(outDir, s.name), s.name));
      const marker: Marker = { digest: plan.digest, images: plan.images, shards: files.map((f) => ({ name: f.relPath, size: f.size, md5: f.md5 })) };
      await writeFile(path.join(outDir, PACK_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
      // A folder left without a marker (removed by hand halfway) is in the way of the rename.
      if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
      await rename(outDir, dir);
      const bytes = files.reduce((n, f) => n + f.size, 0);
      task.end(`pack: ${plan.images} images -> ${shardsShown(files.length)} (${formatBytes(bytes)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
      return { dir, files: files.map((f) => ({ ...f, absPath: path.join(dir, f.relPath) })), images: plan.images, bytes, reused: false };
    } finally {
      task.end();
      await rm(tmp, { recursive: true, force: true });
    }
  });
  await prunePacked(root, plan.digest, o.out);
  return packed;
}

/**
 * Keeps the KEEP_PACKED packs used last (`keep` always among them) and removes the others, and temp folders
 * whose packer is gone (a killed command). A pack another command is using right now is among the newest,
 * since using one touches its marker.
 */
export async function prunePacked(root: string, keep: string, out: Output): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const packs: { name: string; used: number }[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const tmp = /^\.tmp-[0-9a-f]+-(\d+)-/.exec(e.name);
    if (tmp) {
      if (!isPidAlive(Number(tmp[1]))) await rm(path.join(root, e.name), { recursive: true, force: true });
      continue;
    }
    if (!/^[0-9a-f]{64}$/.test(e.name)) continue;
    // A folder without a marker is removed like an old one: it is never reused.
    const used = await stat(path.join(root, e.name, PACK_MARKER)).then((s) => s.mtimeMs, () => 0);
    packs.push({ name: e.name, used });
  }
  const old = packs
    .filter((p) => p.name !== keep)
    .sort((a, b) => b.used - a.used)
    .slice(KEEP_PACKED - 1);
  for (const p of old) await rm(path.join(root, p.name), { recursive: true, force: true });
  if (old.length > 0) out.info(`pack: removed ${old.length} older packed input${old.length === 1 ? '' : 's'} from ${root} (the ${KEEP_PACKED} used last stay)`);
}
