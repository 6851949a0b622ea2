/**
 * Packs the job artifact (job/artifact.ts) into a folder named by its sha256 under the cache, so a saved plan
 * keeps pointing at the exact bytes it was made with, and describes its files for upload.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { packArtifact, type Artifact } from '../job/artifact.js';
import { describeFile } from '../storage/local-folder.js';
import type { LocalFile } from '../storage/upload-plan.js';
import type { ArtifactFiles } from './plan.js';
import type { Release } from '../config/releases.js';

export type PackArtifact = (root: string, outDir: string, release: Release) => Promise<Artifact>;

/**
 * `wheelsDir`: a wheelhouse of the runtime lock (setup/wheelhouse.ts). Its wheels travel inside the artifact so
 * that no node needs PyPI; pyspark's is left out (the EMR release brings its own Spark, and the bootstrap's
 * filter drops the pin).
 */
export async function preparePromoteArtifact(root: string, cacheDir: string, release: Release, wheelsDir?: string, pack: PackArtifact = packArtifact): Promise<ArtifactFiles> {
  const base = path.join(cacheDir, 'promote', 'artifacts');
  await mkdir(base, { recursive: true });
  const tmp = await mkdtemp(path.join(base, 'tmp-'));
  let art: Artifact;
  try {
    const packed = await pack(root, tmp, release);
    const final = path.join(base, packed.sha256);
    if (existsSync(final)) await rm(tmp, { recursive: true, force: true });
    else await rename(tmp, final);
    const at = (p: string) => path.join(final, path.basename(p));
    art = { ...packed, dir: final, zip: at(packed.zip), entrypoint: at(packed.entrypoint), lock: at(packed.lock), release: at(packed.release), bootstrap: at(packed.bootstrap), filter: at(packed.filter) };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    sha256: art.sha256,
    files: {
      zip: await describeFile(art.zip),
      entrypoint: await describeFile(art.entrypoint),
      lock: await describeFile(art.lock),
      release: await describeFile(art.release),
      bootstrap: await describeFile(art.bootstrap),
      filter: await describeFile(art.filter),
    },
    wheels: wheelsDir ? await shippedWheels(wheelsDir) : [],
  };
}

/** The wheels to ship: every runtime wheel but pyspark's. */
export async function shippedWheels(wheelsDir: string): Promise<LocalFile[]> {
  const names = (await readdir(wheelsDir)).filter((f) => f.endsWith('.whl') && !/^pyspark-/i.test(f)).sort();
  return Promise.all(names.map((f) => describeFile(path.join(wheelsDir, f), `wheels/${f}`)));
}
