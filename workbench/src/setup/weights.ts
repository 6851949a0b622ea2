/**
 * Resolves `job.weights`. `auto` means: the real ImageNet weights whenever they can be had, else random ones,
 * loudly. The tiers, best first (setup/official-weights.ts planAutoWeights lists them with their reasons):
 *   1. Keras' own cache file is present ($KERAS_HOME or ~/.keras, models/) -> 'imagenet' (the job loads it
 *      offline);
 *   2. Keras' official file, downloaded when the network allows, only if versions.json `kerasWeights` pins it:
 *      by its bytes (sha256) and/or by its weight values (arraysSha256, checked by loading the downloaded file
 *      with python -m fruits_pipeline.weights_digest; the pin is the arrays_sha256 of the shared .npy export the
 *      file was built from). Skipped with one line while both are null. Size and the pinned hashes checked, then
 *      renamed into Keras' cache, so it is tier 1 from then on -> 'imagenet'. Unreachable, other bytes or other
 *      values -> one line, next tier. A failure is remembered in <cacheDir>/weights/official-attempt-<url hash>.json: an
 *      unreachable host is tried again after a day (a hanging DNS must not cost every run its timeout), a
 *      mismatching file not until the pin changes;
 *   3. the shared .npy export is present -> converted once (python -m fruits_pipeline.weights_npy) into
 *      <cacheDir>/weights/ and passed as a file path;
 *   4. else 'random:0', with a warning that the features mean nothing.
 * Explicit specs pass through (a local path is made absolute and must exist).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Output } from '../terminal/index.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { AbortedError, ConfigError, PrerequisiteError } from '../errors.js';
import { weightsArgument, type ResolvedWeightsSpec } from '../config/specs.js';
import {
  downloadOfficialWeights,
  attemptFileName,
  isPinned,
  officialAttemptDue,
  officialWeightsPin,
  pinChecks,
  planAutoWeights,
  type DownloadTimeouts,
  type KerasWeightsPin,
  type OfficialAttempt,
  type WeightsDigest,
} from './official-weights.js';
import { sharedNpyWeightsDir } from './shared.js';
import { lockedCachedStep } from './step.js';
import type { ToolPaths } from './tools.js';

export interface ResolvedWeights {
  /** The resolved spec (never auto). */
  weights: ResolvedWeightsSpec;
  /** What to pass to the job's --weights (weightsArgument(weights)). */
  spec: string;
  /** One human line: what the run uses and why. */
  description: string;
  /** False for random weights: the features (and PCA) then carry no meaning. */
  meaningful: boolean;
}

/** The input sizes Keras publishes ImageNet no-top files for (pipeline model.py KERAS_IMAGENET_SIZES). */
export const KERAS_IMAGENET_SIZES = [96, 128, 160, 192, 224] as const;

/**
 * Keras' own ImageNet no-top file for a job's image size, named exactly as pipeline model.py keras_imagenet_name
 * does: the size's own file when Keras publishes one, else the 224-pixel file. `imagenet` must mean the file
 * the job will load.
 */
export function kerasImagenetName(imageSize: number): string {
  const rows = (KERAS_IMAGENET_SIZES as readonly number[]).includes(imageSize) ? imageSize : 224;
  return `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_${rows}_no_top.h5`;
}

/** The 224-pixel file: the default image size's, and the one versions.json `kerasWeights` pins. */
export const KERAS_NO_TOP_FILE = kerasImagenetName(224);

/** Where Keras keeps its file for this image size ($KERAS_HOME/models, else ~/.keras/models), as model.py reads it. */
export function kerasCacheFile(env: Record<string, string | undefined>, imageSize = 224): string {
  const kerasHome = env.KERAS_HOME || path.join(env.HOME || homedir(), '.keras');
  return path.join(kerasHome, 'models', kerasImagenetName(imageSize));
}

/** A cache name that changes when the .npy set or the converter changes. */
function convertedName(root: string, npyDir: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(path.join(npyDir, 'SHA256SUMS')));
  for (const f of ['weights_npy.py', 'model.py']) {
    const p = path.join(root, 'pipeline', 'src', 'fruits_pipeline', f);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return `mobilenet_v2_no_top_npy-${h.digest('hex').slice(0, 12)}.weights.h5`;
}

export interface ResolveWeightsOptions {
  /** Where Keras' official file comes from and what it must be (default: versions.json `kerasWeights`). */
  officialWeights?: KerasWeightsPin;
  /** Timeouts of that download (default: 30 s without an answer or data, 10 minutes in all). */
  downloadTimeouts?: DownloadTimeouts;
  /** Reads a downloaded file's weight values (default: pythonWeightsDigest, the venv python and TensorFlow). */
  weightsDigest?: WeightsDigest;
  /** The clock for retrying an unreachable host (tests). */
  now?: Date;
}

