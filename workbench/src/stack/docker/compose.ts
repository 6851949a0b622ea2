/**
 * docker-compose.yml through the `docker compose` CLI: argv builders (pure) and one executor. The CLI is the
 * simpler path for what compose does well (build with the right context, interpolate the env file, start in
 * dependency order, wait for health checks); the engine itself is read through dockerode (engine.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { AbortedError, PrerequisiteError, ServiceError } from '../../errors.js';
import type { StackShape } from '../state.js';

export interface ComposeProject {
  /** Absolute path of docker-compose.yml (the repository root's). */
  file: string;
  /** Repository root: build contexts in the compose file are relative to it. */
  directory: string;
  /** The generated env file (env-file.ts). */
  envFile: string;
  /** Compose project name = stack name (names.ts). */
  name: string;
}

/** Service names in docker-compose.yml. */
export const SERVICE = {
  minio: 'minio',
  createBucket: 'create-bucket',
  master: 'spark-master',
  worker: 'spark-worker',
  driver: 'spark-driver',
} as const;

/** Oldest Compose v2 release the stack is tested against (--wait, --wait-timeout, deploy.replicas, profiles). */
export const MIN_COMPOSE = [2, 20] as const;

/** `docker compose <global flags> <sub...>`. Pure. */
export function composeArgv(p: ComposeProject, sub: readonly string[]): string[] {
  return ['compose', '--file', p.file, '--project-directory', p.directory, '--env-file', p.envFile, '--project-name', p.name, ...sub];
}

/** The long-running services of a shape. The local profile runs Spark in the driver (local[*]). Pure. */
export function servicesOf(shape: Pick<StackShape, 'kind'>): string[] {
  return shape.kind === 'cluster' ? [SERVICE.minio, SERVICE.master, SERVICE.worker] : [SERVICE.minio];
}

/** Builds the Spark image (one build serves master, workers and driver: they share the tag). Pure. */
export function buildArgv(): string[] {
  return ['build', SERVICE.master];
}

/**
 * Starts the shape's services and returns once each is running and healthy (compose --wait). The one-shot
 * bucket service is not part of `up`: `--wait` treats a container that exits as a failure in some compose
 * versions, so the bucket is made by createBucketArgv afterwards. Pure.
 */
export function upArgv(shape: Pick<StackShape, 'kind'>, waitTimeoutSeconds: number): string[] {
  return ['up', '--detach', '--wait', '--wait-timeout', String(waitTimeoutSeconds), ...servicesOf(shape)];
}

/** Runs the bucket service to completion; its exit code is the result. Pure. */
export function createBucketArgv(): string[] {
  return ['run', '--rm', '--no-TTY', SERVICE.createBucket];
}

/** `2.40.3`, `v2.40.3-desktop.1` or `5.0.0` -> [major, minor]; undefined when unreadable. Pure. */
export function parseComposeVersion(text: string): [number, number] | undefined {
  const m = /v?(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function composeVersionOk(v: [number, number]): boolean {
  return v[0] > MIN_COMPOSE[0] || (v[0] === MIN_COMPOSE[0] && v[1] >= MIN_COMPOSE[1]);
}

/** Checks the compose plugin is there and recent enough; returns its version or a reason. Never throws. */
export async function probeCompose(env: Record<string, string | undefined>): Promise<{ ok: boolean; version?: string; reason?: string }> {
  try {
    const r = await execa('docker', ['compose', 'version', '--short'], { env: composeProcessEnv(env), extendEnv: false, timeout: 10_000, stdin: 'ignore' });
    const v = parseComposeVersion(r.stdout);
    if (!v) return { ok: false, reason: `cannot read the Docker Compose version from ${JSON.stringify(r.stdout.trim())}` };
    if (!composeVersionOk(v)) return { ok: false, version: r.stdout.trim(), reason: `Docker Compose ${r.stdout.trim()} is older than ${MIN_COMPOSE.join('.')}` };
    return { ok: true, version: r.stdout.trim() };
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') return { ok: false, reason: 'the docker CLI is not installed' };
    return { ok: false, reason: `the Docker Compose v2 plugin is missing (\`docker compose version\` failed: ${(e.stderr ?? '').trim().split('\n')[0] || 'no output'})` };
  }
}

export function requireCompose(probe: { ok: boolean; reason?: string }): void {
  if (!probe.ok) {
    throw new PrerequisiteError(
      `the docker backend needs Docker Compose v2 >= ${MIN_COMPOSE.join('.')}: ${probe.reason}`,
      'install or update the Docker Compose plugin (https://docs.docker.com/compose/install/), or use --backend native',
    );
  }
}

/**
 * The environment for the compose CLI: the caller's, minus COMPOSE_* and FRUITS_* variables. Compose lets shell
 * variables override the env file, so a stray FRUITS_S3_SECRET_KEY or COMPOSE_PROFILES in the user's shell would
 * silently change the stack. Pure.
 */
export function composeProcessEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^(COMPOSE_|FRUITS_)/.test(k)));
}

export interface ComposeRunOptions {
  signal: AbortSignal;
  /** Output (stdout and stderr) is appended here as it comes, and its end is quoted in errors. */
  logFile: string;
  env: Record<string, string | undefined>;
}

/**
 * Runs `docker compose <sub>`; resolves with its stdout. Compose reads every value, credentials included, from
 * the env file: nothing secret is in argv or in the environment given here.
 */
export async function runCompose(p: ComposeProject, sub: readonly string[], o: ComposeRunOptions): Promise<string> {
  mkdirSync(path.dirname(o.logFile), { recursive: true, mode: 0o700 });
  const log = { file: o.logFile, append: true } as const;
  try {
    const r = await execa('docker', composeArgv(p, sub), {
      cwd: p.directory,
      env: composeProcessEnv(o.env),
      extendEnv: false,
      stdin: 'ignore',
      stdout: ['pipe', log],
      stderr: ['pipe', log],
      all: true,
      cancelSignal: o.signal,
      forceKillAfterDelay: 10_000,
    });
    return r.stdout;
  } catch (err) {
    const e = err as { isCanceled?: boolean; exitCode?: number; all?: string; shortMessage?: string };
    if (e.isCanceled || o.signal.aborted) throw new AbortedError();
    const tail = (e.all ?? '').trim().split('\n').slice(-15).map((l) => `  | ${l}`).join('\n');
    throw new ServiceError(
      `docker compose ${sub[0]} failed (${e.exitCode !== undefined ? `exit ${e.exitCode}` : (e.shortMessage ?? 'no exit code')})${tail ? `:\n${tail}` : ''}`,
      `read ${o.logFile}; fix the cause, then rerun (a half-started stack is removed first)`,
      { cause: err },
    );
  }
}
