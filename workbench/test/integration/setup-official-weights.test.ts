/**
 * `job.weights: auto`, tier 2 pinned by weight VALUES (versions.json kerasWeights.arraysSha256), with the real
 * venv python digest (python -m fruits_pipeline.weights_digest, TensorFlow). A node:http server on 127.0.0.1
 * plays storage.googleapis.com and serves a stand-in for Keras' official file: the shared .npy export converted,
 * rewritten in Keras' legacy .h5 layout (the layout of the official file). It needs the shared .npy export: the
 * tests are skipped, saying so, when it is absent (under CI the shared folder is present, so they run).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import { attemptFileName, officialWeightsPin, type KerasWeightsPin } from '../../src/setup/official-weights.js';
import { sharedNpyWeightsDir } from '../../src/setup/shared.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { KERAS_NO_TOP_FILE, resolveWeights } from '../../src/setup/weights.js';
import { cleanupStacks, recorder, ROOT, setupTools } from './stack-fixtures/env.js';

const npyDir = sharedNpyWeightsDir(ROOT, process.env);
const haveNpy = existsSync(path.join(npyDir, 'SHA256SUMS'));
if (!haveNpy) console.warn(`setup-official-weights: skipped, the shared .npy export is absent (no ${npyDir}/SHA256SUMS)`);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-official-it-'));
  temps.push(d);
  return d;
}

let tools: ToolPaths;
let cfg: WorkbenchConfig;
let converted = ''; // the shared export converted by tier 3 (cached in the real cache folder)
let official: Buffer = Buffer.alloc(0); // the stand-in for Keras' official file, legacy .h5 layout
let server: Server | undefined;
let url = '';

beforeAll(async () => {
  if (!haveNpy) return;
  tools = await setupTools();
  cfg = loadConfig({ root: ROOT, env: process.env, flags: { profile: 'local', weights: 'auto' } });
  // Tier 3 alone (tier 2 unpinned): the converted shared export, from the cache when already converted.
  const r = await resolveWeights(cfg, tools, recorder().out, new AbortController().signal, { ...process.env, KERAS_HOME: temp() }, {
    officialWeights: { ...officialWeightsPin(), sha256: null, arraysSha256: null },
  });
  expect(r.weights.kind).toBe('file');
  converted = r.spec;
  // The same values written the way Keras 2 wrote its official file (model.save_weights('x.h5'): by layer name).
  const legacy = path.join(temp(), KERAS_NO_TOP_FILE);
  await execa(
    tools.python,
    [
      '-c',
      [
        'import sys, h5py',
        'from fruits_pipeline.model import build_model',
        'from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group',
        'm = build_model(224); m.load_weights(sys.argv[1])',
        'with h5py.File(sys.argv[2], "w") as f: save_weights_to_hdf5_group(f, m)',
      ].join('\n'),
      converted,
      legacy,
    ],
    { env: { ...process.env, PYTHONPATH: path.join(ROOT, 'pipeline', 'src'), TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  official = readFileSync(legacy);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': official.length });
    res.end(official);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mobilenet_v2/${KERAS_NO_TOP_FILE}`;
});

afterAll(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  // The refused download is remembered per URL in the real cache folder: this server's URL dies with the test,
  // and a later run that got the same port must not find it.
  if (url) rmSync(path.join(cfg.cacheDir, 'weights', attemptFileName(url)), { force: true });
  await cleanupStacks();
});

/** versions.json's pin (its arraysSha256), pointed at the local server, for the stand-in's size. */
function localPin(overrides: Partial<KerasWeightsPin> = {}): KerasWeightsPin {
  return { ...officialWeightsPin(), url, bytes: official.length, sha256: null, ...overrides };
}

describe.skipIf(!haveNpy)(`auto weights: Keras' official file checked by its weight values (needs ${npyDir})`, () => {
  it("versions.json's arraysSha256 accepts the file: it lands in KERAS_HOME/models/ and auto resolves to imagenet", async () => {
    const kerasHome = temp();
    const kerasFile = path.join(kerasHome, 'models', KERAS_NO_TOP_FILE);
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, tools, out, new AbortController().signal, { ...process.env, KERAS_HOME: kerasHome }, { officialWeights: localPin() });
    expect(r).toMatchObject({ spec: 'imagenet', meaningful: true, weights: { kind: 'imagenet', raw: 'auto' } });
    expect(r.description).toBe(`imagenet (auto: Keras' official file, weight-values-verified, in ${kerasFile})`);
    expect(lines.some((l) => l.startsWith('warning:'))).toBe(false);
    expect(sha(readFileSync(kerasFile))).toBe(sha(official));
    expect(readdirSync(path.dirname(kerasFile))).toEqual([KERAS_NO_TOP_FILE]); // no .part.h5, no .lock
  });

  it('another arraysSha256 refuses it with a warning, keeps nothing and falls back to the shared .npy conversion', async () => {
    const kerasHome = temp();
    const other = '0'.repeat(64);
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, tools, out, new AbortController().signal, { ...process.env, KERAS_HOME: kerasHome }, {
      officialWeights: localPin({ arraysSha256: other }),
    });
    expect(r).toMatchObject({ spec: converted, meaningful: true, weights: { kind: 'file', raw: 'auto' } });
    expect(lines.find((l) => l.startsWith('warning: official Keras weights'))).toBe(
      `warning: official Keras weights from ${url} do not match the pin in versions.json (expected weight values with arrays_sha256 ${other}, ` +
        `got arrays_sha256 ${officialWeightsPin().arraysSha256}; refused): using the shared .npy export`,
    );
    expect(readdirSync(path.join(kerasHome, 'models'))).toEqual([]);
  });
});
