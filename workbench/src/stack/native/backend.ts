/**
 * The native backend's side of the kept-stack mechanism (kept-stack.ts): its state is the state file
 * <stateDir>/stack.json (state.ts), which records each process (pid + a command-line marker, so a recycled pid is
 * never taken for a service), the shape and who owns the stack. Healthy = every recorded process runs, MinIO
 * answers and, for a cluster, the master reports the expected workers alive.
 */
import type { WorkbenchConfig } from '../../config/schema.js';
import type { Scope } from '../../lifecycle.js';
import type { Output } from '../../terminal/index.js';
import type { StackCredentials } from '../credentials.js';
import type { FoundStack, StackBackend } from '../kept-stack.js';
import { commandLine } from '../process-group.js';
import { runningService } from '../service.js';
import { readState, removeState, sameShape, writeState, type ServiceRecord, type StackShape, type StackState } from '../state.js';
import { hostDriver, type StackTools, type StartedService, type StartedStack } from '../types.js';
import { startNativeStack } from './index.js';
import { minioIsLive } from './minio.js';
import { fetchMasterJson } from './spark-master.js';

export interface NativeFound extends FoundStack {
  state: StackState;
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

function toStartedStack(stateDir: string, state: StackState, services: StartedService[], credentials: StackCredentials, reused: boolean): StartedStack {
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

function found(state: StackState | undefined, shape?: StackShape): NativeFound | undefined {
  if (!state) return undefined;
  return { state, kept: state.kept, ownerPid: state.ownerPid, running: state.services.some(isRunning), sameShape: shape !== undefined && sameShape(state.shape, shape) };
}

export interface NativeBackendOptions {
  cfg: WorkbenchConfig;
  tools: StackTools;
  shape: StackShape;
  stateDir: string;
  credentialsFile: string;
  credentials: StackCredentials;
  scope: Scope;
  out: Output;
  env: Record<string, string | undefined>;
}

export function nativeBackend(o: NativeBackendOptions): StackBackend<NativeFound, StartedStack> {
  const { cfg, shape, stateDir, credentials, out } = o;
  // local[*] is not a service: the profile's current master setting applies, whatever it was at start.
  const localMaster = cfg.profile.kind === 'local' ? cfg.profile.spark.master : undefined;
  return {
    what: `the stack in ${stateDir}`,
    onePer: 'one stack per state folder',
    keptLine: 'stack kept running (npm run stop stops it):',
    find: async () => found(readState(stateDir), shape),
    reusingLine: (f) => `reusing the kept stack started ${f.state.startedAt} (npm run stop stops it):`,

    async reuse(f, signal) {
      if (!(await isHealthy(f.state, signal))) return undefined;
      const current = { ...f.state, sparkMaster: localMaster ?? f.state.sparkMaster };
      return toStartedStack(stateDir, current, servicesOf(f.state), credentials, true);
    },

    async replace(f) {
      if (f.running) {
        out.info(
          f.kept
            ? `stopping the kept stack of profile "${f.state.profileName}" (${f.sameShape ? 'not healthy' : 'another shape'})...`
            : `stopping what is left of a stack whose command was interrupted (pid ${f.state.ownerPid ?? '?'})...`,
        );
      }
      await stopRecorded(stateDir, f.state);
    },

    async start(keep) {
      const base = {
        schemaVersion: 1 as const,
        backend: 'native' as const,
        profileName: cfg.profileName,
        shape,
        startedAt: new Date().toISOString(),
        credentialsFile: o.credentialsFile,
      };
      let state: StackState | undefined;
      const native = await startNativeStack({
        tools: o.tools,
        shape,
        stateDir,
        credentials,
        minioPort: cfg.stack.minioPort,
        readyTimeoutMs: cfg.stack.readyTimeoutSeconds * 1000,
        baseEnv: o.env,
        out,
        signal: o.scope.signal,
        onProgress: (records) => {
          // Until the stack is complete it is owned by this process (kept: false), so a crash leaves it findable.
          state = {
            ...base,
            kept: false,
            ownerPid: process.pid,
            s3: { endpoint: records[0]!.endpoints.s3!, region: shape.region, bucket: shape.bucket },
            sparkMaster: localMaster ?? records[1]?.endpoints.master ?? '',
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
      const final: StackState = { ...state!, kept: keep, ownerPid: keep ? undefined : process.pid };
      writeState(stateDir, final);
      const stack = toStartedStack(stateDir, final, native.services, credentials, false);
      if (!keep) o.scope.stack.use(stack, (s) => s.stop(), 'stack', 'run `npm run stop` to stop what is left of the local stack');
      return stack;
    },

    describe: (stack) => [
      `  s3 (MinIO): ${stack.s3.endpoint}  bucket ${stack.s3.bucket} in ${stack.s3.region}`,
      ...stack.services.filter((s) => s.endpoints.console).map((s) => `  MinIO console: ${s.endpoints.console}`),
      `  spark master: ${stack.sparkMaster}${stack.sparkUi ? `  (ui ${stack.sparkUi})` : ''}`,
      `  credentials: ${o.credentialsFile} (mode 0600)`,
    ],
  };
}

/** `npm run stop` for the native backend: stops what the state file records. False when nothing was running. */
export async function stopNativeKept(stateDir: string, out: Output, refuse: (f: NativeFound) => void): Promise<boolean> {
  const f = found(readState(stateDir));
  if (!f) return false;
  refuse(f);
  const running = f.state.services.filter(isRunning);
  for (const r of [...running].reverse()) out.info(`stopping ${r.name} (pid ${r.pid})...`);
  await stopRecorded(stateDir, f.state);
  return running.length > 0;
}
