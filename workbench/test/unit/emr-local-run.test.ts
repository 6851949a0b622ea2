import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLocalRunFor, inputPath } from '../../src/emr/local-run.js';
import { listingPrefixes } from '../../src/storage/upload-plan.js';

const listingPrefix = (key: string) => listingPrefixes({ bucket: 'b', items: [{ file: { relPath: '', absPath: '', size: 0, md5: '' }, key }], mirror: key.startsWith('inputs/sample/') ? ['inputs/sample/'] : [] })[0];

function run(runsDir: string, id: string, manifest: Record<string, unknown>) {
  mkdirSync(path.join(runsDir, id), { recursive: true });
  writeFileSync(path.join(runsDir, id, 'manifest.json'), JSON.stringify({ run_id: id, ...manifest }));
}

describe('findLocalRunFor', () => {
  it('compares input paths whatever the bucket and scheme', () => {
    expect(inputPath('s3a://fruits/inputs/sample/')).toBe('inputs/sample');
    expect(inputPath('s3://fruits-123-eu-west-3/inputs/sample')).toBe('inputs/sample');
  });

  it('picks the newest succeeded non-EMR run of the same input', async () => {
    const runs = mkdtempSync(path.join(tmpdir(), 'wb-runs-'));
    const ok = { status: 'succeeded', input_uri: 's3a://fruits/inputs/sample/', spark: { master: 'local[*]' } };
    run(runs, 'old', { ...ok, finished_at: '2026-11-20T10:00:00Z' });
    run(runs, 'new', { ...ok, finished_at: '2026-11-25T10:00:00Z' });
    run(runs, 'failed', { ...ok, status: 'failed', finished_at: '2026-11-26T10:00:00Z' });
    run(runs, 'other-input', { ...ok, input_uri: 's3a://fruits/inputs/other/', finished_at: '2026-11-27T10:00:00Z' });
    run(runs, 'emr', { ...ok, spark: { master: 'yarn' }, finished_at: '2026-11-28T10:00:00Z' });
    await expect(findLocalRunFor(runs, 's3://b-123-eu-west-3/inputs/sample/')).resolves.toBe(path.join(runs, 'new'));
  });

  it('returns undefined without runs', async () => {
    expect(await findLocalRunFor('/nonexistent/runs', 's3://b/inputs/x/')).toBeUndefined();
  });
});

describe('listingPrefix', () => {
  it('lists per input folder, per artifact and per weights file', () => {
    expect(listingPrefix('inputs/sample/Apple/1.jpg')).toBe('inputs/sample/');
    expect(listingPrefix('artifacts/abc/entrypoint.py')).toBe('artifacts/abc/');
    expect(listingPrefix('top/file.txt')).toBe('top/');
    expect(listingPrefix('weights/0123/w.weights.h5')).toBe('weights/0123/');
  });
});
