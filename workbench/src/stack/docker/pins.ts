/**
 * The Docker backend's pins. versions.json is the one place that holds them: `docker.baseImage` (the official
 * image the Spark image is built FROM), `docker.localBase` (the debootstrap fallback) and `spark`. The ARG
 * default of docker/spark/Dockerfile is a copy for people building by hand; a unit test fails when it differs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BasePins } from './base-image.js';

export interface DockerPins extends BasePins {
  /** Spark version: the lock's pyspark (checked in the image build). */
  spark: string;
}

export function readDockerPins(root: string): DockerPins {
  const file = path.join(root, 'versions.json');
  const v = JSON.parse(readFileSync(file, 'utf8')) as { spark?: string; docker?: { baseImage?: string; localBase?: Partial<BasePins['localBase']> } };
  const d = v.docker ?? {};
  const l = d.localBase ?? {};
  const need = { spark: v.spark, 'docker.baseImage': d.baseImage, 'docker.localBase.suite': l.suite, 'docker.localBase.variant': l.variant, 'docker.localBase.mirror': l.mirror, 'docker.localBase.tag': l.tag };
  for (const [key, value] of Object.entries(need)) {
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: missing ${key}`);
  }
  return { spark: v.spark!, baseImage: d.baseImage!, localBase: l as BasePins['localBase'] };
}
