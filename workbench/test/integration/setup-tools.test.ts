/**
 * Set-up on the real machine (cached after the first run): idempotent, the tools it returns work, the sample
 * data is deterministic, and the shared .npy weights convert to a Keras file (skipped when ../shared is absent).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSetup } from '../../src/setup/index.js';
import { ensureSampleData } from '../../src/setup/sample-data.js';
import { sharedNpyWeightsDir } from '../../src/setup/shared.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { officialWeightsPin } from '../../src/setup/official-weights.js';
import { resolveWeights } from '../../src/setup/weights.js';
import { cleanupStacks, recorder, ROOT, setupTools, testConfig } from './stack-fixtures/env.js';

let tools: ToolPaths;
const temps: string[] = [];
beforeAll(async () => {
  tools = await setupTools();
});
afterAll(async () => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  await cleanupStacks();
});
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-setup-'));
  temps.push(d);
  return d;
}

function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cls of readdirSync(dir).filter((c) => !c.startsWith('.')).sort()) {
    for (const f of readdirSync(path.join(dir, cls)).sort()) {
      out[`${cls}/${f}`] = createHash('sha256').update(readFileSync(path.join(dir, cls, f))).digest('hex');
    }
  }
  return out;
}

describe('ensureSetup', () => {
  it('is idempotent: a second run only reports cached steps and returns the same tools', async () => {
    const { out, lines } = recorder();
    const again = await ensureSetup(testConfig('local'), out, new AbortController().signal, process.env);
    expect(again).toEqual(tools);
    // The venv, MinIO and one line for all the release's s3a jars.
    expect(lines.every((l) => /: cached( \(.*\))?$/.test(l)), lines.join('\n')).toBe(true);
    expect(lines).toHaveLength(3);
  });

  it('returns working tools: venv python with the pinned pyspark, spark-submit, verified jars, MinIO', async () => {
    for (const f of [tools.python, tools.sparkSubmit, tools.sparkClass, tools.minio, ...tools.s3aJars]) expect(existsSync(f)).toBe(true);
    expect(tools.python.startsWith(testConfig('local').cacheDir)).toBe(true);
    const r = await execa(tools.python, ['-c', 'import sys, pyspark; print(sys.version_info[:2] == (3, 11), pyspark.__version__)']);
    expect(r.stdout).toBe(`True ${tools.release.spark}`);
    const minio = await execa(tools.minio, ['--version']);
    expect(minio.stdout).toContain('minio version');
    expect(tools.s3aJars.map((j) => path.basename(j))).toEqual(tools.release.s3a.jars.map((j) => `${j.artifact}-${j.version}.jar`));
    expect(tools.s3aJars.map((j) => path.basename(j))).toContain(`hadoop-aws-${tools.release.hadoop}.jar`);
  });
});

describe('ensureSampleData', () => {
  it('generates the Fruits-360 layout deterministically and skips a current folder', async () => {
    const cfg = testConfig('local');
    const a = path.join(temp(), 'fruits-synthetic');
    const b = path.join(temp(), 'fruits-synthetic');
    const first = recorder();
    await ensureSampleData(cfg, tools, first.out, new AbortController().signal, { dir: a, perClass: 4 });
    await ensureSampleData(cfg, tools, recorder().out, new AbortController().signal, { dir: b, perClass: 4 });
    const classes = readdirSync(a).filter((c) => !c.startsWith('.'));
    expect(classes).toHaveLength(12);
    expect(readdirSync(path.join(a, 'Banana')).sort()).toEqual(['0_100.jpg', '1_100.jpg', '2_100.jpg', '3_100.jpg']);
    expect(digestTree(a)).toEqual(digestTree(b));
    expect(first.lines[0]).toMatch(/^installing sample data \(.*fruits-synthetic\)\.\.\.$/);
    expect(first.lines[1]).toMatch(/^sample data: generated: 48 images, 12 classes/);

    const again = recorder();
    await ensureSampleData(cfg, tools, again.out, new AbortController().signal, { dir: a, perClass: 4 });
    expect(again.lines[0]).toMatch(/^sample data: cached/);

    // 100x100 RGB, and the images of a class differ from each other (per-image variation).
    const r = await execa(tools.python, [
      '-c',
      `from PIL import Image; import sys; ims=[Image.open(f"${a}/Kiwi/{n}_100.jpg") for n in range(4)]; print({(i.size, i.mode) for i in ims}, len({i.tobytes() for i in ims}))`,
    ]);
    expect(r.stdout).toBe("{((100, 100), 'RGB')} 4");
  });
});

describe('resolveWeights with the real converter', () => {
  const npyDir = sharedNpyWeightsDir(ROOT, process.env);
  it.skipIf(!existsSync(path.join(npyDir, 'SHA256SUMS')))(
    `converts the shared .npy export into a Keras weights file (needs ${npyDir})`,
    async () => {
      const cfg = { ...testConfig('local'), cacheDir: temp() };
      const env = { ...process.env, KERAS_HOME: temp() }; // no Keras cache file: the npy path is taken
      // The official-file tier is switched off (unpinned): this test is about the .npy path, even on a networked machine.
      const r = await resolveWeights(cfg, tools, recorder().out, new AbortController().signal, env, { officialWeights: { ...officialWeightsPin(), sha256: null, arraysSha256: null } });
      expect(r.meaningful).toBe(true);
      expect(r.spec.endsWith('.weights.h5')).toBe(true);
      expect(readFileSync(r.spec).subarray(0, 8).toString('latin1')).toBe('\x89HDF\r\n\x1a\n');
    },
  );
});
