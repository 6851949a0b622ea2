/**
 * What each supported release weighs, for the promote plan's summary (`--dry-run` shows every release side by
 * side, so a user choosing one sees what it ships): the artifact a promote uploads once per artifact hash (the job
 * files and the runtime wheels but pyspark's, which the release brings) and the s3a jars the local stack loads.
 * Measured from the files set-up has cached; a release whose wheelhouse or jars are not built here says so
 * instead of guessing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RELEASES, DEFAULT_RELEASE, type Release } from '../config/releases.js';
import type { ReleaseSizes, PromotePlan } from '../emr/plan.js';
import { jarFileName } from '../setup/jars.js';
import { wheelhouseDirFor } from '../setup/wheelhouse.js';
import { lockFilePath } from '../setup/venv.js';

function sumSizes(files: string[]): number {
  return files.reduce((s, f) => s + statSync(f).size, 0);
}

/** The runtime wheels a promote would ship for `release` (pyspark's left out), if its wheelhouse is built. */
function shippedWheelBytes(root: string, cacheDir: string, release: Release): { bytes: number; count: number } | null {
  const dir = wheelhouseDirFor(cacheDir, readFileSync(lockFilePath(root, release)));
  if (!existsSync(path.join(dir, '.fruits-workbench-complete'))) return null;
  const wheels = readdirSync(dir).filter((f) => f.endsWith('.whl') && !/^pyspark-/i.test(f));
  return { bytes: sumSizes(wheels.map((f) => path.join(dir, f))), count: wheels.length };
}

function s3aJarBytes(cacheDir: string, release: Release): number | null {
  const files = release.s3a.jars.map((j) => path.join(cacheDir, 'jars', jarFileName(j)));
  return files.every((f) => existsSync(f)) ? sumSizes(files) : null;
}

export function measureReleaseSizes(root: string, cacheDir: string, plan: PromotePlan): ReleaseSizes[] {
  return RELEASES.map((r) => {
    const selected = r.label === plan.release.label;
    // The selected release's artifact is the plan's own uploads; another's is estimated from its wheelhouse.
    const artifactUploads = plan.uploads.filter((u) => u.role === 'artifact');
    const wheels = selected
      ? { bytes: artifactUploads.reduce((s, u) => s + u.bytes, 0), count: artifactUploads.filter((u) => u.key.includes('/wheels/')).length }
      : shippedWheelBytes(root, cacheDir, r);
    return {
      label: r.label,
      emrSpark: r.emrSpark,
      python: r.python,
      java: r.java,
      scala: r.scala,
      hadoop: r.hadoop,
      selected,
      isDefault: r.label === DEFAULT_RELEASE.label,
      artifactBytes: wheels ? wheels.bytes : null,
      wheelCount: wheels ? wheels.count : null,
      s3aJarBytes: s3aJarBytes(cacheDir, r),
      s3aJarCount: r.s3a.jars.length,
    };
  });
}
