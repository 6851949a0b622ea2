/**
 * Typed view of versions.json, the one place that pins versions shared by the workbench, the pipeline and EMR.
 * Read at run time from the repo root so a checkout always uses its own pins.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface MavenJar {
  group: string;
  artifact: string;
  version: string;
  /** Pinned sha256 of the jar; set-up refuses any other bytes. */
  sha256: string;
}

export interface Versions {
  spark: string;
  python: string;
  java: string;
  hadoopClient: string;
  s3aJars: MavenJar[];
  minio: { module: string; version: string };
}

export function readVersions(root: string): Versions {
  const file = path.join(root, 'versions.json');
  const v = JSON.parse(readFileSync(file, 'utf8')) as Versions;
  for (const jar of v.s3aJars ?? []) {
    if (!/^[0-9a-f]{64}$/.test(jar.sha256 ?? '')) {
      throw new Error(`${file}: s3aJars entry ${jar.artifact} has no valid sha256 pin`);
    }
  }
  return v;
}
