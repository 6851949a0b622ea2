/**
 * Typed view of versions.json's set-up pins that are not per release (MinIO), read at run time from the repo root so
 * a checkout always uses its own pins. The per-release pins (Spark, locks, s3a jars) are config/releases.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Release } from '../config/releases.js';

export type { MavenJar } from '../config/releases.js';

export interface Versions {
  minio: { module: string; version: string };
}

export function readVersions(root: string): Versions {
  const file = path.join(root, 'versions.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Versions;
}

/** Refuses a release whose s3a jars lack a valid sha256 pin (set-up never downloads unpinned bytes). */
export function checkJarPins(release: Release): void {
  for (const jar of release.s3a.jars) {
    if (!/^[0-9a-f]{64}$/.test(jar.sha256 ?? '')) {
      throw new Error(`versions.json: releases.${release.label}.s3a.jars entry ${jar.artifact} has no valid sha256 pin`);
    }
  }
}
