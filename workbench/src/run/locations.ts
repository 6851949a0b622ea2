/**
 * Where a run reads and writes: the input (a local folder to upload, or a URI in the stack's bucket), the
 * output prefix, and local paths given by the user. Pure.
 *
 * Relative paths are resolved against the directory the user typed the command in when they come from a flag
 * (npm runs scripts from the package root, so the original directory is INIT_CWD), and against the repo root
 * when they come from workbench.yaml (a path in a file is relative to that file).
 */
import path from 'node:path';
import { isS3Uri, joinKey, parseS3Uri, type S3Location } from '../storage/s3-uri.js';

export type RunInput = { kind: 'local'; dir: string; name: string } | { kind: 's3'; location: S3Location };

/** A flag's path against the user's directory; URIs and non-path specs are returned unchanged. */
export function resolveUserPath(value: string, base: string): string {
  return isS3Uri(value) || value.includes('://') ? value : path.resolve(base, value);
}

/** Weights specs that are not paths: the job's keywords and URIs. */
export function isWeightsPath(spec: string): boolean {
  return !(spec === 'auto' || spec === 'imagenet' || /^random:/.test(spec) || spec.includes('://'));
}

export function classifyInput(value: string, root: string): RunInput {
  if (isS3Uri(value)) return { kind: 's3', location: parseS3Uri(value) };
  const dir = path.resolve(root, value);
  return { kind: 'local', dir, name: path.basename(dir) };
}

/** `<inputsPrefix>/<folder name>/`: where a local input folder is mirrored. */
export function inputPrefix(inputsPrefix: string, folderName: string): string {
  return `${joinKey(inputsPrefix, folderName)}/`;
}

/** `<runsPrefix>/<run id>/`: where the job writes. */
export function outputPrefix(runsPrefix: string, runId: string): string {
  return `${joinKey(runsPrefix, runId)}/`;
}

/** A path as the user should see it: relative to their directory when inside it. */
export function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
