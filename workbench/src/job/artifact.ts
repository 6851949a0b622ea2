/**
 * The job artifact (docs/job-contract.md, "The artifact"): the six files that `spark-submit` and EMR's bootstrap
 * need (ARTIFACT_FILES), packed so that the same sources and release always give the same bytes and the same
 * sha256, locally, on the local cluster and on EMR.
 *
 *   fruits_pipeline.zip      pipeline/src/fruits_pipeline/**\/*.py (sorted, fixed timestamps, no __pycache__)
 *   entrypoint.py            pipeline/entrypoint.py
 *   requirements.lock        the release's runtime lock (pipeline/locks/<release>/requirements.lock)
 *   release.json             the release it was packed for (label, Spark, Scala, Python, Java, Hadoop)
 *   bootstrap.sh             pipeline/emr/bootstrap.sh
 *   runtime-lock-filter.sh   pipeline/emr/runtime-lock-filter.sh
 *
 * So the artifact sha256 covers the release: the same sources packed for two releases give two hashes, and a
 * run's manifest names the one it ran. The artifact sha256 is the sha256 of the canonical listing
 * `<sha256 hex>  <file name>\n` of those six files,
 * sorted by name: exactly what `sha256sum` prints for them given in that order, so anyone can check it by hand
 * (the recipe in docs/job-contract.md is generated from ARTIFACT_FILES and tested). The runtime wheels that
 * emr/artifact-files.ts ships beside them are not hashed here: the lock's hashes pin them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { PrerequisiteError } from '../errors.js';
import type { Release } from '../config/releases.js';

export interface Artifact {
  /** The folder holding the six files. */
  dir: string;
  /** Absolute paths of the six files. */
  zip: string;
  entrypoint: string;
  lock: string;
  release: string;
  bootstrap: string;
  /** The tested filter that drops pyspark from the lock on EMR (the release brings its own Spark). */
  filter: string;
  /** sha256 of the canonical listing (see the module comment). */
  sha256: string;
}

export const ARTIFACT_FILES = {
  zip: 'fruits_pipeline.zip',
  entrypoint: 'entrypoint.py',
  lock: 'requirements.lock',
  release: 'release.json',
  bootstrap: 'bootstrap.sh',
  filter: 'runtime-lock-filter.sh',
} as const;

/** Where each artifact file comes from, relative to the repo root (the lock is the release's `locks.runtime`). */
export const ARTIFACT_SOURCES = {
  package: 'pipeline/src/fruits_pipeline',
  entrypoint: 'pipeline/entrypoint.py',
  bootstrap: 'pipeline/emr/bootstrap.sh',
  filter: 'pipeline/emr/runtime-lock-filter.sh',
} as const;

/** release.json: what the artifact was packed for, canonical (fixed key order, one line). Pure. */
export function releaseJson(r: Release): string {
  const { label, emrSpark, spark, scala, python, java, hadoop } = r;
  return `${JSON.stringify({ label, emrSpark, spark, scala, python, java, hadoop })}\n`;
}

/**
 * DOS timestamps (what ZIP stores) start in 1980 and are local time; fflate reads the Date with local getters,
 * so building it with the local-time constructor gives the same bytes in every time zone.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical listing whose sha256 is the artifact sha256. Pure. */
export function artifactListing(fileSha256: Record<string, string>): string {
  return Object.keys(fileSha256)
    .sort()
    .map((name) => `${fileSha256[name]}  ${name}\n`)
    .join('');
}

/** Package files (posix paths relative to the package's parent), sorted, `.py` only, no __pycache__. */
async function packageFiles(packageDir: string): Promise<string[]> {
  const entries = await readdir(packageDir, { recursive: true, withFileTypes: true });
  const base = path.dirname(packageDir);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.py'))
    .map((e) => path.relative(base, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((rel) => !rel.split('/').includes('__pycache__'))
    .sort();
}

/** A deterministic zip of the package: sorted entries, fixed timestamps, fixed compression level. */
export async function zipPackage(packageDir: string): Promise<Uint8Array> {
  const files = await packageFiles(packageDir);
  if (files.length === 0) {
    throw new PrerequisiteError(`no Python files under ${packageDir}`, 'check out the pipeline package (pipeline/src/fruits_pipeline)');
  }
  const entries: Zippable = {};
  for (const rel of files) {
    const bytes = new Uint8Array(await readFile(path.join(path.dirname(packageDir), rel)));
    entries[rel] = [bytes, { mtime: FIXED_MTIME, level: 6 }];
  }
  return zipSync(entries, { mtime: FIXED_MTIME, level: 6 });
}

function requireSource(root: string, rel: string, what: string): string {
  const abs = path.join(root, rel);
  if (!existsSync(abs)) {
    throw new PrerequisiteError(`the job artifact needs ${rel} (${what}) and it is missing`, `restore ${rel} (git checkout -- ${rel})`);
  }
  return abs;
}

/** Packs the artifact of the repo at `root` into `outDir` (created if needed) and returns its paths and sha256. */
export async function packArtifact(root: string, outDir: string, release: Release): Promise<Artifact> {
  const packageDir = requireSource(root, ARTIFACT_SOURCES.package, 'the job package');
  const entrypointSrc = requireSource(root, ARTIFACT_SOURCES.entrypoint, 'the file spark-submit runs');
  const lockSrc = requireSource(root, release.locks.runtime, `the pinned Python dependencies of ${release.label}`);
  const bootstrapSrc = requireSource(root, ARTIFACT_SOURCES.bootstrap, "EMR's bootstrap action");
  const filterSrc = requireSource(root, ARTIFACT_SOURCES.filter, 'the lock filter the bootstrap action runs');

  await mkdir(outDir, { recursive: true });
  const artifact: Artifact = {
    dir: outDir,
    zip: path.join(outDir, ARTIFACT_FILES.zip),
    entrypoint: path.join(outDir, ARTIFACT_FILES.entrypoint),
    lock: path.join(outDir, ARTIFACT_FILES.lock),
    release: path.join(outDir, ARTIFACT_FILES.release),
    bootstrap: path.join(outDir, ARTIFACT_FILES.bootstrap),
    filter: path.join(outDir, ARTIFACT_FILES.filter),
    sha256: '',
  };
  await writeFile(artifact.zip, await zipPackage(packageDir));
  await copyFile(entrypointSrc, artifact.entrypoint);
  await copyFile(lockSrc, artifact.lock);
  await writeFile(artifact.release, releaseJson(release));
  await copyFile(bootstrapSrc, artifact.bootstrap);
  await copyFile(filterSrc, artifact.filter);

  const shas: Record<string, string> = {};
  for (const key of Object.keys(ARTIFACT_FILES) as (keyof typeof ARTIFACT_FILES)[]) {
    shas[ARTIFACT_FILES[key]] = sha256Hex(await readFile(artifact[key]));
  }
  artifact.sha256 = sha256Hex(artifactListing(shas));
  return artifact;
}
