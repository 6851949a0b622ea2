/**
 * The local stack a run needs, per profile: `local` = MinIO + Spark local[*] in the driver; `cluster` = MinIO +
 * a standalone Spark master + N workers. One owner: without --keep the stack's stop() is registered on the
 * command's scope (runs on success, error and Ctrl-C); with --keep it stays up, recorded in the state file, for
 * `npm run stop` and for the next `npm run local`, which reuses it when it is healthy and of the same shape.
 */
import path from 'node:path';
import type { Output } from '../terminal/index.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { ConfigError, PrerequisiteError, ServiceError } from '../errors.js';
import type { Scope } from '../lifecycle.js';
import { isPidAlive, withFileLock } from '../setup/lock.js';
import type { ToolPaths } from '../setup/tools.js';
import { loadOrCreateCredentials } from './credentials.js';
import { dockerProbe, selectBackend } from './backend-select.js';
import { startDockerStack, stopDockerStacks } from './docker/index.js';
import { startNativeStack } from './native/index.js';
import { minioIsLive } from './native/minio.js';
import { fetchMasterJson } from './native/spark-master.js';
import { commandLine } from './process-group.js';
import { runningService } from './service.js';
import { readState, removeState, sameShape, writeState, type ServiceRecord, type StackShape, type StackState } from './state.js';
import { hostDriver, type StartedService, type StartedStack } from './types.js';

export type { S3Access, StartedService, StartedStack, ServiceHandle } from './types.js';

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
  const base = { region: p.region, bucket: cfg.storage.bucket };
  return p.kind === 'cluster'
    ? { kind: 'cluster', ...base, workers: p.spark.workers, workerCores: p.spark.workerCores, workerMemory: p.spark.workerMemory }
    : { kind: 'local', ...base, workers: 0, workerCores: 0, workerMemory: '' };
}

/** The Spark master URL of the local profile (local[*]: Spark inside the driver), undefined otherwise. */
function localMaster(cfg: WorkbenchConfig): string | undefined {
  return cfg.profile.kind === 'local' ? cfg.profile.spark.master : undefined;
}

/** True when the recorded pid still runs the recorded service (not a recycled pid). */
function isRunning(r: ServiceRecord): boolean {
  return commandLine(r.pid)?.includes(r.marker) ?? false;
}

function servicesOf(state: StackState): StartedService[] {
  return state.services.map((r) => runningService({ name: r.name, pid: r.pid, endpoints: r.endpoints, logFile: r.logFile }));
}

/** Stops the recorded services still running (latest first), then removes the state file. */
async function stopRecorded(stateDir: string, state: StackState): Promise<void> {
  const errors: unknown[] = [];
  for (const r of [...state.services].reverse()) {
    if (!isRunning(r)) continue;
    await runningService({ name: r.name, pid: r.pid, endpoints: r.endpoints, logFile: r.logFile })
      .stop()
      .catch((err: unknown) => errors.push(err));
  }
  if (errors.length > 0) throw new AggregateError(errors, `could not stop every service of the stack in ${stateDir}`);
  removeState(stateDir);
}

async function isHealthy(state: StackState, signal: AbortSignal): Promise<boolean> {
  if (!state.services.every(isRunning)) return false;
  if (!(await minioIsLive(state.s3.endpoint, signal))) return false;
  if (state.shape.kind === 'cluster') {
    const json = state.sparkUi ? await fetchMasterJson(state.sparkUi, signal) : undefined;
    const alive = json?.workers?.filter((w) => w.state === 'ALIVE').length ?? 0;
    return json?.status === 'ALIVE' && alive === state.shape.workers;
  }
  return true;
}

function toStartedStack(stateDir: string, state: StackState, services: StartedService[], credentials: { accessKeyId: string; secretAccessKey: string }, reused: boolean): StartedStack {
  let stopping: Promise<void> | undefined;
  return {
    backend: 'native',
    driver: hostDriver,
    s3: { ...state.s3, ...credentials },
    sparkMaster: state.sparkMaster,
    sparkUi: state.sparkUi,
    services,
    reused,
    stop: () =>
      (stopping ??= (async () => {
        const errors: unknown[] = [];
        for (const s of [...services].reverse()) await s.stop().catch((err: unknown) => errors.push(err));
        if (errors.length > 0) throw new AggregateError(errors, `could not stop every service of the stack in ${stateDir}`);
        removeState(stateDir);
      })()),
  };
}

function describe(stack: StartedStack, credentialsFile: string): string[] {
  return [
    `  s3 (MinIO): ${stack.s3.endpoint}  bucket ${stack.s3.bucket} in ${stack.s3.region}`,
    ...stack.services.filter((s) => s.endpoints.console).map((s) => `  MinIO console: ${s.endpoints.console}`),
    `  spark master: ${stack.sparkMaster}${stack.sparkUi ? `  (ui ${stack.sparkUi})` : ''}`,
    `  credentials: ${credentialsFile} (mode 0600)`,
  ];
}

