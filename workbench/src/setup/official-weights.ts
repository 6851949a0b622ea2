/**
 * Keras' official MobileNetV2 ImageNet no-top file, as a tier of `job.weights: auto` (setup/weights.ts):
 *   - the pin (versions.json `kerasWeights`: url, bytes, sha256). Keras itself pins no hash for this file, so
 *     until a sha256 is recorded the tier is skipped: unpinned bytes are never downloaded;
 *   - the ordered list of auto tiers with the reason each is taken or passed over (pure: planAutoWeights);
 *   - the download (downloadOfficialWeights): to a temporary file next to Keras' cache file, with the command's
 *     AbortSignal and a timeout, size and sha256 checked, then renamed into place so Keras (and the next auto)
 *     find it offline. A network failure or a mismatch is an outcome (the caller falls through to the next
 *     tier), Ctrl-C is an AbortedError; in every failing case the temporary file is removed.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import versions from '../../../versions.json' with { type: 'json' };
import { AbortedError } from '../errors.js';

export interface KerasWeightsPin {
  url: string;
  /** Exact size in bytes. */
  bytes: number;
  /** Lower-case hex sha256, or null while not pinned (the tier is then skipped). */
  sha256: string | null;
}

/** A pin read from JSON, checked; throws naming `where` when malformed. */
export function parseKerasWeightsPin(value: unknown, where = 'versions.json kerasWeights'): KerasWeightsPin {
  const v = (value ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof v.url !== 'string' || !/^https?:\/\/\S+$/.test(v.url)) problems.push('url must be an http(s) URL');
  if (typeof v.bytes !== 'number' || !Number.isInteger(v.bytes) || v.bytes <= 0) problems.push('bytes must be a positive integer');
  if (v.sha256 !== null && (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256))) {
    problems.push('sha256 must be 64 lower-case hex digits, or null while not pinned');
  }
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
  return { url: v.url as string, bytes: v.bytes as number, sha256: v.sha256 as string | null };
}

/** The pin this checkout carries (versions.json `kerasWeights`). */
export function officialWeightsPin(): KerasWeightsPin {
  return parseKerasWeightsPin((versions as { kerasWeights?: unknown }).kerasWeights);
}

export type AutoTier = 'keras-cache' | 'official' | 'shared-npy' | 'random';

export interface AutoTierStep {
  tier: AutoTier;
  /** Whether the tier is tried (it may still fail: a download). */
  ready: boolean;
  /** Why it is tried or passed over, for a human. */
  reason: string;
}

/** The tiers of `auto`, best first, each with whether it is tried and why. Pure. */
export function planAutoWeights(facts: {
  kerasFile: string;
  kerasFilePresent: boolean;
  pin: KerasWeightsPin;
  npyDir: string;
  npyPresent: boolean;
}): AutoTierStep[] {
  const { pin } = facts;
  return [
    facts.kerasFilePresent
      ? { tier: 'keras-cache', ready: true, reason: `Keras cache file ${facts.kerasFile}` }
      : { tier: 'keras-cache', ready: false, reason: `no ${facts.kerasFile}` },
    pin.sha256 === null
      ? { tier: 'official', ready: false, reason: 'versions.json kerasWeights.sha256 is not pinned, and unpinned bytes are never downloaded' }
      : { tier: 'official', ready: true, reason: `${pin.url} (${pin.bytes} bytes, sha256 ${pin.sha256.slice(0, 12)}…)` },
    facts.npyPresent
      ? { tier: 'shared-npy', ready: true, reason: `shared .npy export ${facts.npyDir}` }
      : { tier: 'shared-npy', ready: false, reason: `no ${facts.npyDir}` },
    { tier: 'random', ready: true, reason: 'no ImageNet weights available' },
  ];
}

export type DownloadOutcome =
  | { ok: true }
  /** DNS, refused, reset, timeout, HTTP other than 200: the network did not allow it. */
  | { ok: false; kind: 'unreachable'; reason: string }
  /** Bytes arrived but are not the pinned ones (size or sha256); nothing was kept. */
  | { ok: false; kind: 'mismatch'; reason: string };

export interface DownloadTimeouts {
  /** Longest wait for the response or for the next bytes of the body (default 30 s). */
  idleMs?: number;
  /** Longest whole download (default 10 minutes). */
  totalMs?: number;
}

export interface DownloadOptions extends DownloadTimeouts {
  /** Bytes received so far, of pin.bytes. */
  onProgress?: (done: number, total: number) => void;
}

class TooLarge extends Error {}

/** `fetch failed` hides the useful part in its cause: "getaddrinfo ENOTFOUND host", "connect ECONNREFUSED ...". */
function networkReason(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const cause = e?.cause instanceof Error ? e.cause.message : undefined;
  return cause || e?.message || String(err);
}

/**
 * Downloads the pinned file to `dest` (Keras' cache file) via `<dest>.<pid>.part`. `pin.sha256` must be set.
 * Resolves with an outcome; throws AbortedError when `signal` fires. Never leaves the .part file behind.
 */
export async function downloadOfficialWeights(
  pin: KerasWeightsPin & { sha256: string },
  dest: string,
  signal: AbortSignal,
  opts: DownloadOptions = {},
): Promise<DownloadOutcome> {
  const idleMs = opts.idleMs ?? 30_000;
  const totalMs = opts.totalMs ?? 600_000;
  if (signal.aborted) throw new AbortedError();
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.part`;

  const timeout = new AbortController();
  let timedOut = '';
  let idle: NodeJS.Timeout | undefined;
  const expire = (why: string) => {
    timedOut ||= why;
    timeout.abort(new Error(why));
  };
  const rearm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => expire(`no answer or no data for ${idleMs / 1000} s`), idleMs);
  };
  const total = setTimeout(() => expire(`not done within ${totalMs / 1000} s`), totalMs);
  const both = AbortSignal.any([signal, timeout.signal]);
  const unreachable = (reason: string): DownloadOutcome => ({ ok: false, kind: 'unreachable', reason });

  rearm();
  try {
    let res: Response;
    try {
      res = await fetch(pin.url, { signal: both });
    } catch (err) {
      if (signal.aborted) throw new AbortedError();
      return unreachable(timedOut || networkReason(err));
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      return unreachable(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    rearm();
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > pin.bytes) return cb(new TooLarge());
        hash.update(chunk);
        rearm();
        opts.onProgress?.(size, pin.bytes);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as never), meter, createWriteStream(tmp, { mode: 0o644 }), { signal: both });
    } catch (err) {
      rmSync(tmp, { force: true });
      if (signal.aborted) throw new AbortedError();
      if (err instanceof TooLarge) {
        return { ok: false, kind: 'mismatch', reason: `expected ${pin.bytes} bytes, got more; refused` };
      }
      return unreachable(`download cut after ${size} bytes: ${timedOut || networkReason(err)}`);
    }
    const got = hash.digest('hex');
    if (size !== pin.bytes || got !== pin.sha256) {
      rmSync(tmp, { force: true });
      return {
        ok: false,
        kind: 'mismatch',
        reason: `expected ${pin.bytes} bytes with sha256 ${pin.sha256}, got ${size} bytes with sha256 ${got}; refused`,
      };
    }
    renameSync(tmp, dest);
    return { ok: true };
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    rmSync(tmp, { force: true });
  }
}
