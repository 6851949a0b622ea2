/**
 * The Spark image of one release (docker/spark/Dockerfile), built by the workbench through the engine's classic
 * build endpoint from a context it packs itself out of what the host set-up has for that release: the wheelhouse
 * of the release's runtime lock (setup/wheelhouse.ts), its verified s3a jars and the MinIO server binary. The
 * build then needs no network but Debian's apt. One image per release, side by side: the tag is
 * `fruits-workbench/spark:<release label>-<hash>`, the hash covering the Dockerfile, the bucket script, the
 * wheelhouse's hash file (hence the lock), the jars' names, the MinIO version, the base image's id and the
 * release's build args, so it is built once per change of any of them and reused otherwise.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Release } from '../../config/releases.js';
import type { Output } from '../../terminal/index.js';
import { AbortedError, ServiceError } from '../../errors.js';
import type { Wheelhouse } from '../types.js';
import { hasImage } from './engine.js';
import { LABEL } from './names.js';
import { releaseBuildArgs } from './pins.js';

export const SPARK_IMAGE_REPOSITORY = 'fruits-workbench/spark';
export const DOCKERFILE = 'docker/spark/Dockerfile';
export const BUCKET_SCRIPT = 'docker/spark/create-bucket.py';
/** The distributions the image leaves out: the model converters and what only they need (the file says why). */
export const CONVERTERS_LIST = 'docker/spark/converters.txt';
/** Where the build context holds the wheelhouse's requirements file (the Dockerfile installs from it). */
const CONTEXT_REQUIREMENTS = 'requirements.wheels';

export interface ImageInputs {
  root: string;
  /** The runtime lock's wheels, as set-up built them (setup/wheelhouse.ts). */
  wheelhouse: Wheelhouse;
  /** Verified s3a jar paths (setup's ToolPaths.s3aJars). */
  jars: string[];
  /** MinIO server binary (setup's ToolPaths.minio). */
  minio: string;
  base: { ref: string; id: string };
  /** The release the image runs (its Spark, Python and Java are the build args). */
  release: Pick<Release, 'label' | 'spark' | 'python' | 'java'>;
}

/** `fruits-workbench/spark:<release label>-<hash[:12]>` of everything that defines the image. Pure (given the texts). */
export function sparkImageTag(release: string, parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(createHash('sha256').update(p).digest('hex')).update('\n');
  return `${SPARK_IMAGE_REPOSITORY}:${release}-${h.digest('hex').slice(0, 12)}`;
}

/** The release a Spark image tag belongs to (`emr-7.13.0` of `fruits-workbench/spark:emr-7.13.0-0123456789ab`). Pure. */
export function releaseOfTag(tag: string): string | undefined {
  const m = new RegExp(`^${SPARK_IMAGE_REPOSITORY}:(.+)-[0-9a-f]{12}$`).exec(tag);
  return m?.[1];
}

export function sparkImageTagOf(i: ImageInputs): string {
  return sparkImageTag(i.release.label, [
    JSON.stringify(releaseBuildArgs(i.release)),
    readFileSync(path.join(i.root, DOCKERFILE), 'utf8'),
    readFileSync(path.join(i.root, BUCKET_SCRIPT), 'utf8'),
    readFileSync(path.join(i.root, CONVERTERS_LIST), 'utf8'),
    readFileSync(i.wheelhouse.requirements, 'utf8'),
    i.jars.map((j) => path.basename(j)).sort().join(','),
    i.minio,
    i.base.id,
  ]);
}

/** Hard link when possible (same file system: no copy of ~1 GB of wheels), copy otherwise. */
function place(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

/** A distribution name as pip compares them (PEP 503): lower case, runs of `-_.` as one `-`. Pure. */
export function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The names of converters.txt (comments and blank lines dropped), normalized. Pure. */
export function parseConvertersList(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '')
      .map(normalizedName),
  );
}

/** The distribution of a wheel file (`tensorflow_cpu-2.21.0-cp311-...whl` -> `tensorflow-cpu`). Pure. */
export function wheelDistribution(file: string): string {
  return normalizedName(file.slice(0, file.indexOf('-')));
}

/** Lays out the build context (see the Dockerfile's header) in `dir`; returns the file list to send. */
export function stageContext(i: ImageInputs, dir: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['wheels', 'jars', 'bin']) mkdirSync(path.join(dir, d), { recursive: true });
  const files: string[] = ['Dockerfile', 'create-bucket.py', 'converters.txt', CONTEXT_REQUIREMENTS, 'bin/minio'];
  copyFileSync(path.join(i.root, DOCKERFILE), path.join(dir, 'Dockerfile'));
  copyFileSync(path.join(i.root, BUCKET_SCRIPT), path.join(dir, 'create-bucket.py'));
  copyFileSync(path.join(i.root, CONVERTERS_LIST), path.join(dir, 'converters.txt'));
  const leftOut = parseConvertersList(readFileSync(path.join(i.root, CONVERTERS_LIST), 'utf8'));
  copyFileSync(i.wheelhouse.requirements, path.join(dir, CONTEXT_REQUIREMENTS));
  place(i.minio, path.join(dir, 'bin', 'minio'));
  for (const jar of i.jars) {
    place(jar, path.join(dir, 'jars', path.basename(jar)));
    files.push(`jars/${path.basename(jar)}`);
  }
  // The lock's wheels (the wheelhouse holds exactly those: setup/wheelhouse.ts) but the converters': the Dockerfile
  // does not install them, so sending them (a third of the wheelhouse) would only slow the build down.
  for (const file of readdirSync(i.wheelhouse.dir).filter((f) => f.endsWith('.whl') && !leftOut.has(wheelDistribution(f)))) {
    place(path.join(i.wheelhouse.dir, file), path.join(dir, 'wheels', file));
    files.push(`wheels/${file}`);
  }
  return files;
}

