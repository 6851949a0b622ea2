import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Output } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import { parseWeightsSpec } from '../../src/config/specs.js';
import { ConfigError } from '../../src/errors.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { officialWeightsPin } from '../../src/setup/official-weights.js';
import { KERAS_NO_TOP_FILE, kerasCacheFile, kerasImagenetName, resolveWeights } from '../../src/setup/weights.js';
import { linesOutput } from '../../src/terminal/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-weights-'));
  dirs.push(d);
  return d;
}

function recorder() {
  const lines: string[] = [];
  const out: Output = linesOutput((l) => lines.push(l));
  return { out, lines };
}

/** A config whose root has no workbench.yaml, and an env pointing Keras and the shared folder into `base`. */
function setting(weights: string) {
  const base = temp();
  const root = path.join(base, 'repo');
  mkdirSync(root);
  const cfg = { ...loadConfig({ root, env: {}, flags: { weights } }), cacheDir: path.join(base, 'cache') };
  const env = { KERAS_HOME: path.join(base, 'keras'), FRUITS_SHARED_DIR: path.join(base, 'shared'), PATH: process.env.PATH };
  return { base, root, cfg, env };
}

/** A stand-in for the venv python: records its arguments and writes the --out file. */
function fakePython(base: string): ToolPaths {
  const file = path.join(base, 'python');
  writeFileSync(file, `#!/bin/sh\necho "$@ PYTHONPATH=$PYTHONPATH" >> "${base}/calls"\nwhile [ "$1" != "--out" ]; do shift; done\necho weights > "$2"\n`);
  chmodSync(file, 0o755);
  return { python: file } as ToolPaths;
}

const signal = new AbortController().signal;
/** Keras' official file never downloaded here, whatever versions.json pins (tier 2: setup-weights-official.test.ts). */
const offline = { officialWeights: { ...officialWeightsPin(), sha256: null, arraysSha256: null } };
const SKIPPED = 'official Keras weights: skipped (versions.json kerasWeights pins neither sha256 nor arraysSha256, and unpinned bytes are never downloaded)';

/** The config with job.weights set as workbench.yaml would set it (relative to the repo root). */
function withWeights(cfg: WorkbenchConfig, raw: string): WorkbenchConfig {
  const parsed = parseWeightsSpec(raw, cfg.root);
  if (!parsed.ok) throw new Error(parsed.message);
  return { ...cfg, job: { ...cfg.job, weights: parsed.value } };
}

describe('resolveWeights', () => {
  it('auto: Keras cache file present -> imagenet', async () => {
    const { base, cfg, env } = setting('auto');
    mkdirSync(path.join(base, 'keras', 'models'), { recursive: true });
    writeFileSync(path.join(base, 'keras', 'models', KERAS_NO_TOP_FILE), 'h5');
    const r = await resolveWeights(cfg, fakePython(base), recorder().out, signal, env);
    expect(r).toMatchObject({ spec: 'imagenet', meaningful: true });
  });

  it('auto follows job.imageSize like model.py: the 224 file does not make a 160-pixel job imagenet, its own file does', async () => {
    const { base, cfg: cfg224, env } = setting('auto');
    const cfg = { ...cfg224, job: { ...cfg224.job, imageSize: 160 } };
    const models = path.join(base, 'keras', 'models');
    mkdirSync(models, { recursive: true });
    writeFileSync(path.join(models, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5'), 'h5');
    // Only the 224 file: the job (model.py keras_imagenet_name(160)) would look for the 160 file, so not imagenet.
    const without = await resolveWeights(cfg, fakePython(base), recorder().out, signal, env, offline);
    expect(without.spec).not.toBe('imagenet');
    writeFileSync(path.join(models, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5'), 'h5');
    expect((await resolveWeights(cfg, fakePython(base), recorder().out, signal, env, offline)).spec).toBe('imagenet');
    // A size Keras publishes no file for uses the 224 file, as model.py does.
    expect(kerasImagenetName(300)).toBe('mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5');
    expect(kerasCacheFile(env, 96)).toBe(path.join(models, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5'));
  });

  it('auto: shared .npy export present -> converted once into the cache, then reused', async () => {
    const { base, root, cfg, env } = setting('auto');
    const npy = path.join(base, 'shared', 'models', 'mobilenet_v2_1.0_224_no_top_npy');
    mkdirSync(path.join(npy, 'weights'), { recursive: true });
    writeFileSync(path.join(npy, 'SHA256SUMS'), 'abc  weights/Conv_weights.npy\n');
    const tools = fakePython(base);
    const first = recorder();
    const r = await resolveWeights(cfg, tools, first.out, signal, env, offline);
    expect(r.meaningful).toBe(true);
    expect(r.spec.startsWith(path.join(cfg.cacheDir, 'weights', 'mobilenet_v2_no_top_npy-'))).toBe(true);
    expect(r.spec.endsWith('.weights.h5')).toBe(true);
    expect(readFileSync(r.spec, 'utf8')).toBe('weights\n');
    const calls = readFileSync(path.join(base, 'calls'), 'utf8').trim().split('\n');
    expect(calls).toEqual([`-m fruits_pipeline.weights_npy --src ${npy} --out ${r.spec} PYTHONPATH=${path.join(root, 'pipeline', 'src')}`]);
    expect(first.lines[0]).toBe(SKIPPED);
    expect(first.lines[1]).toMatch(/^installing imagenet weights from the shared \.npy export/);

    const second = recorder();
    expect((await resolveWeights(cfg, tools, second.out, signal, env, offline)).spec).toBe(r.spec);
    expect(readFileSync(path.join(base, 'calls'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(second.lines).toEqual([SKIPPED, 'imagenet weights from the shared .npy export: cached']);
  });

  it('auto: nothing available offline -> random:0 with a loud warning', async () => {
    const { base, cfg, env } = setting('auto');
    const { out, lines } = recorder();
    const r = await resolveWeights(cfg, fakePython(base), out, signal, env, offline);
    expect(r).toMatchObject({ spec: 'random:0', meaningful: false });
    expect(lines.some((l) => l.startsWith('warning:') && l.includes('NO meaning'))).toBe(true);
  });

  it('passes explicit specs through; a local file is made absolute and must exist', async () => {
    const { base, root, cfg, env } = setting('random:7');
    const tools = fakePython(base);
    expect(await resolveWeights(cfg, tools, recorder().out, signal, env)).toMatchObject({ spec: 'random:7', meaningful: false });
    expect((await resolveWeights(withWeights(cfg, 's3://b/w.weights.h5'), tools, recorder().out, signal, env)).spec).toBe('s3://b/w.weights.h5');
    writeFileSync(path.join(root, 'mine.weights.h5'), 'x');
    expect((await resolveWeights(withWeights(cfg, 'mine.weights.h5'), tools, recorder().out, signal, env)).spec).toBe(
      path.join(root, 'mine.weights.h5'),
    );
    await expect(resolveWeights(withWeights(cfg, 'missing.h5'), tools, recorder().out, signal, env)).rejects.toThrow(ConfigError);
  });
});
