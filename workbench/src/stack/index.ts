/**
 * The local stack a run needs, per profile: `local` = MinIO + Spark local[*] in the driver; `cluster` = MinIO +
 * a standalone Spark master + N workers. This façade only selects: the backend (native processes or Docker,
 * backend-select.ts), then the one kept-stack mechanism (kept-stack.ts) decides with that backend whether to
 * reuse a kept stack or start a new one. One owner: without --keep the stack's stop() is registered on the
 * command's scope (runs on success, error and Ctrl-C); with --keep it stays up for `npm run stop` and for the
 * next `npm run local`, which reuses it when it is healthy and of the same shape.
 *
 * What the stack needs from set-up comes in as values: the host tools (StackTools) and, for the Docker image
 * only, the wheelhouse (asked for when the Docker backend is chosen). Nothing here installs anything.
 */
import path from 'node:path';
import type { Output } from '../terminal/index.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Scope } from '../lifecycle.js';
import { dockerProbe, selectBackend } from './backend-select.js';
import { loadOrCreateCredentials } from './credentials.js';
import { dockerBackend, stopDockerStacks } from './docker/index.js';
import { decideFound, ownedElsewhereError, reuseOrStart } from './kept-stack.js';
import { nativeBackend, stopNativeKept } from './native/backend.js';
import { readState, type StackShape } from './state.js';
import type { S3Access, StackTools, StartedStack, Wheelhouse } from './types.js';

export type { S3Access, StackTools, StartedService, StartedStack, ServiceHandle, Wheelhouse } from './types.js';

export function stateDirOf(cfg: WorkbenchConfig): string {
  return path.resolve(cfg.root, cfg.stack.stateDir);
}

/** The stack shape a profile asks for. Pure. */
export function shapeOf(cfg: WorkbenchConfig): StackShape {
  const p = cfg.profile;
  if (p.kind === 'emr') {
    throw new ConfigError([
      { key: 'profile', message: `profile "${cfg.profileName}" runs on EMR, not on a local stack`, fix: 'use --profile local or --profile cluster' },
    ]);
  }
  const base = { region: p.region, bucket: cfg.storage.bucket, release: cfg.release.label };
  return p.kind === 'cluster'
    ? { kind: 'cluster', ...base, workers: p.spark.workers, workerCores: p.spark.workerCores, workerMemory: p.spark.workerMemory }
    : { kind: 'local', ...base, workers: 0, workerCores: 0, workerMemory: '' };
}

export interface StartStackOptions {
  keep: boolean;
  out: Output;
  /** The command's process environment (Docker's engine address, the services' base environment). */
  env: Record<string, string | undefined>;
  /** Set-up's wheelhouse of the runtime lock, asked for only when the Docker backend is chosen (its image). */
  wheelhouse?: () => Promise<Wheelhouse>;
}

export async function startStack(cfg: WorkbenchConfig, tools: StackTools, scope: Scope, opts: StartStackOptions): Promise<StartedStack> {
  const { out, env } = opts;
  const shape = shapeOf(cfg);
  const stateDir = stateDirOf(cfg);
  const choice = await selectBackend(cfg.stack.backend, dockerProbe(env));
  out.info(`stack: ${choice.reason}`);
  const lockOptions = { stateDir, keep: opts.keep, out, signal: scope.signal };
  if (choice.backend === 'docker') {
    if (!opts.wheelhouse) throw new Error('the Docker backend needs set-up\'s wheelhouse (startStack option wheelhouse)');
    const { credentials } = loadOrCreateCredentials(stateDir);
    // The images are built (or found cached) before the lock: they have locks of their own.
    const docker = await dockerBackend({ cfg, shape, stateDir, credentials, scope, out, env, tools, wheelhouse: opts.wheelhouse });
    return reuseOrStart(docker, lockOptions);
  }
  // Credentials under the lock: two first commands at once must not generate two sets for one MinIO.
  return reuseOrStart(() => {
    const { file: credentialsFile, credentials } = loadOrCreateCredentials(stateDir);
    return nativeBackend({ cfg, tools, shape, stateDir, credentialsFile, credentials, scope, out, env });
  }, lockOptions);
}

/** Stops a kept stack (or the remains of an interrupted one). False when nothing was running. */
export async function stopKeptStack(cfg: WorkbenchConfig, out: Output, env: Record<string, string | undefined>): Promise<boolean> {
  const stateDir = stateDirOf(cfg);
  // Docker stacks are found by their labels; false (quickly) when no engine answers.
  const dockerStopped = cfg.stack.backend === 'native' ? false : await stopDockerStacks(cfg, stateDir, out, env);
  const nativeStopped = await stopNativeKept(stateDir, out, (f) => {
    const decision = decideFound(f);
    if (decision.action === 'refuse') throw ownedElsewhereError(`the stack in ${stateDir}`, decision.ownerPid, { stopping: true });
  });
  return dockerStopped || nativeStopped;
}

/**
 * Where the kept native stack of this config serves S3, with its credentials; undefined when none is recorded
 * (parity reads s3:// outputs of local runs through it).
 */
export function keptStackS3(cfg: WorkbenchConfig): S3Access | undefined {
  const stateDir = stateDirOf(cfg);
  const state = readState(stateDir);
  if (!state) return undefined;
  const { credentials } = loadOrCreateCredentials(stateDir);
  return { ...state.s3, ...credentials };
}
