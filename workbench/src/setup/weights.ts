/**
 * Resolves `job.weights`. `auto` means: the real ImageNet weights whenever they can be had without network,
 * else random ones, loudly:
 *   1. Keras' own cache file is present -> 'imagenet' (the job loads it offline);
 *   2. the shared .npy export is present -> converted once (python -m fruits_pipeline.weights_npy) into
 *      <cacheDir>/weights/ and passed as a file path;
 *   3. else 'random:0', with a warning that the features mean nothing.
 * Explicit specs pass through (a local path is made absolute and must exist).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Output } from '../terminal/index.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { AbortedError, ConfigError, PrerequisiteError } from '../errors.js';
import { weightsArgument, type ResolvedWeightsSpec } from '../config/specs.js';
import { withFileLock } from './lock.js';
import { sharedNpyWeightsDir } from './shared.js';
import { cachedStep } from './step.js';
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

export const KERAS_NO_TOP_FILE = 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5';

export function kerasCacheFile(env: Record<string, string | undefined>): string {
  const kerasHome = env.KERAS_HOME || path.join(env.HOME || homedir(), '.keras');
  return path.join(kerasHome, 'models', KERAS_NO_TOP_FILE);
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

export async function resolveWeights(
  cfg: WorkbenchConfig,
  tools: ToolPaths,
  out: Output,
  signal: AbortSignal,
  env: Record<string, string | undefined> = process.env,
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
      const cached = existsSync(kerasCacheFile(env));
      return resolved(w, cached ? 'imagenet (Keras cache file)' : `imagenet (not in ${kerasCacheFile(env)}: the job will try to download it)`);
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

  if (existsSync(kerasCacheFile(env))) {
    return resolved({ kind: 'imagenet', raw: 'auto' }, `imagenet (auto: Keras cache file ${kerasCacheFile(env)})`);
  }
  const npyDir = sharedNpyWeightsDir(cfg.root, env);
  if (existsSync(path.join(npyDir, 'SHA256SUMS'))) {
    const file = path.join(cfg.cacheDir, 'weights', convertedName(cfg.root, npyDir));
    await cachedStep(
      out,
      'imagenet weights from the shared .npy export',
      async () => (existsSync(file) ? file : undefined),
      () =>
        withFileLock(`${file}.lock`, signal, (pid) => out.info(`waiting for another process (pid ${pid}) converting the weights...`), async () => {
          if (existsSync(file)) return file;
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
        }),
      'once, cached',
    );
    return resolved({ kind: 'file', path: file, raw: 'auto' }, `imagenet (auto: converted from ${npyDir})`);
  }
  out.warn(
    `no ImageNet weights available offline (no ${kerasCacheFile(env)}, no ${npyDir}): using random:0. ` +
      'The features and the PCA will carry NO meaning; the run only exercises the pipeline.',
  );
  return resolved({ kind: 'random', seed: 0, raw: 'auto' }, 'random:0 (auto: no ImageNet weights available offline; features carry no meaning)');
}