export async function startStack(
  cfg: WorkbenchConfig,
  tools: ToolPaths,
  scope: Scope,
  opts: { keep: boolean; out: Output; env?: Record<string, string | undefined> },
): Promise<StartedStack> {
  const { out } = opts;
  const shape = shapeOf(cfg);
  const stateDir = stateDirOf(cfg);
  const env = opts.env ?? process.env;
  const choice = await selectBackend(cfg.stack.backend, dockerProbe(env));
  out.info(`stack: ${choice.reason}`);
  if (choice.backend === 'docker') {
    const { credentials } = loadOrCreateCredentials(stateDir);
    return startDockerStack({ cfg, shape, stateDir, credentials, scope, keep: opts.keep, out, env, tools });
  }
  // Two commands starting at once would race for the same MinIO data: the second waits, then finds the first.
  return withFileLock(
    path.join(stateDir, 'stack.lock'),
    scope.signal,
    (pid) => out.info(`waiting for another workbench command (pid ${pid}) starting the stack...`),
    () => startOrReuse(cfg, tools, scope, opts, shape, stateDir),
  );
}

async function startOrReuse(
  cfg: WorkbenchConfig,
  tools: ToolPaths,
  scope: Scope,
  opts: { keep: boolean; out: Output; env?: Record<string, string | undefined> },
  shape: StackShape,
  stateDir: string,
): Promise<StartedStack> {
  const { out } = opts;
  const { file: credentialsFile, credentials } = loadOrCreateCredentials(stateDir);

  const previous = readState(stateDir);
  if (previous) {
    const anyRunning = previous.services.some(isRunning);
    if (!previous.kept && anyRunning && previous.ownerPid !== undefined && isPidAlive(previous.ownerPid)) {
      throw new ServiceError(
        `the stack in ${stateDir} belongs to a workbench command that is still running (pid ${previous.ownerPid})`,
        'wait for it to finish, or stop it (Ctrl-C in its terminal); one stack per state folder',
      );
    }
    if (previous.kept && sameShape(previous.shape, shape) && (await isHealthy(previous, scope.signal))) {
      // local[*] is not a service: the profile's current master setting applies, whatever it was at start.
      const current = { ...previous, sparkMaster: localMaster(cfg) ?? previous.sparkMaster };
      const stack = toStartedStack(stateDir, current, servicesOf(previous), credentials, true);
      out.info(`reusing the kept stack started ${previous.startedAt} (npm run stop stops it):`);
      for (const line of describe(stack, credentialsFile)) out.info(line);
      return stack;
    }
    if (anyRunning) {
      out.info(
        previous.kept
          ? `stopping the kept stack of profile "${previous.profileName}" (${sameShape(previous.shape, shape) ? 'not healthy' : 'another shape'})...`
          : `stopping what is left of a stack whose command was interrupted (pid ${previous.ownerPid ?? '?'})...`,
      );
    }
    await stopRecorded(stateDir, previous);
  }

  const base = {
    schemaVersion: 1 as const,
    backend: 'native' as const,
    profileName: cfg.profileName,
    shape,
    startedAt: new Date().toISOString(),
    credentialsFile,
  };
  let state: StackState | undefined;
  const native = await startNativeStack({
    tools,
    shape,
    stateDir,
    credentials,
    minioPort: cfg.stack.minioPort,
    readyTimeoutMs: cfg.stack.readyTimeoutSeconds * 1000,
    baseEnv: opts.env ?? process.env,
    out,
    signal: scope.signal,
    onProgress: (records) => {
      // Until the stack is complete it is owned by this process (kept: false), so a crash leaves it findable.
      state = {
        ...base,
        kept: false,
        ownerPid: process.pid,
        s3: { endpoint: records[0]!.endpoints.s3!, region: shape.region, bucket: shape.bucket },
        sparkMaster: localMaster(cfg) ?? records[1]?.endpoints.master ?? '',
        sparkUi: records[1]?.endpoints.ui,
        services: [...records],
      };
      writeState(stateDir, state);
    },
  }).catch(async (err: unknown) => {
    // startNativeStack stopped what it started; this also covers a stop that failed, then forgets the stack.
    if (state) await stopRecorded(stateDir, state).catch(() => {});
    throw err;
  });
  const final: StackState = { ...state!, kept: opts.keep, ownerPid: opts.keep ? undefined : process.pid };
  writeState(stateDir, final);
  const stack = toStartedStack(stateDir, final, native.services, credentials, false);
  if (opts.keep) {
    out.info('stack kept running (npm run stop stops it):');
    for (const line of describe(stack, credentialsFile)) out.info(line);
  } else {
    scope.stack.use(stack, (s) => s.stop(), 'stack', 'run `npm run stop` to stop what is left of the local stack');
  }
  return stack;
}

/** Stops a kept stack (or the remains of an interrupted one). False when nothing was running. */
export async function stopKeptStack(cfg: WorkbenchConfig, out: Output, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  const stateDir = stateDirOf(cfg);
  // Docker stacks are found by their labels; false (quickly) when no engine answers.
  const dockerStopped = cfg.stack.backend === 'native' ? false : await stopDockerStacks(cfg, stateDir, out, env);
  const state = readState(stateDir);
  if (!state) return dockerStopped;
  const running = state.services.filter(isRunning);
  if (!state.kept && running.length > 0 && state.ownerPid !== undefined && isPidAlive(state.ownerPid)) {
    throw new ServiceError(
      `the stack in ${stateDir} belongs to a workbench command that is still running (pid ${state.ownerPid}); it stops it itself`,
      'press Ctrl-C in that terminal (or kill -INT that pid)',
    );
  }
  for (const r of [...running].reverse()) out.info(`stopping ${r.name} (pid ${r.pid})...`);
  await stopRecorded(stateDir, state);
  return dockerStopped || running.length > 0;
}
