/**
 * The local run folder `runs/<run-id>/` (docs/job-contract.md). A folder holds a completed run if and only if it
 * has a manifest.json, which the download writes last.
 *
 * A run that fails or is interrupted keeps its folder, because driver.log is what explains it, but gets an
 * `incomplete.json` marker (status, reason, time) and never a manifest.json: parity and the user can tell it
 * from a real run at a glance, and `ls runs/*\/manifest.json` lists only completed runs.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const INCOMPLETE_MARKER = 'incomplete.json';
export const DRIVER_LOG = 'driver.log';
export const MANIFEST = 'manifest.json';

export interface RunFolder {
  dir: string;
  runId: string;
  /** True when a folder of the same run id existed and was replaced (the job replaces its output the same way). */
  replaced: boolean;
}

export async function createRunFolder(runsDir: string, runId: string): Promise<RunFolder> {
  const dir = path.join(runsDir, runId);
  const replaced = existsSync(dir);
  if (replaced) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return { dir, runId, replaced };
}

export async function markIncomplete(dir: string, status: 'failed' | 'interrupted', reason: string): Promise<void> {
  // Belt and braces: the download writes the manifest last, but never leave one next to a marker.
  await rm(path.join(dir, MANIFEST), { force: true });
  const marker = { status, reason, at: new Date().toISOString(), note: 'this run did not complete; see driver.log' };
  await writeFile(path.join(dir, INCOMPLETE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

export function isCompleteRun(dir: string): boolean {
  return existsSync(path.join(dir, MANIFEST)) && !existsSync(path.join(dir, INCOMPLETE_MARKER));
}
