/**
 * `job.weights: auto`, tier 2: Keras' official file downloaded (pinned by size, and by sha256 and/or by its weight
 * values through an injected digest) between Keras' cache and the shared .npy export. A real HTTP server on 127.0.0.1 plays storage.googleapis.com; the .npy converter is
 * a shell stand-in for the venv python (it writes its --out file), so no TensorFlow runs here.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { AbortedError } from '../../src/errors.js';
import {
  attemptFileName,
  officialAttemptDue,
  officialWeightsPin,
  parseKerasWeightsPin,
  planAutoWeights,
  RETRY_UNREACHABLE_MS,
  type KerasWeightsPin,
  type WeightsDigest,
} from '../../src/setup/official-weights.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { KERAS_NO_TOP_FILE, resolveWeights } from '../../src/setup/weights.js';
import { linesOutput } from '../../src/terminal/index.js';

const GOOD = Buffer.from('the pinned official Keras bytes\n'.repeat(8192)); // 256 KiB: several chunks
const VALUES = 'a'.repeat(64); // the arrays_sha256 the stand-in digest reports for GOOD
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: Server;
let port = 0;
let requests = 0;
let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(GOOD);
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pin(overrides: Partial<KerasWeightsPin> = {}): KerasWeightsPin {
  return { url: `http://127.0.0.1:${port}/mobilenet_v2/${KERAS_NO_TOP_FILE}`, bytes: GOOD.length, sha256: sha(GOOD), arraysSha256: null, ...overrides };
}

function recorder() {
  const lines: string[] = [];
  return { out: linesOutput((l) => lines.push(l)), lines };
}

/** job.weights: auto, with Keras' home, the shared folder and the cache in a temp folder; optionally a shared .npy export. */
function setting(opts: { npy?: boolean } = {}) {
  const base = mkdtempSync(path.join(tmpdir(), 'wb-official-'));
  dirs.push(base);
  const root = path.join(base, 'repo');
  mkdirSync(root);
  const cfg = { ...loadConfig({ root, env: {}, flags: { weights: 'auto' } }), cacheDir: path.join(base, 'cache') };
  const env = { KERAS_HOME: path.join(base, 'keras'), FRUITS_SHARED_DIR: path.join(base, 'shared'), PATH: process.env.PATH };
  const models = path.join(base, 'keras', 'models');
  if (opts.npy) {
    const npy = path.join(base, 'shared', 'models', 'mobilenet_v2_1.0_224_no_top_npy');
    mkdirSync(npy, { recursive: true });
    writeFileSync(path.join(npy, 'SHA256SUMS'), 'abc  weights/Conv_weights.npy\n');
  }
  // The venv python's stand-in: writes the --out file like fruits_pipeline.weights_npy would.
  const python = path.join(base, 'python');
  writeFileSync(python, '#!/bin/sh\nwhile [ "$1" != "--out" ]; do shift; done\necho converted > "$2"\n');
  chmodSync(python, 0o755);
  return { base, cfg, env, models, kerasFile: path.join(models, KERAS_NO_TOP_FILE), tools: { python } as ToolPaths };
}

