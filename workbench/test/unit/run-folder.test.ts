import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunFolder, INCOMPLETE_MARKER, isCompleteRun, markIncomplete } from '../../src/run/run-folder.js';
import { invalidRunIdReason, newRunId } from '../../src/run/run-id.js';
import { parseInputSpec, parseWeightsSpec, resolveFlagPath as resolveUserPath } from '../../src/config/specs.js';
import { displayPath } from '../../src/run/locations.js';

const isWeightsPath = (raw: string) => { const p = parseWeightsSpec(raw, '/r'); return p.ok && p.value.kind === 'file'; };
const classifyInput = (raw: string, base: string) => { const p = parseInputSpec(raw, base); if (!p.ok) throw new Error(p.message); const { raw: _raw, ...rest } = p.value; return 'uri' in rest ? { kind: rest.kind, location: (rest as { location: unknown }).location } : rest; };

describe('run ids', () => {
  it('are the UTC start time plus a suffix, like the job generates', () => {
    expect(newRunId(new Date('2026-11-25T20:01:02.345Z'), 'ab12cd')).toBe('20261125T200102Z-ab12cd');
    expect(invalidRunIdReason(newRunId())).toBeUndefined();
  });
  it('refuse path separators and spaces', () => {
    for (const bad of ['../x', 'a/b', 'with space', '', '-dash-first']) expect(invalidRunIdReason(bad)).toBeDefined();
  });
});

describe('run folders', () => {
  it('mark an unfinished run and never keep its manifest', async () => {
    const runs = mkdtempSync(path.join(tmpdir(), 'wb-runs-'));
    const folder = await createRunFolder(runs, 'r1');
    writeFileSync(path.join(folder.dir, 'driver.log'), 'log');
    writeFileSync(path.join(folder.dir, 'manifest.json'), '{}');
    await markIncomplete(folder.dir, 'interrupted', 'Ctrl-C');
    expect(existsSync(path.join(folder.dir, 'manifest.json'))).toBe(false);
    expect(existsSync(path.join(folder.dir, 'driver.log'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(folder.dir, INCOMPLETE_MARKER), 'utf8'))).toMatchObject({ status: 'interrupted' });
    expect(isCompleteRun(folder.dir)).toBe(false);
  });

  it('replace an earlier folder of the same run id', async () => {
    const runs = mkdtempSync(path.join(tmpdir(), 'wb-runs-'));
    const first = await createRunFolder(runs, 'r1');
    writeFileSync(path.join(first.dir, 'old.txt'), 'x');
    const second = await createRunFolder(runs, 'r1');
    expect(second.replaced).toBe(true);
    expect(existsSync(path.join(second.dir, 'old.txt'))).toBe(false);
  });
});

describe('locations', () => {
  it('resolve flag paths against the user directory and leave URIs alone', () => {
    expect(resolveUserPath('imgs', '/home/u/work')).toBe('/home/u/work/imgs');
    expect(resolveUserPath('s3://b/p/', '/home/u')).toBe('s3://b/p/');
  });
  it('tell weights paths from keywords and URIs', () => {
    expect(['auto', 'imagenet', 'random:3', 's3://b/w.h5'].map(isWeightsPath)).toEqual([false, false, false, false]);
    expect(isWeightsPath('w.weights.h5')).toBe(true);
  });
  it('classify inputs', () => {
    expect(classifyInput('s3a://b/inputs/x/', '/r')).toEqual({ kind: 's3', location: { bucket: 'b', key: 'inputs/x/' } });
    expect(classifyInput('sample-data/fruits-synthetic', '/r')).toEqual({ kind: 'local', dir: '/r/sample-data/fruits-synthetic', name: 'fruits-synthetic' });
  });
  it('parse file:// weights as files and reject unknown schemes, naming the fix', () => {
    expect(parseWeightsSpec('file:///w/x.weights.h5', '/r')).toEqual({ ok: true, value: { kind: 'file', path: '/w/x.weights.h5', raw: 'file:///w/x.weights.h5' } });
    expect(parseWeightsSpec('random:x', '/r')).toMatchObject({ ok: false, fix: 'e.g. random:0' });
    expect(parseWeightsSpec('ftp://h/w.h5', '/r')).toMatchObject({ ok: false });
    expect(parseInputSpec('gs://b/x', '/r')).toMatchObject({ ok: false });
  });
  it('display paths relative to the cwd when inside it', () => {
    expect(displayPath('/r/runs/x', '/r')).toBe('runs/x');
    expect(displayPath('/elsewhere/x', '/r')).toBe('/elsewhere/x');
  });
});
