/**
 * The pack executor around a stand-in packer (a Node script called as "python" that writes each shard as its
 * files' bytes and prints pack.py's report line): cache hit and miss, the report checked against the plan, the
 * packer's error surfaced, old packs pruned. The real packer runs in the integration test.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { KEEP_PACKED, PACK_MARKER, packedDir, packImages, prunePacked } from '../../src/storage/pack-images.js';
import { planPack } from '../../src/storage/pack-plan.js';
import { scanLocalFolder } from '../../src/storage/local-folder.js';
import { memoryOutput } from '../../src/terminal/memory-output.js';

const FAKE_PACKER = `#!${process.execPath}
const fs = require('node:fs'), path = require('node:path');
const arg = (n) => process.argv[process.argv.indexOf(n) + 1];
fs.appendFileSync(process.env.FAKE_PACK_LOG, process.env.PYTHONPATH + ' ' + process.argv.slice(2, 4).join(' ') + '\\n');
if (process.env.FAKE_PACK_MODE === 'fail') { console.error('fruits-pack: error: cannot read /in/Apple/a.jpg: Permission denied'); process.exit(1); }
const spec = JSON.parse(fs.readFileSync(arg('--spec'), 'utf8'));
let images = 0, bytes = 0;
for (const s of spec.shards) {
  const body = Buffer.concat(s.files.map((f) => fs.readFileSync(f.path)));
  fs.writeFileSync(path.join(arg('--output'), s.name), body);
  images += s.files.length; bytes += body.length;
}
if (process.env.FAKE_PACK_MODE === 'short') images -= 1;
console.log(JSON.stringify({ shards: spec.shards.length, images, bytes }));
`;

function setup(mode = 'ok') {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-pack-'));
  const python = path.join(dir, 'python');
  writeFileSync(python, FAKE_PACKER);
  chmodSync(python, 0o755);
  const input = path.join(dir, 'fruits');
  for (const [rel, body] of [['Apple/a.jpg', 'aaa'], ['Apple/b.jpg', 'bb'], ['Kiwi/c.jpg', 'c']] as const) {
    mkdirSync(path.dirname(path.join(input, rel)), { recursive: true });
    writeFileSync(path.join(input, rel), body);
  }
  const log = path.join(dir, 'packer.log');
  writeFileSync(log, '');
  const out = memoryOutput();
  const cacheDir = path.join(dir, 'cache');
  const opts = { cacheDir, out, signal: new AbortController().signal, env: { PATH: process.env.PATH, FAKE_PACK_LOG: log, FAKE_PACK_MODE: mode, PYTHONPATH: '/users/own' } };
  const tools = { python, pipelineSrc: '/repo/pipeline/src' };
  const plan = async (limits = { imagesPerShard: 2, bytesPerShard: 1e9 }) => planPack(await scanLocalFolder(input), { folderName: 'fruits', limits });
  const packerRuns = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { dir, input, out, cacheDir, opts, tools, plan, packerRuns };
}

describe('packImages', () => {
  it('packs into <cache>/packed/<digest>/ with a marker, then reuses it without running the packer', async () => {
    const t = setup();
    const plan = await t.plan();
    const first = await packImages(plan, t.tools, t.opts);
    expect(first).toMatchObject({ dir: packedDir(t.cacheDir, plan.digest), images: 3, reused: false });
    expect(first.files.map((f) => [f.relPath, f.size])).toEqual([['part-00000.parquet', 5], ['part-00001.parquet', 1]]);
    expect(readFileSync(first.files[0]!.absPath, 'utf8')).toBe('aaabb');
    expect(existsSync(path.join(first.dir, PACK_MARKER))).toBe(true);
    // The pipeline's source on PYTHONPATH, never the user's own.
    expect(t.packerRuns()).toEqual(['/repo/pipeline/src -m fruits_pipeline.pack']);
    expect(t.out.text()).toMatch(/pack: 3 images -> 2 Parquet files \(6 B\) in [\d.]+ s: /);
    // Nothing but the packed folder is left in the cache (no temp folder, no lock).
    expect(readdirSync(path.join(t.cacheDir, 'packed'))).toEqual([plan.digest]);

    const again = await packImages(plan, t.tools, t.opts);
    expect(again).toMatchObject({ dir: first.dir, images: 3, reused: true });
    expect(again.files).toEqual(first.files);
    expect(t.packerRuns()).toHaveLength(1);
    expect(t.out.text()).toMatch(/pack: reusing 3 images in 2 Parquet files \(6 B\), packed earlier/);
  });

  it('packs again when an image changes (a new digest), and when a cached file was altered', async () => {
    const t = setup();
    const first = await packImages(await t.plan(), t.tools, t.opts);
    writeFileSync(path.join(t.input, 'Kiwi/c.jpg'), 'cc');
    const changed = await packImages(await t.plan(), t.tools, t.opts);
    expect(changed.dir).not.toBe(first.dir);
    expect(changed.reused).toBe(false);
    writeFileSync(changed.files[1]!.absPath, 'truncated?');
    expect((await packImages(await t.plan(), t.tools, t.opts)).reused).toBe(false);
    expect(t.packerRuns()).toHaveLength(3);
  });

  it("fails with the packer's error line and leaves no folder under the digest", async () => {
    const t = setup('fail');
    const plan = await t.plan();
    const err = await packImages(plan, t.tools, t.opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).message).toContain('fruits-pack: error: cannot read /in/Apple/a.jpg: Permission denied');
    expect((err as JobError).fix).toMatch(/job\.inputFormat: images/);
    expect(readdirSync(path.join(t.cacheDir, 'packed'))).toEqual([]);
  });

  it("refuses a report whose image count is not the plan's", async () => {
    const t = setup('short');
    const plan = await t.plan();
    await expect(packImages(plan, t.tools, t.opts)).rejects.toThrow(/packer wrote 2 images in 2 files; the plan had 3 in 2/);
    expect(existsSync(packedDir(t.cacheDir, plan.digest))).toBe(false);
  });
});

describe('prunePacked', () => {
  it(`keeps the ${KEEP_PACKED} packs used last (the current one always), and temp folders whose packer still runs`, async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'wb-packed-'));
    const digests = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(64));
    digests.forEach((d, i) => {
      mkdirSync(path.join(root, d));
      writeFileSync(path.join(root, d, PACK_MARKER), '{}');
      // a is the oldest use, e the newest.
      utimesSync(path.join(root, d, PACK_MARKER), 1000 + i, 1000 + i);
    });
    mkdirSync(path.join(root, 'f'.repeat(64))); // no marker: never reused
    mkdirSync(path.join(root, `.tmp-abc-${process.pid}-000000`)); // a packer running now
    mkdirSync(path.join(root, '.tmp-abc-999999999-000000')); // its process is gone
    const out = memoryOutput();
    await prunePacked(root, digests[0]!, out);
    expect(readdirSync(root).sort()).toEqual([`.tmp-abc-${process.pid}-000000`, digests[0], digests[3], digests[4]].sort());
    expect(out.text()).toMatch(/removed 3 older packed inputs/);
  });
});
