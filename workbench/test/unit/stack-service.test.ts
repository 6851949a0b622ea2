import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, ServiceError } from '../../src/errors.js';
import { descendants, groupMembers } from '../../src/stack/process-group.js';
import { processService, type ProcessServiceSpec } from '../../src/stack/service.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spec(script: string, over: Partial<ProcessServiceSpec> = {}): ProcessServiceSpec {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-svc-'));
  dirs.push(dir);
  return {
    name: 'fake',
    command: '/bin/sh',
    args: ['-c', script],
    env: { PATH: process.env.PATH, SECRET_FROM_ENV: 'not-on-the-command-line' },
    logFile: path.join(dir, 'logs', 'fake.log'),
    endpoints: { api: 'http://127.0.0.1:1' },
    isReady: async () => true,
    readyTimeoutMs: 5_000,
    ...over,
  };
}

describe('processService', () => {
  it('runs the service in its own process group and stop() leaves no process of it', async () => {
    // A parent with two children, like spark-class and its JVM: all must go.
    const sp = spec('sleep 300 & sleep 300 & echo started; wait');
    const s = await processService({ ...sp, isReady: async () => readFileSync(sp.logFile, 'utf8').includes('started') }).start(
      new AbortController().signal,
    );
    try {
      expect(s.pid).toBeGreaterThan(0);
      expect(groupMembers(s.pid!).length).toBeGreaterThanOrEqual(3);
    } finally {
      await s.stop();
    }
    expect(groupMembers(s.pid!)).toEqual([]);
    expect(descendants(process.pid)).toEqual([]);
    await s.stop(); // idempotent
  });

  it('writes the output to the log file, and the secret only reaches the environment', async () => {
    const sp = spec('echo "hello from the service"; echo "secret=$SECRET_FROM_ENV"; sleep 300');
    const s = await processService({ ...sp, isReady: async () => readFileSync(sp.logFile, 'utf8').includes('secret=') }).start(new AbortController().signal);
    const log = readFileSync(s.logFile, 'utf8');
    expect(log).toContain('hello from the service');
    expect(log).toContain('secret=not-on-the-command-line');
    expect(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8')).not.toContain('not-on-the-command-line');
    await s.stop();
  });

  it('fails with the tail of the log when the process exits before it is ready', async () => {
    const err = await processService(spec('echo "bad config: port taken"; exit 3', { isReady: async () => false }))
      .start(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toContain('fake exited (code 3) before it was ready');
    expect((err as Error).message).toContain('| bad config: port taken');
  });

  it('stops the process and fails when it is not ready in time', async () => {
    const err = await processService(spec('echo waiting; exec sleep 300', { readyTimeoutMs: 700, isReady: async () => false }))
      .start(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toMatch(/fake was not ready after 1 s/);
    expect((err as Error).message).toContain('| waiting');
    expect(descendants(process.pid)).toEqual([]);
  });

  it('stops the process when the signal aborts during start-up', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await processService(spec('exec sleep 300', { isReady: async () => false })).start(controller.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(descendants(process.pid)).toEqual([]);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const s = await processService(spec("trap '' TERM; echo ready; while :; do sleep 1; done", { stopGraceMs: 500 })).start(
      new AbortController().signal,
    );
    await s.stop();
    expect(groupMembers(s.pid!)).toEqual([]);
  });

  it('fails clearly when the command does not exist', async () => {
    const err = await processService(spec('', { command: '/nonexistent/minio' }))
      .start(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toContain('fake could not be started');
  });
});
