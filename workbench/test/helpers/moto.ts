/**
 * moto in server mode for the promote contract tests: one process on 127.0.0.1, a free port, started from a
 * Python that has `moto[server]` (versions.json "moto"), ready when its HTTP API answers, stopped (and its
 * state gone) at the end. Which Python is injectable: `python` option, else env WORKBENCH_MOTO_PYTHON, else
 * the project venv (pipeline/requirements.lock pins moto[server]; `make test` builds the venv first).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { projectPython } from './project-python.js';


export interface MotoServer {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /** Forget every resource (POST /moto-api/reset): isolates tests sharing one server. */
  reset(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
}

/** Credentials moto accepts; set in the test env so the SDK's default chain finds them. Not secrets. */
export const MOTO_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

/** The Python to use, or why moto cannot run (for `describe.skipIf` with a reason). */
export function motoPython(opts: { python?: string; env?: Record<string, string | undefined> } = {}): { python?: string; reason?: string } {
  const fromEnv = opts.python ?? opts.env?.WORKBENCH_MOTO_PYTHON ?? process.env.WORKBENCH_MOTO_PYTHON;
  const project = fromEnv ? { python: fromEnv } : projectPython();
  if (!project.python) return { reason: project.reason };
  const python = project.python;
  if (!existsSync(python)) return { reason: `no Python at ${python} (set WORKBENCH_MOTO_PYTHON to a venv python with moto[server])` };
  try {
    execFileSync(python, ['-c', 'import moto.server, flask'], { stdio: 'ignore', timeout: 60_000 });
  } catch {
    return { reason: `${python} has no moto[server] (pip install 'moto[server]==5.1.22' into it)` };
  }
  return { python };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(endpoint: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await delay(200);
  }
  throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms:\n${log()}`);
}

/**
 * `script`: a Python file run instead of `-m moto.server` (same arguments), e.g. moto_serverless.py, which patches
 * moto where it has no AWS-shaped answer; `env`: extra environment for the server (e.g. that script's settings).
 */
export async function startMoto(opts: { python?: string; readyTimeoutMs?: number; script?: string; env?: Record<string, string> } = {}): Promise<MotoServer> {
  const { python, reason } = motoPython(opts);
  if (!python) throw new Error(reason);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(python, [...(opts.script ? [opts.script] : ['-m', 'moto.server']), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...MOTO_ENV, PYTHONUNBUFFERED: '1', ...opts.env },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }));
  try {
    await waitReady(endpoint, child, () => output, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoint,
    port,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    stop,
  };
}
