/**
 * Where a run reads and writes in the bucket, and how local paths are shown to the user. Pure.
 * (What the user typed is parsed once, in config/specs.ts.)
 */
import path from 'node:path';
import { joinKey } from '../storage/s3-uri.js';

/** `<inputsPrefix>/<folder name>/`: where a local input folder is mirrored. */
export function inputPrefix(inputsPrefix: string, folderName: string): string {
  return `${joinKey(inputsPrefix, folderName)}/`;
}

/**
 * `<inputsPrefix>/<folder name>.packed/`: where the packed layout of a local folder is mirrored (job.inputFormat
 * packed). A prefix of its own, so switching between the layouts neither removes nor uploads the other one again.
 */
export function packedInputPrefix(inputsPrefix: string, folderName: string): string {
  return `${joinKey(inputsPrefix, `${folderName}.packed`)}/`;
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
