/**
 * Keras' official MobileNetV2 ImageNet no-top file, as a tier of `job.weights: auto` (setup/weights.ts):
 *   - the pin (versions.json `kerasWeights`: url, bytes, sha256, arraysSha256). Keras itself pins no hash for
 *     this file. It is pinned by its bytes (sha256) and/or by its weight VALUES (arraysSha256: the sha256 of the
 *     arrays once loaded into MobileNetV2 no-top, python -m fruits_pipeline.weights_digest, the manifests'
 *     weights.arrays_sha256). While neither is recorded the tier is skipped: unpinned bytes are never downloaded;
 *   - the ordered list of auto tiers with the reason each is taken or passed over (pure: planAutoWeights);
 *   - the download (downloadOfficialWeights): to a temporary .h5 file next to Keras' cache file, with the
 *     command's AbortSignal and a timeout, size checked, then sha256 and/or the values (an injected digest), then
 *     renamed into place so Keras (and the next auto) find it offline. A network failure or a mismatch is an
 *     outcome (the caller falls through to the next tier), Ctrl-C is an AbortedError; in every failing case the
 *     temporary file is removed.
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
  /** Lower-case hex sha256 of the file's bytes, or null while not pinned. */
  sha256: string | null;
  /**
   * Lower-case hex sha256 of the weight values (fruits_pipeline.weights_digest's arrays_sha256), or null while not
   * pinned. The tier is skipped only when both this and sha256 are null.
   */
  arraysSha256: string | null;
}

/** Whether the pin lets the file be downloaded: its bytes or its values are pinned. */
export function isPinned(pin: KerasWeightsPin): boolean {
  return pin.sha256 !== null || pin.arraysSha256 !== null;
}

/**
 * Where the last failed attempt at a URL is remembered: one file per URL, since an unreachable host says nothing
 * about another one (a test's 127.0.0.1 server and the real host never share a record).
 */
export function attemptFileName(url: string): string {
  return `official-attempt-${createHash('sha256').update(url).digest('hex').slice(0, 12)}.json`;
}

/** What the last failed attempt at the official file left behind (<cacheDir>/weights/official-attempt-<url hash>.json). */
export interface OfficialAttempt {
  /** ISO time of the attempt. */
  at: string;
  kind: 'unreachable' | 'mismatch';
  reason: string;
  /** The pin it was checked against: a mismatch is retried only once the pin changes. */
  pin: { sha256: string | null; arraysSha256: string | null };
}

/** An unreachable host is tried again after this long (not on every run: a hanging DNS would cost each run its timeout). */
export const RETRY_UNREACHABLE_MS = 24 * 3600 * 1000;

/**
 * Whether to try the official file now, given the last failed attempt (undefined: none). Pure.
 * Unreachable: again after RETRY_UNREACHABLE_MS. Other bytes or values: not while the pin is the same one.
 */
export function officialAttemptDue(last: OfficialAttempt | undefined, pin: KerasWeightsPin, now: Date): { due: boolean; why?: string } {
  if (!last) return { due: true };
  const samePin = last.pin.sha256 === pin.sha256 && last.pin.arraysSha256 === pin.arraysSha256;
  if (last.kind === 'mismatch') {
    return samePin ? { due: false, why: `on ${last.at} it did not match the pin (${last.reason}); tried again when versions.json kerasWeights changes` } : { due: true };
  }
  const next = new Date(Date.parse(last.at) + RETRY_UNREACHABLE_MS);
  return now >= next || Number.isNaN(next.getTime()) ? { due: true } : { due: false, why: `unreachable on ${last.at} (${last.reason}); next try after ${next.toISOString()}` };
}

/** How a file matching the pin was checked, for a human: "sha256-verified", "weight-values-verified" or both. */
export function pinChecks(pin: KerasWeightsPin): string {
  const checks = [pin.sha256 !== null ? 'sha256' : '', pin.arraysSha256 !== null ? 'weight-values' : ''].filter(Boolean);
  return `${checks.join(' and ')}-verified`;
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
  const arrays = v.arraysSha256 ?? null;
  if (arrays !== null && (typeof arrays !== 'string' || !/^[0-9a-f]{64}$/.test(arrays))) {
    problems.push('arraysSha256 must be 64 lower-case hex digits, or null while not pinned');
  }
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
  return { url: v.url as string, bytes: v.bytes as number, sha256: v.sha256 as string | null, arraysSha256: arrays as string | null };
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
  // The pin is for one file (the 224-pixel one): a job of another image size needs another file.
  const pinned = path.basename(new URL(pin.url).pathname);
  const wanted = path.basename(facts.kerasFile);
  return [
    facts.kerasFilePresent
      ? { tier: 'keras-cache', ready: true, reason: `Keras cache file ${facts.kerasFile}` }
      : { tier: 'keras-cache', ready: false, reason: `no ${facts.kerasFile}` },
    pinned !== wanted
      ? { tier: 'official', ready: false, reason: `versions.json kerasWeights pins ${pinned}, and this image size needs ${wanted}` }
      : isPinned(pin)
      ? { tier: 'official', ready: true, reason: `${pin.url} (${[`${pin.bytes} bytes`, ...pinnedHashes(pin)].join(', ')})` }
      : {
          tier: 'official',
          ready: false,
          reason: 'versions.json kerasWeights pins neither sha256 nor arraysSha256, and unpinned bytes are never downloaded',
        },
    facts.npyPresent
      ? { tier: 'shared-npy', ready: true, reason: `shared .npy export ${facts.npyDir}` }
      : { tier: 'shared-npy', ready: false, reason: `no ${facts.npyDir}` },
    { tier: 'random', ready: true, reason: 'no ImageNet weights available' },
  ];
}

