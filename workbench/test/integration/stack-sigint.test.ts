/**
 * Ctrl-C (SIGINT) to a workbench process holding a stack, or starting one, leaves no process behind: every
 * service's process group is gone, nothing mentions the state folder, and the state file is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupMembers } from '../../src/stack/process-group.js';
import { stopKeptStack } from '../../src/stack/index.js';
import { readState, statePath } from '../../src/stack/state.js';
import { cleanupStacks, processesMentioning, recorder, ROOT, setupTools, testConfig } from './stack-fixtures/env.js';

const FIXTURE = path.join(__dirname, 'stack-fixtures', 'hold-stack.ts');

beforeAll(async () => {
  await setupTools(); // so the child only checks its cache
});
afterAll(cleanupStacks);

interface Holder {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  hasExited: () => boolean;
}

function holdStack(profile: 'local' | 'cluster', stateDir: string): Holder {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, profile, stateDir], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited, hasExited: () => done };
}

/** Waits for `cond`; fails at once if the holder died first (bounded: 5 minutes). */
async function until(what: string, cond: () => boolean, h: Holder): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (cond()) return;
    if (h.hasExited()) throw new Error(`the holder exited before ${what}\n${h.stderr()}`);
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}\n${h.stderr()}`);
}

describe('SIGINT to a process holding a stack', () => {
  it('stops every service of a running cluster stack', async () => {
    const cfg = testConfig('cluster');
    const h = holdStack('cluster', cfg.stack.stateDir);
    await until('READY', () => h.stdout().includes('READY '), h);
    const { pids } = JSON.parse(/READY (.*)/.exec(h.stdout())![1]!) as { pids: number[] };
    expect(pids.length).toBeGreaterThanOrEqual(3); // MinIO, the master, the workers
    for (const pid of pids) expect(groupMembers(pid).length).toBeGreaterThan(0);

    h.child.kill('SIGINT');
    expect(await h.exited).toBe(130);
    expect(h.stderr()).toContain('SIGINT: stopping and cleaning up...');
    for (const pid of pids) expect(groupMembers(pid)).toEqual([]);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
    expect(existsSync(statePath(cfg.stack.stateDir))).toBe(false);
  });

  it('stops what was already started when interrupted during start-up', async () => {
    const cfg = testConfig('cluster');
    const h = holdStack('cluster', cfg.stack.stateDir);
    // Interrupt as soon as the master is recorded, while the workers are still starting.
    await until('the master to start', () => (readState(cfg.stack.stateDir)?.services.length ?? 0) >= 2, h);
    const started = readState(cfg.stack.stateDir)!.services.map((s) => s.pid);
    h.child.kill('SIGINT');
    await h.exited;
    expect(h.stdout()).not.toContain('READY');
    for (const pid of started) expect(groupMembers(pid)).toEqual([]);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
    expect(existsSync(statePath(cfg.stack.stateDir))).toBe(false);
  });

  it('a stack whose owner was killed outright (no cleanup ran) is found and stopped by npm run stop', async () => {
    const cfg = testConfig('local');
    const h = holdStack('local', cfg.stack.stateDir);
    await until('READY', () => h.stdout().includes('READY '), h);
    const { pids } = JSON.parse(/READY (.*)/.exec(h.stdout())![1]!) as { pids: number[] };
    h.child.kill('SIGKILL');
    await h.exited;
    expect(groupMembers(pids[0]!).length).toBeGreaterThan(0); // SIGKILL leaves MinIO running...
    const { out, lines } = recorder();
    expect(await stopKeptStack(cfg, out, process.env)).toBe(true); // ...and the state file leads to it.
    expect(lines).toEqual([`stopping minio (pid ${pids[0]})...`]);
    expect(groupMembers(pids[0]!)).toEqual([]);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
  });
});