/** Builds the image unless it is here; returns its tag. Build output goes to `logFile`; errors are checked. */
export async function ensureSparkImage(docker: Docker, i: ImageInputs, o: { contextDir: string; logFile: string; out: Output; signal: AbortSignal }): Promise<string> {
  const tag = sparkImageTagOf(i);
  if (await hasImage(docker, tag)) {
    o.out.info(`spark image ${tag}: cached`);
    return tag;
  }
  o.out.info(`building the spark image ${tag} of ${i.release.label} (Spark ${i.release.spark}) FROM ${i.base.ref} (once per change of the release's lock, the Dockerfile or the base; a few minutes); log: ${o.logFile}`);
  const src = stageContext(i, o.contextDir);
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  writeFileSync(o.logFile, '');
  const append = (line: string) => writeFileSync(o.logFile, line, { flag: 'a' });
  try {
    const stream = await docker.buildImage(
      { context: o.contextDir, src },
      {
        t: tag,
        buildargs: { BASE_IMAGE: i.base.ref, ...releaseBuildArgs(i.release) },
        // apt inside the build reaches Debian the way the host does (proxies, DNS).
        networkmode: 'host',
        labels: { [LABEL.image]: 'spark', [LABEL.release]: i.release.label },
        rm: true,
        forcerm: true,
        pull: false,
        abortSignal: o.signal,
      } as Docker.ImageBuildOptions,
    );
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err: Error | null, res: { error?: string; errorDetail?: { message?: string } }[]) => {
          const failed = err ?? res.find((r) => r.error)?.error;
          if (failed) reject(new Error(String(failed instanceof Error ? failed.message : failed)));
          else resolve();
        },
        (event: { stream?: string; error?: string; status?: string }) => {
          const text = event.stream ?? event.error ?? event.status ?? '';
          append(text.endsWith('\n') ? text : `${text}\n`);
          for (const l of text.split('\n')) if (l.trim()) lines.push(l);
          if (lines.length > 30) lines.splice(0, lines.length - 30);
        },
      ),
    ).catch((err: Error) => {
      if (o.signal.aborted) throw new AbortedError();
      throw new ServiceError(
        `building the spark image failed: ${err.message.trim()}\n${lines.slice(-12).map((l) => `  | ${l}`).join('\n')}`,
        `read ${o.logFile}; fix the cause, then rerun`,
      );
    });
  } finally {
    rmSync(o.contextDir, { recursive: true, force: true });
  }
  if (!(await hasImage(docker, tag))) throw new ServiceError(`the spark image build ended without the image ${tag}`, `read ${o.logFile}, then rerun`);
  await removeOlderSparkImages(docker, tag, i.release.label);
  await removeBuilderStages(docker);
  return tag;
}

/**
 * Removes the builder stage the classic builder leaves behind as an untagged image (the whole installed lock and
 * the wheelhouse: GBs that the final image does not need). Best effort; never throws.
 */
export async function removeBuilderStages(docker: Docker): Promise<void> {
  await docker.pruneImages({ filters: { dangling: ['true'], label: [`${LABEL.image}=spark-builder`] } }).catch(() => {});
}

/**
 * Removes the Spark images of earlier inputs of the same release (each is GBs), and those built before images had
 * a release, keeping `keep`, every other release's image (two releases live side by side) and any image a
 * container still uses (the engine refuses those: fine, they go next time). Best effort; never throws.
 */
export async function removeOlderSparkImages(docker: Docker, keep: string, release: string): Promise<string[]> {
  const removed: string[] = [];
  try {
    const images = await docker.listImages({ filters: { label: [`${LABEL.image}=spark`] } });
    for (const image of images) {
      const tags = (image.RepoTags ?? []).filter((t) => t.startsWith(`${SPARK_IMAGE_REPOSITORY}:`));
      if (tags.length === 0 || tags.includes(keep)) continue;
      const imageRelease = image.Labels?.[LABEL.release];
      if (imageRelease !== undefined && imageRelease !== release) continue;
      for (const t of tags) {
        await docker
          .getImage(t)
          .remove({})
          .then(() => removed.push(t))
          .catch(() => {});
      }
    }
  } catch {
    // the engine went away: nothing to tidy
  }
  return removed;
}

/** A built Spark image of one release, as the engine lists it. */
export interface SparkImageInfo {
  tag: string;
  id: string;
  /** The image's size on disk, all layers (the engine's `Size`). */
  bytes: number;
}

/** The Spark images of a release (by the image's release label). */
export async function listSparkImages(docker: Docker, release: string): Promise<SparkImageInfo[]> {
  const images = await docker.listImages({ filters: { label: [`${LABEL.image}=spark`, `${LABEL.release}=${release}`] } });
  return images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t.startsWith(`${SPARK_IMAGE_REPOSITORY}:`)).map((tag) => ({ tag, id: i.Id, bytes: i.Size })));
}

/**
 * Removes every Spark image of a release (the next Docker run builds it again, as on a new machine), and the
 * builder stages left over. Throws when a container still uses one: a kept stack must be stopped first.
 */
export async function removeSparkImages(docker: Docker, release: string): Promise<string[]> {
  const removed: string[] = [];
  for (const image of await listSparkImages(docker, release)) {
    try {
      await docker.getImage(image.tag).remove({});
      removed.push(image.tag);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409) {
        throw new ServiceError(`the Spark image ${image.tag} is used by a container`, 'stop the kept Docker stack (npm run stop), then rerun');
      }
      throw err;
    }
  }
  await removeBuilderStages(docker);
  return removed;
}
