/**
 * The Docker backend's pins. versions.json is the one place that holds them: `docker.baseImage` (the official
 * image the Spark images are built FROM) and `docker.localBase` (the debootstrap fallback) for every release; what
 * one image runs (Spark, Python, Java) comes from the chosen release (config/releases.ts). The ARG defaults of
 * docker/spark/Dockerfile are a copy of the default release's, for people building by hand; a unit test fails
 * when they differ.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Release } from '../../config/releases.js';
import type { BasePins } from './base-image.js';

export function readDockerPins(root: string): BasePins {
  const file = path.join(root, 'versions.json');
  const v = JSON.parse(readFileSync(file, 'utf8')) as { docker?: { baseImage?: string; localBase?: Partial<BasePins['localBase']> } };
  const d = v.docker ?? {};
  const l = d.localBase ?? {};
  const need = { 'docker.baseImage': d.baseImage, 'docker.localBase.suite': l.suite, 'docker.localBase.variant': l.variant, 'docker.localBase.mirror': l.mirror, 'docker.localBase.tag': l.tag };
  for (const [key, value] of Object.entries(need)) {
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: missing ${key}`);
  }
  return { baseImage: d.baseImage!, localBase: l as BasePins['localBase'] };
}

/** What one release's image is built with: the Dockerfile's build args (besides BASE_IMAGE). Pure. */
export interface ReleaseBuildArgs {
  RELEASE: string;
  SPARK_VERSION: string;
  PYTHON_VERSION: string;
  JAVA_VERSION: string;
}

export function releaseBuildArgs(r: Pick<Release, 'label' | 'spark' | 'python' | 'java'>): ReleaseBuildArgs {
  return { RELEASE: r.label, SPARK_VERSION: r.spark, PYTHON_VERSION: r.python, JAVA_VERSION: r.java };
}