const live = () => new AbortController().signal;
const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('auto weights: the order of the tiers (pure)', () => {
  const facts = { kerasFile: `/k/models/${KERAS_NO_TOP_FILE}`, kerasFilePresent: false, pin: pin(), npyDir: '/s/npy', npyPresent: true };

  it('lists Keras cache, official file, shared .npy, random, each with why it is tried or passed over', () => {
    expect(planAutoWeights(facts).map((t) => [t.tier, t.ready])).toEqual([
      ['keras-cache', false],
      ['official', true],
      ['shared-npy', true],
      ['random', true],
    ]);
    expect(planAutoWeights({ ...facts, kerasFilePresent: true })[0]).toEqual({ tier: 'keras-cache', ready: true, reason: `Keras cache file /k/models/${KERAS_NO_TOP_FILE}` });
    expect(planAutoWeights({ ...facts, npyPresent: false })[2]).toEqual({ tier: 'shared-npy', ready: false, reason: 'no /s/npy' });
    // The pinned file is the 224-pixel one: a 160-pixel job's file is another, so the official tier is passed over.
    const at160 = '/k/models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5';
    expect(planAutoWeights({ ...facts, kerasFile: at160 })[1]).toMatchObject({ tier: 'official', ready: false, reason: expect.stringContaining('this image size needs') });
  });

  it('passes over the official file while neither its sha256 nor its arraysSha256 is pinned, and says why', () => {
    expect(planAutoWeights({ ...facts, pin: pin({ sha256: null }) })[1]).toEqual({
      tier: 'official',
      ready: false,
      reason: 'versions.json kerasWeights pins neither sha256 nor arraysSha256, and unpinned bytes are never downloaded',
    });
  });

  it('tries the official file when only its weight values are pinned, and says by what', () => {
    const values = pin({ sha256: null, arraysSha256: VALUES });
    expect(planAutoWeights({ ...facts, pin: values })[1]).toEqual({
      tier: 'official',
      ready: true,
      reason: `${values.url} (${GOOD.length} bytes, weight values arrays_sha256 ${VALUES.slice(0, 12)}…)`,
    });
  });

  it("versions.json's kerasWeights pin is well formed and names the file Keras caches", () => {
    const p = officialWeightsPin();
    expect(p.url).toBe(`https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/${KERAS_NO_TOP_FILE}`);
    expect(p.bytes).toBe(9406464);
    expect(p.sha256 === null || /^[0-9a-f]{64}$/.test(p.sha256)).toBe(true);
    // The values of the shared .npy export the official file was built from (fruits_pipeline.weights_digest).
    expect(p.arraysSha256).toBe('8b7f934811db52508708ed2f59dab258abe8a5de6c9fae5fd3ab9e4398022312');
    expect(() => parseKerasWeightsPin({ url: 'ftp://x', bytes: -1, sha256: 'ABC', arraysSha256: 'x' }, 'pin')).toThrow(
      'pin: url must be an http(s) URL; bytes must be a positive integer; sha256 must be 64 lower-case hex digits, or null while not pinned; ' +
        'arraysSha256 must be 64 lower-case hex digits, or null while not pinned',
    );
    expect(parseKerasWeightsPin({ url: 'https://x/f.h5', bytes: 1, sha256: null }).arraysSha256).toBeNull();
  });
});

