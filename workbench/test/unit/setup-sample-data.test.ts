/**
 * sample-data/download.py (`make data`): the offline message and the extraction of N images per class, on a
 * small zip in the Fruits-360 layout built here. Standard-library python, no network (127.0.0.1 only).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleIsCurrent } from '../../src/setup/sample-data.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'sample-data', 'download.py');
const PYTHON = process.env.PYTHON ?? 'python3';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-data-'));
  dirs.push(d);
  return d;
}

function fakeDatasetZip(file: string): void {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const entries: Record<string, Uint8Array> = {};
  const top = 'fruits-360_dataset/fruits-360';
  for (const cls of ['Apple Braeburn', 'Banana', 'Kiwi']) {
    for (const n of [2, 10, 1, 100, 33]) entries[`${top}/Training/${cls}/${n}_100.jpg`] = bytes(`${cls}/${n}`);
    entries[`${top}/Test/${cls}/999_100.jpg`] = bytes('test split');
  }
  entries[`${top}/readme.md`] = bytes('not an image');
  entries[`__MACOSX/${top}/Training/Banana/._1_100.jpg`] = bytes('resource fork');
  writeFileSync(file, zipSync(entries));
}

describe('sample-data/download.py', () => {
  it('extracts the first N training images of every class, in natural order', async () => {
    const dir = temp();
    const zip = path.join(dir, 'fruits.zip');
    fakeDatasetZip(zip);
    const out = path.join(dir, 'fruits-360');
    const r = await execa(PYTHON, [SCRIPT, '--zip', zip, '--out', out, '--per-class', '3']);
    expect(r.stdout).toContain('extracted 9 images of 3 classes');
    expect(readdirSync(out).sort()).toEqual(['Apple Braeburn', 'Banana', 'Kiwi']);
    expect(readdirSync(path.join(out, 'Banana')).sort()).toEqual(['10_100.jpg', '1_100.jpg', '2_100.jpg']);
    expect(readFileSync(path.join(out, 'Kiwi', '10_100.jpg'), 'utf8')).toBe('Kiwi/10');
  });

  it('fails offline with a message that says so and how to proceed', async () => {
    const dir = temp();
    // Port 9 (discard) on loopback: refused, as an offline machine would be for the real URL.
    const r = await execa(PYTHON, [SCRIPT, '--url', 'http://127.0.0.1:9/fruits.zip', '--cache-dir', dir, '--out', path.join(dir, 'out')], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('cannot download the Fruits-360 dataset from http://127.0.0.1:9/fruits.zip');
    expect(r.stderr).toContain('offline');
    expect(r.stderr).toContain('--zip');
    expect(readdirSync(dir)).toEqual(['downloads']); // no partial zip, no output folder
    expect(readdirSync(path.join(dir, 'downloads'))).toEqual([]);
  });

  it('refuses a file that is not a zip', async () => {
    const dir = temp();
    const bad = path.join(dir, 'fruits.zip');
    writeFileSync(bad, 'html error page');
    const r = await execa(PYTHON, [SCRIPT, '--zip', bad, '--out', path.join(dir, 'out')], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('is not a valid zip');
  });
});

describe('sampleIsCurrent (the cache check of the synthetic sample, before the lock and the python)', () => {
  const script = path.join(ROOT, 'sample-data', 'generate.py');
  const source = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  function folder(marker: Record<string, unknown>, perClass: number): string {
    const dir = temp();
    for (const c of ['Kiwi', 'Banana']) {
      mkdirSync(path.join(dir, c));
      for (let n = 0; n < perClass; n++) writeFileSync(path.join(dir, c, `${n}_100.jpg`), 'jpg');
    }
    writeFileSync(path.join(dir, '.generator.json'), JSON.stringify(marker));
    return dir;
  }
  const marker = { generator_version: 1, generator_sha256: source, seed: 360, per_class: 3, classes: ['Kiwi', 'Banana'] };

  it('current when the marker names this generator and these arguments and every image is there', () => {
    expect(sampleIsCurrent(folder(marker, 3), script, { perClass: 3, seed: 360 })).toBe(true);
  });

  it('not current for other arguments, another generator, a missing image or no marker', () => {
    expect(sampleIsCurrent(folder(marker, 3), script, { perClass: 4, seed: 360 })).toBe(false);
    expect(sampleIsCurrent(folder(marker, 3), script, { perClass: 3, seed: 1 })).toBe(false);
    expect(sampleIsCurrent(folder({ ...marker, generator_sha256: '000000000000' }, 3), script, { perClass: 3, seed: 360 })).toBe(false);
    const dir = folder(marker, 3);
    rmSync(path.join(dir, 'Kiwi', '2_100.jpg'));
    expect(sampleIsCurrent(dir, script, { perClass: 3, seed: 360 })).toBe(false);
    expect(sampleIsCurrent(temp(), script, { perClass: 3, seed: 360 })).toBe(false);
  });
});
