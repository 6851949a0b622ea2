/** The local profile's stack on real processes: MinIO with a bucket in the region, kept and reused, stopped. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { GetBucketLocationCommand, HeadBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withScope } from '../../src/lifecycle.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { startStack, stopKeptStack } from '../../src/stack/index.js';
import { descendants } from '../../src/stack/process-group.js';
import { readState, statePath } from '../../src/stack/state.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { cleanupStacks, processesMentioning, recorder, setupTools, testConfig } from './stack-fixtures/env.js';

let tools: ToolPaths;
beforeAll(async () => {
  tools = await setupTools();
});
afterAll(cleanupStacks);

describe('native stack, local profile', () => {
  it('starts MinIO on loopback with the bucket in the region, and leaves no process after the run', async () => {
    const cfg = testConfig('local');
    const { out, lines } = recorder();
    let seen: { pid?: number; endpoint: string } | undefined;
    await withScope(
      async (scope) => {
        const stack = await startStack(cfg, tools, scope, { keep: false, out, env: process.env });
        expect(stack.backend).toBe('native');
        expect(stack.reused).toBe(false);
        expect(stack.sparkMaster).toBe('local[*]');
        expect(stack.s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(stack.s3.region).toBe(cfg.profile.region);
        expect(stack.s3.secretAccessKey.length).toBeGreaterThanOrEqual(8);
        expect(stack.services.map((s) => s.name)).toEqual(['minio']);
        seen = { pid: stack.services[0]!.pid, endpoint: stack.s3.endpoint };

        const s3 = createS3Client(stack.s3);
        await s3.send(new HeadBucketCommand({ Bucket: stack.s3.bucket }));
        const loc = await s3.send(new GetBucketLocationCommand({ Bucket: stack.s3.bucket }));
        expect(loc.LocationConstraint).toBe(cfg.profile.region);
        // Generated credentials only: the well-known defaults are refused.
        const anon = createS3Client({ ...stack.s3, accessKeyId: 'minioadmin', secretAccessKey: 'minioadmin' });
        await expect(anon.send(new ListBucketsCommand({}))).rejects.toThrow();
        s3.destroy();
        anon.destroy();

        // The secret is in the process environment, never on its command line.
        const cmdline = readFileSync(`/proc/${seen.pid}/cmdline`, 'utf8');
        expect(cmdline).not.toContain(stack.s3.secretAccessKey);
        expect(cmdline).toContain(`--address\u0000127.0.0.1:`);
        const state = readState(cfg.stack.stateDir)!;
        expect(state.kept).toBe(false);
        expect(state.ownerPid).toBe(process.pid);
        expect(statSync(statePath(cfg.stack.stateDir)).mode & 0o777).toBe(0o600);
        expect(JSON.stringify(state)).not.toContain(stack.s3.secretAccessKey);
      },
      { handleSignals: false },
    );
    expect(lines.some((l) => l.startsWith('minio ready: http://127.0.0.1:'))).toBe(true);
    expect(descendants(process.pid)).toEqual([]);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
    expect(existsSync(statePath(cfg.stack.stateDir))).toBe(false);
    // The data stays for the next run (uploads are skipped the second time).
    expect(existsSync(path.join(cfg.stack.stateDir, 'minio-data', cfg.storage.bucket))).toBe(true);
  });

  it('--keep leaves the stack up, a second start reuses it, stopKeptStack stops it', async () => {
    const cfg = testConfig('local');
    const first = recorder();
    const kept = await withScope((scope) => startStack(cfg, tools, scope, { keep: true, out: first.out, env: process.env }), { handleSignals: false });
    expect(first.lines).toContain('stack kept running (npm run stop stops it):');
    expect(first.lines.join('\n')).not.toContain(kept.s3.secretAccessKey);
    const pid = kept.services[0]!.pid!;
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([pid]);
    expect(readState(cfg.stack.stateDir)?.kept).toBe(true);
    expect(readState(cfg.stack.stateDir)?.ownerPid).toBeUndefined();

    const second = recorder();
    const reused = await withScope((scope) => startStack(cfg, tools, scope, { keep: false, out: second.out, env: process.env }), { handleSignals: false });
    expect(reused.reused).toBe(true);
    expect(reused.s3).toEqual(kept.s3);
    expect(reused.services[0]!.pid).toBe(pid);
    expect(second.lines).toContainEqual(expect.stringMatching(/^reusing the kept stack/));
    // The reused kept stack is still up after that command's scope closed.
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([pid]);

    const stopping = recorder();
    expect(await stopKeptStack(cfg, stopping.out, process.env)).toBe(true);
    expect(stopping.lines).toEqual([`stopping minio (pid ${pid})...`]);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
    expect(descendants(process.pid)).toEqual([]);
    expect(await stopKeptStack(cfg, recorder().out, process.env)).toBe(false);
  });

  it('replaces a kept stack that is no longer healthy', async () => {
    const cfg = testConfig('local');
    const kept = await withScope((scope) => startStack(cfg, tools, scope, { keep: true, out: recorder().out, env: process.env }), { handleSignals: false });
    process.kill(kept.services[0]!.pid!, 'SIGKILL');
    const { out, lines } = recorder();
    await withScope(
      async (scope) => {
        const fresh = await startStack(cfg, tools, scope, { keep: false, out, env: process.env });
        expect(fresh.reused).toBe(false);
        expect(fresh.services[0]!.pid).not.toBe(kept.services[0]!.pid);
      },
      { handleSignals: false },
    );
    expect(lines.some((l) => l.startsWith('minio ready'))).toBe(true);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
  });
});
