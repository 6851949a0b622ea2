/** The cluster profile's stack on real processes: MinIO + a standalone Spark master + 2 workers. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withScope } from '../../src/lifecycle.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { startStack, stopKeptStack } from '../../src/stack/index.js';
import { fetchMasterJson } from '../../src/stack/native/spark-master.js';
import { descendants, groupMembers } from '../../src/stack/process-group.js';
import { cleanupStacks, processesMentioning, recorder, setupTools, testConfig } from './stack-fixtures/env.js';

let tools: ToolPaths;
beforeAll(async () => {
  tools = await setupTools();
});
afterAll(cleanupStacks);

/** Spark's memory strings as the master reports them (MB): 3g -> 3072, 512m -> 512. */
function memoryMb(s: string): number {
  const m = /^(\d+)([gm])$/i.exec(s)!;
  return Number(m[1]) * (m[2]!.toLowerCase() === 'g' ? 1024 : 1);
}

const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

describe('native stack, cluster profile', () => {
  it('starts a master and the profile\'s workers (2 by default), ALIVE on loopback; stop leaves no process', async () => {
    const cfg = testConfig('cluster');
    const { out, lines } = recorder();
    const pids: number[] = [];
    await withScope(
      async (scope) => {
        const stack = await startStack(cfg, tools, scope, { keep: false, out, env: process.env });
        const workers = cfg.profile.kind === 'cluster' ? cfg.profile.spark.workers : 0;
        expect(stack.services.map((s) => s.name)).toEqual(['minio', 'spark-master', ...Array.from({ length: workers }, (_, i) => `spark-worker-${i + 1}`)]);
        expect(stack.sparkMaster).toMatch(/^spark:\/\/127\.0\.0\.1:\d+$/);
        expect(stack.sparkUi).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

        const master = await fetchMasterJson(stack.sparkUi!, scope.signal);
        expect(master?.status).toBe('ALIVE');
        const alive = master!.workers!.filter((w) => w.state === 'ALIVE');
        const spark = cfg.profile.kind === 'cluster' ? cfg.profile.spark : undefined;
        expect(alive).toHaveLength(spark!.workers);
        for (const w of alive) {
          expect(w.host).toBe('127.0.0.1');
          expect(w.cores).toBe(spark!.workerCores);
          expect(w.memory).toBe(memoryMb(spark!.workerMemory));
        }

        for (const s of stack.services) pids.push(...groupMembers(s.pid!));
        for (const worker of stack.services.filter((s) => s.name.startsWith('spark-worker'))) {
          // Executors inherit the worker's environment: the S3 credentials are there, never on a command line.
          const env = environ(worker.pid!);
          expect(env).toContain(`AWS_ACCESS_KEY_ID=${stack.s3.accessKeyId}`);
          expect(env).toContain(`AWS_SECRET_ACCESS_KEY=${stack.s3.secretAccessKey}`);
          expect(env).toContain(`PYSPARK_PYTHON=${tools.python}`);
          expect(env).toContain('SPARK_LOCAL_IP=127.0.0.1');
        }
        for (const pid of pids) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(stack.s3.secretAccessKey);
      },
      { handleSignals: false },
    );
    expect(lines.filter((l) => / ready: /.test(l))).toHaveLength(2 + (cfg.profile.kind === 'cluster' ? cfg.profile.spark.workers : 0));
    expect(pids.filter((p) => groupMembers(p).length > 0 || descendants(process.pid).includes(p))).toEqual([]);
    expect(descendants(process.pid)).toEqual([]);
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
  });

  it('a kept cluster is reused by the same profile and replaced for another shape', async () => {
    const cfg = testConfig('cluster');
    const kept = await withScope((scope) => startStack(cfg, tools, scope, { keep: true, out: recorder().out, env: process.env }), { handleSignals: false });
    const again = await withScope((scope) => startStack(cfg, tools, scope, { keep: true, out: recorder().out, env: process.env }), { handleSignals: false });
    expect(again.reused).toBe(true);
    expect(again.sparkMaster).toBe(kept.sparkMaster);

    // The local profile on the same state folder: the kept cluster is stopped, a MinIO-only stack starts.
    const local = { ...testConfig('local', cfg.stack.stateDir) };
    const { out, lines } = recorder();
    await withScope(
      async (scope) => {
        const stack = await startStack(local, tools, scope, { keep: false, out, env: process.env });
        expect(stack.reused).toBe(false);
        expect(stack.services.map((s) => s.name)).toEqual(['minio']);
      },
      { handleSignals: false },
    );
    expect(lines).toContainEqual(expect.stringMatching(/^stopping the kept stack of profile "cluster" \(another shape\)/));
    expect(processesMentioning(cfg.stack.stateDir)).toEqual([]);
    expect(await stopKeptStack(cfg, recorder().out, process.env)).toBe(false);
  });
});
