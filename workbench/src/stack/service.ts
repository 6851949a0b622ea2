/**
 * The generic native service: one child process in a process group of its own, its stdout and stderr in a
 * log file, a readiness probe polled until a timeout, and an idempotent stop that takes the whole group down.
 * On any failure to become ready (exit, timeout, abort) the process is stopped before the error is thrown,
 * and the error shows the last lines of the log.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, ServiceError } from '../errors.js';
import { formatTail } from '../host/log-tail.js';
import { stopProcessGroup } from './process-group.js';
import type { ServiceHandle, StartedService } from './types.js';

export interface ProcessServiceSpec {
  name: string;
  command: string;
  args: string[];
  /** The child's whole environment (nothing is inherited implicitly). Secrets go here, never in args. */
  env: Record<string, string | undefined>;
  cwd?: string;
  logFile: string;
  endpoints: Record<string, string>;
  /** One readiness probe; must be bounded in time and never throw. */
  isReady(signal: AbortSignal): Promise<boolean>;
  readyTimeoutMs: number;
  /** How long SIGTERM gets before SIGKILL. */
  stopGraceMs?: number;
}

/** A StartedService for a process group that is already running (ours, or one recorded in a state file). */
export function runningService(spec: {
  name: string;
  pid: number;
  endpoints: Record<string, string>;
  logFile: string;
  stopGraceMs?: number;
}): StartedService {
  let stopping: Promise<void> | undefined;
  return {
    name: spec.name,
    endpoints: spec.endpoints,
    logFile: spec.logFile,
    pid: spec.pid,
    stop: () => (stopping ??= stopProcessGroup(spec.pid, { graceMs: spec.stopGraceMs, name: spec.name })),
  };
}

export function processService(spec: ProcessServiceSpec): ServiceHandle {
  return {
    name: spec.name,
    async start(signal: AbortSignal): Promise<StartedService> {
      if (signal.aborted) throw new AbortedError();
      mkdirSync(path.dirname(spec.logFile), { recursive: true });
      const fd = openSync(spec.logFile, 'a', 0o600);
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let spawnError: Error | undefined;
      const child = (() => {
        try {
          return spawn(spec.command, spec.args, {
            cwd: spec.cwd,
            env: spec.env as NodeJS.ProcessEnv,
            // detached: a process group of its own, so stop() reaches every descendant and a Ctrl-C in the
            // terminal reaches only the workbench, which then stops the services in order.
            detached: true,
            stdio: ['ignore', fd, fd],
          });
        } finally {
          closeSync(fd);
        }
      })();
      child.on('exit', (code, sig) => (exit = { code, signal: sig }));
      child.on('error', (err) => (spawnError = err));
      // The service may outlive this process (--keep); the scope's cleanup keeps it in check otherwise.
      child.unref();
      await new Promise<void>((resolve) => {
        child.once('spawn', resolve);
        child.once('error', () => resolve());
      });
      if (spawnError || child.pid === undefined) {
        throw new ServiceError(`${spec.name} could not be started: ${spawnError?.message ?? 'no pid'}`, `check that ${spec.command} exists (npm run setup)`);
      }
      const started = runningService({ name: spec.name, pid: child.pid, endpoints: spec.endpoints, logFile: spec.logFile, stopGraceMs: spec.stopGraceMs });
      const deadline = Date.now() + spec.readyTimeoutMs;
      for (;;) {
        if (signal.aborted) {
          await started.stop();
          throw new AbortedError();
        }
        if (exit) {
          await started.stop();
          throw new ServiceError(
            `${spec.name} exited (${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}) before it was ready\n${formatTail(spec.logFile)}`,
            `read ${spec.logFile}`,
          );
        }
        if (await spec.isReady(signal)) return started;
        if (Date.now() >= deadline) {
          await started.stop();
          throw new ServiceError(
            `${spec.name} was not ready after ${Math.round(spec.readyTimeoutMs / 1000)} s\n${formatTail(spec.logFile)}`,
            `read ${spec.logFile}; raise stack.readyTimeoutSeconds in workbench.yaml if the machine is just slow`,
          );
        }
        try {
          await sleep(250, undefined, { signal });
        } catch {
          // aborted: handled at the top of the loop
        }
      }
    },
  };
}