describe('auto weights: the official Keras file from a server on 127.0.0.1', () => {
  it('(a) uses the Keras cache file when present and makes no request', async () => {
    const { cfg, env, models, kerasFile, tools } = setting({ npy: true });
    mkdirSync(models, { recursive: true });
    writeFileSync(kerasFile, 'h5');
    const before = requests;
    const r = await resolveWeights(cfg, tools, recorder().out, live(), env, { officialWeights: pin() });
    expect(r).toMatchObject({ spec: 'imagenet', meaningful: true });
    expect(requests).toBe(before);
  });

  it('(b) downloads the pinned bytes once into KERAS_HOME/models/, then resolves from the cache without a request', async () => {
    const { cfg, env, models, kerasFile, tools } = setting({ npy: true });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': GOOD.length });
      res.end(GOOD);
    };
    const before = requests;
    const first = recorder();
    const r = await resolveWeights(cfg, tools, first.out, live(), env, { officialWeights: pin() });
    expect(requests).toBe(before + 1);
    expect(r).toMatchObject({ spec: 'imagenet', meaningful: true, weights: { kind: 'imagenet', raw: 'auto' } });
    expect(r.description).toBe(`imagenet (auto: Keras' official file, sha256-verified, in ${kerasFile})`);
    expect(first.lines[0]).toBe("installing Keras' official ImageNet weights (0.3 MiB from 127.0.0.1:" + port + ', sha256-verified)...');
    expect(sha(readFileSync(kerasFile))).toBe(sha(GOOD));
    expect(listing(models)).toEqual([KERAS_NO_TOP_FILE]); // no .part, no .lock

    const second = recorder();
    expect(await resolveWeights(cfg, tools, second.out, live(), env, { officialWeights: pin() })).toMatchObject({ spec: 'imagenet' });
    expect(requests).toBe(before + 1);
    expect(second.lines).toEqual([]);
  });

  it.each([
    ['same size, other bytes', Buffer.from(GOOD).fill(0x41, 100, 200)],
    ['a shorter file', GOOD.subarray(0, 1000)],
    ['a longer file', Buffer.concat([GOOD, Buffer.from('more')])],
  ])('(c) refuses %s, keeps nothing and converts the shared .npy export instead', async (_name, served) => {
    const { cfg, env, models, tools } = setting({ npy: true });
    handler = (_req, res) => res.end(served);
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, tools, out, live(), env, { officialWeights: pin() });
    expect(r.weights.kind).toBe('file');
    expect(readFileSync(r.spec, 'utf8')).toBe('converted\n');
    const warning = lines.find((l) => l.startsWith('warning: official Keras weights'));
    expect(warning).toContain('do not match the pin in versions.json');
    expect(warning).toContain(served.length > GOOD.length ? `expected ${GOOD.length} bytes, got more` : `expected ${GOOD.length} bytes with sha256 ${sha(GOOD)}, got ${served.length} bytes with sha256 ${sha(served)}`);
    expect(warning).toMatch(/: using the shared \.npy export$/);
    expect(listing(models)).toEqual([]);
  });

  it('(d) falls through on HTTP 404, on a refused connection and on a server that stops sending', async () => {
    const { cfg, env, models, tools } = setting({ npy: true });
    handler = (_req, res) => {
      res.writeHead(404, 'Not Found');
      res.end('no such object');
    };
    const notFound = recorder();
    expect((await resolveWeights(cfg, tools, notFound.out, live(), env, { officialWeights: pin() })).weights.kind).toBe('file');
    expect(notFound.lines).toContain('official Keras weights unreachable (HTTP 404 Not Found): using the shared .npy export');
    forget(cfg);

    // A port nobody listens on (taken, then released).
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const downPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = recorder();
    const url = `http://127.0.0.1:${downPort}/${KERAS_NO_TOP_FILE}`;
    expect((await resolveWeights(cfg, tools, down.out, live(), env, { officialWeights: pin({ url }) })).weights.kind).toBe('file');
    expect(down.lines.find((l) => l.startsWith('official Keras weights unreachable'))).toMatch(/^official Keras weights unreachable \(.*ECONNREFUSED.*\): using the shared \.npy export$/);
    forget(cfg);

    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': GOOD.length });
      res.write(GOOD.subarray(0, 1000)); // then nothing more
    };
    const stalled = recorder();
    const r = await resolveWeights(cfg, tools, stalled.out, live(), env, { officialWeights: pin(), downloadTimeouts: { idleMs: 300 } });
    expect(r.weights.kind).toBe('file');
    expect(stalled.lines.find((l) => l.startsWith('official Keras weights unreachable'))).toBe(
      'official Keras weights unreachable (download cut after 1000 bytes: no answer or no data for 0.3 s): using the shared .npy export',
    );
    expect(listing(models)).toEqual([]);
  });

  it('(d) remembers an unreachable host: the next run makes no request, a day later it tries again', async () => {
    const { cfg, env, tools } = setting({ npy: true });
    handler = (_req, res) => {
      res.writeHead(503, 'Service Unavailable');
      res.end();
    };
    const t0 = new Date();
    const before = requests;
    await resolveWeights(cfg, tools, recorder().out, live(), env, { officialWeights: pin(), now: t0 });
    expect(requests).toBe(before + 1);
    expect(JSON.parse(readFileSync(attemptFile(cfg), 'utf8'))).toMatchObject({ kind: 'unreachable', reason: 'HTTP 503 Service Unavailable' });

    const next = recorder();
    expect((await resolveWeights(cfg, tools, next.out, live(), env, { officialWeights: pin(), now: new Date(t0.getTime() + 60_000) })).weights.kind).toBe('file');
    expect(requests).toBe(before + 1);
    expect(next.lines.find((l) => l.startsWith('official Keras weights: skipped, unreachable on'))).toContain(`(delete ${attemptFile(cfg)} to try now)`);

    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': GOOD.length });
      res.end(GOOD);
    };
    const later = await resolveWeights(cfg, tools, recorder().out, live(), env, { officialWeights: pin(), now: new Date(t0.getTime() + RETRY_UNREACHABLE_MS) });
    expect(requests).toBe(before + 2);
    expect(later).toMatchObject({ spec: 'imagenet' });
    expect(existsSync(attemptFile(cfg))).toBe(false); // a success forgets the failure
  });

  it('(d) without a shared .npy export either, says so and falls back to random:0', async () => {
    const { cfg, env, tools } = setting();
    handler = (_req, res) => {
      res.writeHead(503, 'Service Unavailable');
      res.end();
    };
    const { out, lines } = recorder();
    expect(await resolveWeights(cfg, tools, out, live(), env, { officialWeights: pin() })).toMatchObject({ spec: 'random:0', meaningful: false });
    expect(lines).toContain('official Keras weights unreachable (HTTP 503 Service Unavailable): falling back to random:0');
    expect(lines.some((l) => l.startsWith('warning: no ImageNet weights available') && l.includes('NO meaning'))).toBe(true);
  });

  it('falls through when Keras\' cache folder cannot be written', async () => {
    const { base, cfg, env, tools } = setting({ npy: true });
    writeFileSync(path.join(base, 'keras'), 'a file where KERAS_HOME should be a folder');
    handler = (_req, res) => res.end(GOOD);
    const { out, lines } = recorder();
    expect((await resolveWeights(cfg, tools, out, live(), env, { officialWeights: pin() })).weights.kind).toBe('file');
    expect(lines.find((l) => l.startsWith("warning: cannot store Keras' official weights"))).toMatch(/ENOTDIR.*: using the shared \.npy export$/);
  });

  it('(e) with neither sha256 nor arraysSha256 pinned, makes no request and says why it skipped the official file', async () => {
    const { cfg, env, models, tools } = setting({ npy: true });
    const before = requests;
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, tools, out, live(), env, { officialWeights: pin({ sha256: null }) });
    expect(requests).toBe(before);
    expect(r.weights.kind).toBe('file');
    expect(lines[0]).toBe('official Keras weights: skipped (versions.json kerasWeights pins neither sha256 nor arraysSha256, and unpinned bytes are never downloaded)');
    expect(listing(models)).toEqual([]);
  });

  it('(f) Ctrl-C mid-download: AbortedError and no temporary file left', async () => {
    const { cfg, env, models, tools } = setting({ npy: true });
    const ctrl = new AbortController();
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': GOOD.length });
      res.write(GOOD.subarray(0, 64 * 1024)); // then hold the rest back until the client gives up
    };
    // Abort once the first bytes have reached the .part.h5 file next to Keras' cache file.
    const abortWhenWriting = (async () => {
      for (let i = 0; i < 500; i++) {
        if (listing(models).some((f) => f.endsWith('.part.h5'))) break;
        await sleep(10);
      }
      const midDownload = listing(models).some((f) => f.endsWith('.part.h5'));
      ctrl.abort();
      return midDownload;
    })();
    const err = await resolveWeights(cfg, tools, recorder().out, ctrl.signal, env, { officialWeights: pin() }).catch((e: unknown) => e);
    expect(await abortWhenWriting).toBe(true);
    expect(err).toBeInstanceOf(AbortedError);
    expect(listing(models)).toEqual([]);
  });
});

