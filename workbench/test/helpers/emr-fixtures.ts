/** Configs and described files for the promote tests: real loadConfig on a temp workbench.yaml, fake file facts. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import type { LocalFile } from '../../src/storage/upload-plan.js';
import type { ArtifactFiles, PromotePlanInputs } from '../../src/emr/plan.js';
import { linesOutput } from '../../src/terminal/index.js';

/** A config whose `emr` profile is `profile` (defaults filled in by the real schema). */
export function emrConfig(opts: { profile?: Record<string, unknown>; job?: Record<string, unknown>; storage?: Record<string, unknown>; root?: string } = {}): WorkbenchConfig {
  const root = opts.root ?? mkdtempSync(path.join(tmpdir(), 'wb-emr-'));
  const doc = {
    job: { weights: 'random:0', input: 'images', ...opts.job },
    ...(opts.storage ? { storage: opts.storage } : {}),
    profiles: {
      local: { kind: 'local' },
      emr: { kind: 'emr', bucket: 'fruits-test-bucket', ...opts.profile },
    },
  };
  writeFileSync(path.join(root, 'workbench.yaml'), stringify(doc));
  return loadConfig({ root, env: { HOME: root }, flags: { profile: 'emr' } });
}

const hex = (seed: string, n: number) => seed.repeat(n).slice(0, n);

export function fakeFile(p: string, seed = 'a', bytes = 100): LocalFile {
  return { relPath: path.basename(p), absPath: p, size: bytes, md5: hex(seed, 32) };
}

export function fakeArtifact(sha = 'f'.repeat(64)): ArtifactFiles {
  return {
    sha256: sha,
    files: {
      zip: fakeFile('/art/fruits_pipeline.zip', '1'),
      entrypoint: fakeFile('/art/entrypoint.py', '2'),
      lock: fakeFile('/art/requirements.lock', '3'),
      release: fakeFile('/art/release.json', '5'),
      bootstrap: fakeFile('/art/bootstrap.sh', '4'),
      filter: fakeFile('/art/runtime-lock-filter.sh', '6'),
    },
    wheels: [{ ...fakeFile('/wheelhouse/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl', '7'), relPath: 'wheels/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl' }],
  };
}

export function fakeInputFiles(dir = '/data/fruits-sample', rels = ['Apple/1_100.jpg', 'Banana/2_100.jpg']): LocalFile[] {
  return rels.map((rel, i) => ({ ...fakeFile(path.join(dir, rel), String(i + 5)), relPath: rel }));
}

export function planInputs(over: Partial<PromotePlanInputs> = {}): PromotePlanInputs {
  return {
    artifact: fakeArtifact(),
    input: { kind: 'local', dir: '/data/fruits-sample', files: fakeInputFiles() },
    runId: '20261125T200102Z-ab12cd',
    weights: { spec: 'random:0' },
    createdAt: '2026-11-25T20:01:02.000Z',
    ...over,
  };
}

/** A real folder of tiny "images" (bytes are not decoded by the workbench) and its path. */
export function imageFolder(root: string, name = 'fruits-mini', rels = ['Apple/1_100.jpg', 'Apple/2_100.jpg', 'Banana/1_100.png']): string {
  const dir = path.join(root, name);
  for (const rel of rels) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), `fake image ${rel}`);
  }
  return dir;
}

/** A clock whose sleeps return at once and move time forward: waits and time-outs without waiting. */
export function fakeClock(start = 0): import('../../src/emr/clock.js').Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      slept.push(ms);
      now += ms;
      await Promise.resolve();
    },
  };
}

/** An Output that records lines (info, warn and result together, in order). */
export function recordingOutput(): import('../../src/commands/types.js').Output & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(linesOutput((l) => lines.push(l)), { lines });
}

type Handler = (input: Record<string, unknown>) => unknown;

/**
 * Makes an SDK client answer from `handlers` (by command name, e.g. 'DescribeStepCommand') instead of the
 * network: a middleware at the front of the stack returns the canned output. Other commands go through.
 */
let answerSets = 0;
export function answerWith<C extends { middlewareStack: { add: (...a: never[]) => void } }>(client: C, handlers: Record<string, Handler>): C {
  (client.middlewareStack as unknown as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      const h = context.commandName ? handlers[context.commandName] : undefined;
      if (!h) return next(args);
      return { output: { $metadata: { httpStatusCode: 200 }, ...((await h(args.input)) as object) }, response: {} };
    },
    { step: 'initialize', name: `cannedAnswers-${++answerSets}`, priority: 'high' },
  );
  return client;
}