/** `python -m fruits_pipeline.weights_digest FILE` with the venv python: the arrays_sha256 of a weights file. */
export function pythonWeightsDigest(tools: ToolPaths, root: string, env: Record<string, string | undefined>): WeightsDigest {
  return async (file, signal) => {
    const r = await execa(tools.python, ['-m', 'fruits_pipeline.weights_digest', file], {
      env: { ...env, PYTHONPATH: path.join(root, 'pipeline', 'src'), TF_CPP_MIN_LOG_LEVEL: '2' },
      extendEnv: false,
      cancelSignal: signal,
      reject: false,
    });
    if (signal.aborted) throw new AbortedError();
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    if (!r.failed) {
      try {
        const parsed = JSON.parse(line) as { arrays_sha256?: unknown };
        if (typeof parsed.arrays_sha256 === 'string') return { ok: true, arraysSha256: parsed.arrays_sha256 };
      } catch {
        // reported below
      }
    }
    const why = (r.stderr || r.message || '').trim().split('\n').at(-1) || `exit ${r.exitCode}`;
    return { ok: false, reason: why };
  };
}

export async function resolveWeights(
  cfg: WorkbenchConfig,
  tools: ToolPaths,
  out: Output,
  signal: AbortSignal,
  env: Record<string, string | undefined>,
  opts: ResolveWeightsOptions = {},
): Promise<ResolvedWeights> {
  const w = cfg.job.weights;
  const resolved = (weights: ResolvedWeightsSpec, description: string): ResolvedWeights => ({
    weights,
    spec: weightsArgument(weights),
    description,
    meaningful: weights.kind !== 'random',
  });
  switch (w.kind) {
    case 'imagenet': {
      const file = kerasCacheFile(env, cfg.job.imageSize);
      return resolved(w, existsSync(file) ? 'imagenet (Keras cache file)' : `imagenet (not in ${file}: the job will try to download it)`);
    }
    case 'random':
      return resolved(w, `${w.raw}: random weights, features carry no meaning`);
    case 'uri':
      return resolved(w, `weights file ${w.uri}`);
    case 'file':
      if (!existsSync(w.path)) {
        throw new ConfigError([{ key: 'job.weights', message: `weights file ${w.path} not found`, fix: 'give an existing Keras weights file, imagenet, auto or random:SEED' }]);
      }
      return resolved(w, `weights file ${w.path}`);
    case 'auto':
      break;
  }

  const kerasFile = kerasCacheFile(env, cfg.job.imageSize);
  const npyDir = sharedNpyWeightsDir(cfg.root, env);
  const pin = opts.officialWeights ?? officialWeightsPin();
  const tiers = planAutoWeights({
    kerasFile,
    kerasFilePresent: existsSync(kerasFile),
    pin,
    npyDir,
    npyPresent: existsSync(path.join(npyDir, 'SHA256SUMS')),
  });
  for (const step of tiers) {
    if (step.tier === 'keras-cache' && step.ready) {
      return resolved({ kind: 'imagenet', raw: 'auto' }, `imagenet (auto: Keras cache file ${kerasFile})`);
    }
    if (step.tier === 'official') {
      if (!step.ready || !isPinned(pin)) {
        out.info(`official Keras weights: skipped (${step.reason})`);
        continue;
      }
      const attemptFile = path.join(cfg.cacheDir, 'weights', attemptFileName(pin.url));
      const due = officialAttemptDue(readAttempt(attemptFile), pin, opts.now ?? new Date());
      if (!due.due) {
        out.info(`official Keras weights: skipped, ${due.why} (delete ${attemptFile} to try now)`);
        continue;
      }
      const fallback = tiers.some((t) => t.tier === 'shared-npy' && t.ready) ? 'using the shared .npy export' : 'falling back to random:0';
      const digest = opts.weightsDigest ?? pythonWeightsDigest(tools, cfg.root, env);
      const record = (a: Omit<OfficialAttempt, 'at' | 'pin'>) => writeAttempt(attemptFile, { ...a, at: (opts.now ?? new Date()).toISOString(), pin: { sha256: pin.sha256, arraysSha256: pin.arraysSha256 } });
      if (await fetchOfficialWeights(pin, kerasFile, fallback, out, signal, opts.downloadTimeouts, digest, record)) {
        rmSync(attemptFile, { force: true });
        return resolved({ kind: 'imagenet', raw: 'auto' }, `imagenet (auto: Keras' official file, ${pinChecks(pin)}, in ${kerasFile})`);
      }
    }
    if (step.tier === 'shared-npy' && step.ready) {
      return resolved({ kind: 'file', path: await convertSharedNpy(cfg, tools, out, signal, env, npyDir), raw: 'auto' }, `imagenet (auto: converted from ${npyDir})`);
    }
  }
  out.warn(
    `no ImageNet weights available (no ${kerasFile}, Keras' official file not downloaded, no ${npyDir}): using random:0. ` +
      'The features and the PCA will carry NO meaning; the run only exercises the pipeline.',
  );
  return resolved({ kind: 'random', seed: 0, raw: 'auto' }, 'random:0 (auto: no ImageNet weights available; features carry no meaning)');
}

