/**
 * A cross-process lock (ground floor: set-up's cache entries and the stack's state folder both use it), so two
 * workbench commands started at once (or parallel test files) never build the same venv or binary into the
 * same folder, nor start two stacks on the same state. The lock file holds the owner's pid; a
 * lock whose owner is gone (killed mid-install) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError } from '../errors.js';

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withFileLock<T>(
  lockFile: string,
  signal: AbortSignal,
  onWait: (ownerPid: number) => void,
  body: () => Promise<T>,
): Promise<T> {
  mkdirSync(path.dirname(lockFile), { recursive: true });
  let waitingReported = false;
  for (;;) {
    if (signal.aborted) throw new AbortedError();
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(lockFile, 'utf8').trim());
    } catch {
      continue; // released between our two calls
    }
    if (!Number.isInteger(owner) || owner <= 0 || !isPidAlive(owner) || owner === process.pid) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (!waitingReported) {
      onWait(owner);
      waitingReported = true;
    }
    try {
      await sleep(500, undefined, { signal });
    } catch {
      throw new AbortedError();
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