describe('auto weights: the official Keras file pinned by its weight values (an injected digest, no TensorFlow)', () => {
  /** A stand-in for python -m fruits_pipeline.weights_digest: GOOD's values are VALUES, other bytes are no weights. */
  function fakeDigest() {
    const calls: string[] = [];
    const digest: WeightsDigest = async (file) => {
      calls.push(file);
      return readFileSync(file).equals(GOOD) ? { ok: true, arraysSha256: VALUES } : { ok: false, reason: 'does not fit MobileNetV2(include_top=False)' };
    };
    return { digest, calls };
  }

  it('keeps a file whose values match, in KERAS_HOME/models/, checked on an .h5 temporary file', async () => {
    const { cfg, env, models, kerasFile, tools } = setting({ npy: true });
    handler = (_req, res) => res.end(GOOD);
    const { digest, calls } = fakeDigest();
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, tools, out, live(), env, { officialWeights: pin({ sha256: null, arraysSha256: VALUES }), weightsDigest: digest });
    expect(r).toMatchObject({ spec: 'imagenet', meaningful: true, weights: { kind: 'imagenet', raw: 'auto' } });
    expect(r.description).toBe(`imagenet (auto: Keras' official file, weight-values-verified, in ${kerasFile})`);
    expect(lines[0]).toBe(`installing Keras' official ImageNet weights (0.3 MiB from 127.0.0.1:${port}, weight-values-verified)...`);
    expect(calls).toEqual([`${kerasFile}.${process.pid}.part.h5`]);
    expect(readFileSync(kerasFile).equals(GOOD)).toBe(true);
    expect(listing(models)).toEqual([KERAS_NO_TOP_FILE]);
  });

  it('checks both when both are pinned', async () => {
    const { cfg, env, kerasFile, tools } = setting({ npy: true });
    handler = (_req, res) => res.end(GOOD);
    const { digest, calls } = fakeDigest();
    const r = await resolveWeights(cfg, tools, recorder().out, live(), env, { officialWeights: pin({ arraysSha256: VALUES }), weightsDigest: digest });
    expect(r.description).toBe(`imagenet (auto: Keras' official file, sha256 and weight-values-verified, in ${kerasFile})`);
    expect(calls).toHaveLength(1);
  });

  it('refuses other values, keeps nothing and converts the shared .npy export instead', async () => {
    const { cfg, env, models, tools } = setting({ npy: true });
    handler = (_req, res) => res.end(GOOD);
    const { digest, calls } = fakeDigest();
    const other = 'b'.repeat(64);
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, tools, out, live(), env, { officialWeights: pin({ sha256: null, arraysSha256: other }), weightsDigest: digest });
    expect(r.weights.kind).toBe('file');
    expect(readFileSync(r.spec, 'utf8')).toBe('converted\n');
    expect(calls).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('warning: official Keras weights'))).toBe(
      `warning: official Keras weights from ${pin().url} do not match the pin in versions.json ` +
        `(expected weight values with arrays_sha256 ${other}, got arrays_sha256 ${VALUES}; refused): using the shared .npy export`,
    );
    expect(listing(models)).toEqual([]);
  });

  it('refuses a file of the right size that is no weights file, and one of the wrong size without reading it', async () => {
    const { cfg, env, models, tools } = setting({ npy: true });
    const { digest, calls } = fakeDigest();
    handler = (_req, res) => res.end(Buffer.from(GOOD).fill(0x41, 0, 100));
    const notWeights = recorder();
    expect((await resolveWeights(cfg, tools, notWeights.out, live(), env, { officialWeights: pin({ sha256: null, arraysSha256: VALUES }), weightsDigest: digest })).weights.kind).toBe('file');
    expect(notWeights.lines.find((l) => l.startsWith('warning: official Keras weights'))).toContain(
      'but the file cannot be read as MobileNetV2 no-top weights (does not fit MobileNetV2(include_top=False)); refused',
    );
    expect(calls).toHaveLength(1);
    forget(cfg);

    handler = (_req, res) => res.end(GOOD.subarray(0, 1000));
    const short = recorder();
    expect((await resolveWeights(cfg, tools, short.out, live(), env, { officialWeights: pin({ sha256: null, arraysSha256: VALUES }), weightsDigest: digest })).weights.kind).toBe('file');
    expect(short.lines.find((l) => l.startsWith('warning: official Keras weights'))).toContain(`(expected ${GOOD.length} bytes, got 1000; refused)`);
    expect(calls).toHaveLength(1);
    expect(listing(models)).toEqual([]);
  });
});