function readAttempt(file: string): OfficialAttempt | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as OfficialAttempt;
  } catch {
    return undefined; // none yet, or unreadable: try
  }
}

function writeAttempt(file: string, attempt: OfficialAttempt): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(attempt, null, 2)}\n`);
  } catch {
    // Not remembering a failure only means trying again next run.
  }
}

/**
 * Tier 2: downloads Keras' official file into Keras' cache (under a lock, so two commands do it once). True when
 * it is there, verified; false (after one line saying why) when the next tier must be used.
 */
async function fetchOfficialWeights(
  pin: KerasWeightsPin,
  kerasFile: string,
  fallback: string,
  out: Output,
  signal: AbortSignal,
  timeouts: DownloadTimeouts | undefined,
  digest: WeightsDigest,
  record: (a: Omit<OfficialAttempt, 'at' | 'pin'>) => void,
): Promise<boolean> {
  const host = new URL(pin.url).host;
  try {
    return await lockedCachedStep({
      out,
      what: "Keras' official ImageNet weights",
      detail: `${(pin.bytes / 2 ** 20).toFixed(1)} MiB from ${host}, ${pinChecks(pin)}`,
      lock: `${kerasFile}.lock`,
      signal,
      doing: 'downloading the weights',
      done: () => (existsSync(kerasFile) ? true : undefined),
      make: async () => {
        const task = out.task("Keras' official ImageNet weights", { total: pin.bytes, unit: 'bytes' });
        let r;
        try {
          r = await downloadOfficialWeights(pin, kerasFile, signal, { ...timeouts, digest, onProgress: (done) => task.progress(done) });
        } finally {
          task.end();
        }
        if (r.ok) return true;
        record({ kind: r.kind === 'unreachable' ? 'unreachable' : 'mismatch', reason: r.reason });
        if (r.kind === 'unreachable') out.info(`official Keras weights unreachable (${r.reason}): ${fallback}`);
        else out.warn(`official Keras weights from ${pin.url} do not match the pin in versions.json (${r.reason}): ${fallback}`);
        return false;
      },
    });
  } catch (err) {
    // A Keras cache folder that cannot be written (read-only home, full disk) is no reason to stop: the next tier works.
    if (err instanceof AbortedError || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
    out.warn(`cannot store Keras' official weights in ${path.dirname(kerasFile)} (${(err as Error).message}): ${fallback}`);
    return false;
  }
}

/** Tier 3: the shared .npy export converted once into <cacheDir>/weights/. */
async function convertSharedNpy(
  cfg: WorkbenchConfig,
  tools: ToolPaths,
  out: Output,
  signal: AbortSignal,
  env: Record<string, string | undefined>,
  npyDir: string,
): Promise<string> {
  const file = path.join(cfg.cacheDir, 'weights', convertedName(cfg.root, npyDir));
  return lockedCachedStep({
    out,
    what: 'imagenet weights from the shared .npy export',
    detail: 'once, cached',
    lock: `${file}.lock`,
    signal,
    doing: 'converting the weights',
    done: () => (existsSync(file) ? file : undefined),
    make: async () => {
      const r = await execa(tools.python, ['-m', 'fruits_pipeline.weights_npy', '--src', npyDir, '--out', file], {
        env: { ...env, PYTHONPATH: path.join(cfg.root, 'pipeline', 'src'), TF_CPP_MIN_LOG_LEVEL: '2' },
        extendEnv: false,
        cancelSignal: signal,
        reject: false,
      });
      if (signal.aborted) throw new AbortedError();
      if (r.failed || !existsSync(file)) {
        throw new PrerequisiteError(
          `converting the shared weights in ${npyDir} failed: ${(r.stderr || r.message || '').trim().split('\n').slice(-3).join(' | ')}`,
          'check the shared folder (its SHA256SUMS), or set job.weights: random:0 to run without real weights',
        );
      }
      return file;
    },
  });
}