function pinnedHashes(pin: KerasWeightsPin): string[] {
  return [
    ...(pin.sha256 !== null ? [`sha256 ${pin.sha256.slice(0, 12)}…`] : []),
    ...(pin.arraysSha256 !== null ? [`weight values arrays_sha256 ${pin.arraysSha256.slice(0, 12)}…`] : []),
  ];
}

/** The weight values of a local Keras weights file, or why they cannot be read (not a weights file, wrong shape). */
export type WeightsDigestResult = { ok: true; arraysSha256: string } | { ok: false; reason: string };
/** Reads the values of `file` (python -m fruits_pipeline.weights_digest in the workbench; a stand-in in tests). */
export type WeightsDigest = (file: string, signal: AbortSignal) => Promise<WeightsDigestResult>;

export type DownloadOutcome =
  | { ok: true }
  /** DNS, refused, reset, timeout, HTTP other than 200: the network did not allow it. */
  | { ok: false; kind: 'unreachable'; reason: string }
  /** Bytes arrived but are not the pinned ones (size, sha256 or weight values); nothing was kept. */
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
  /** Required when pin.arraysSha256 is set: reads the downloaded file's weight values. */
  digest?: WeightsDigest;
}

class TooLarge extends Error {}

/** `fetch failed` hides the useful part in its cause: "getaddrinfo ENOTFOUND host", "connect ECONNREFUSED ...". */
function networkReason(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const cause = e?.cause instanceof Error ? e.cause.message : undefined;
  return cause || e?.message || String(err);
}

/**
 * Downloads the pinned file to `dest` (Keras' cache file) via `<dest>.<pid>.part.h5` (an .h5 name, so Keras can
 * load it for the values check). The pin must pin sha256 or arraysSha256 (then `opts.digest` is required).
 * Resolves with an outcome; throws AbortedError when `signal` fires. Never leaves the temporary file behind.
 */
export async function downloadOfficialWeights(
  pin: KerasWeightsPin,
  dest: string,
  signal: AbortSignal,
  opts: DownloadOptions = {},
): Promise<DownloadOutcome> {
  const idleMs = opts.idleMs ?? 30_000;
  const totalMs = opts.totalMs ?? 600_000;
  if (!isPinned(pin)) throw new Error('downloadOfficialWeights: the pin pins neither sha256 nor arraysSha256');
  if (pin.arraysSha256 !== null && !opts.digest) throw new Error('downloadOfficialWeights: arraysSha256 is pinned but no digest was given');
  if (signal.aborted) throw new AbortedError();
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.part.h5`;

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
    if (size !== pin.bytes || (pin.sha256 !== null && got !== pin.sha256)) {
      rmSync(tmp, { force: true });
      return {
        ok: false,
        kind: 'mismatch',
        reason:
          pin.sha256 !== null
            ? `expected ${pin.bytes} bytes with sha256 ${pin.sha256}, got ${size} bytes with sha256 ${got}; refused`
            : `expected ${pin.bytes} bytes, got ${size}; refused`,
      };
    }
    if (pin.arraysSha256 !== null && opts.digest) {
      // The timeouts are for the network: the values check (TensorFlow starting) runs under the caller's signal only.
      clearTimeout(idle);
      clearTimeout(total);
      const values = await opts.digest(tmp, signal);
      if (signal.aborted) throw new AbortedError();
      if (!values.ok || values.arraysSha256 !== pin.arraysSha256) {
        rmSync(tmp, { force: true });
        return {
          ok: false,
          kind: 'mismatch',
          reason: values.ok
            ? `expected weight values with arrays_sha256 ${pin.arraysSha256}, got arrays_sha256 ${values.arraysSha256}; refused`
            : `expected weight values with arrays_sha256 ${pin.arraysSha256}, but the file cannot be read as MobileNetV2 no-top weights (${values.reason}); refused`,
        };
      }
    }
    renameSync(tmp, dest);
    return { ok: true };
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    rmSync(tmp, { force: true });
  }
}
