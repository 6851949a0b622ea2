/**
 * The one way set-up reports a step: "X: cached" when nothing had to be done, else "installing X..." once
 * before the work. Keeps `npm run setup` and every `npm run local` quiet when everything is cached.
 */
import type { Output } from '../terminal/index.js';
import { withFileLock } from '../host/file-lock.js';

export async function cachedStep<T>(
  out: Output,
  what: string,
  cached: () => Promise<T | undefined>,
  install: () => Promise<T>,
  detail = '',
  cachedDetail = '',
): Promise<T> {
  const hit = await cached();
  if (hit !== undefined) {
    out.info(`${what}: cached${cachedDetail ? ` (${cachedDetail})` : ''}`);
    return hit;
  }
  out.info(`installing ${what}${detail ? ` (${detail})` : ''}...`);
  return install();
}

/**
 * cachedStep for a result that several commands may want at once: `done()` says whether it is there already
 * (and what it gives); otherwise `make` runs under the file lock `lock`, after waiting for any other process
 * holding it, and only if that process did not make it meanwhile.
 */
export async function lockedCachedStep<T>(opts: {
  out: Output;
  what: string;
  /** Shown with "installing <what> (<detail>)...". */
  detail?: string;
  /** Shown with "<what>: cached (<cachedDetail>)". */
  cachedDetail?: string;
  lock: string;
  signal: AbortSignal;
  /** Who the other process is, for "waiting for another <holder> (pid N) <doing>..." (default: process). */
  holder?: string;
  /** What the other process is doing. */
  doing: string;
  /** Whether the result is there already (asked before the lock, and again once it is held). */
  done: () => T | undefined | Promise<T | undefined>;
  make: () => Promise<T>;
}): Promise<T> {
  const { out, signal, done } = opts;
  return cachedStep(
    out,
    opts.what,
    async () => done(),
    () =>
      withFileLock(opts.lock, signal, (pid) => out.info(`waiting for another ${opts.holder ?? 'process'} (pid ${pid}) ${opts.doing}...`), async () => (await done()) ?? opts.make()),
    opts.detail,
    opts.cachedDetail,
  );
}