/** The file where resolveWeights remembers a failed attempt at the official file. */
function attemptFile(cfg: { cacheDir: string }): string {
  return path.join(cfg.cacheDir, 'weights', attemptFileName(pin().url));
}

function forget(cfg: { cacheDir: string }): void {
  rmSync(attemptFile(cfg), { force: true });
}

describe('auto weights: a failed attempt at the official file is remembered', () => {
  const values: KerasWeightsPin = { url: 'http://127.0.0.1:9/x.h5', bytes: 10, sha256: null, arraysSha256: 'a'.repeat(64) };
  const at = new Date('2026-12-01T10:00:00Z');

  it('retries an unreachable host after a day, not on every run', () => {
    const last = { at: at.toISOString(), kind: 'unreachable' as const, reason: 'ENOTFOUND', pin: { sha256: null, arraysSha256: values.arraysSha256 } };
    expect(officialAttemptDue(undefined, values, at)).toEqual({ due: true });
    expect(officialAttemptDue(last, values, new Date(at.getTime() + 3600_000))).toMatchObject({ due: false });
    expect(officialAttemptDue(last, values, new Date(at.getTime() + 3600_000)).why).toContain('next try after 2026-12-02T10:00:00.000Z');
    expect(officialAttemptDue(last, values, new Date(at.getTime() + RETRY_UNREACHABLE_MS))).toEqual({ due: true });
  });

  it('does not download a mismatching file again until the pin changes', () => {
    const last = { at: at.toISOString(), kind: 'mismatch' as const, reason: 'other values', pin: { sha256: null, arraysSha256: values.arraysSha256 } };
    expect(officialAttemptDue(last, values, new Date(at.getTime() + 10 * RETRY_UNREACHABLE_MS))).toMatchObject({ due: false });
    expect(officialAttemptDue(last, { ...values, arraysSha256: 'b'.repeat(64) }, at)).toEqual({ due: true });
  });
});
