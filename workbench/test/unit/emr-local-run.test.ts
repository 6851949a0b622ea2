import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLocalRunFor, inputPath, referenceMismatches, referenceRefusal } from '../../src/emr/local-run.js';
import { listingPrefixes } from '../../src/storage/upload-plan.js';

const listingPrefix = (key: string) => listingPrefixes({ bucket: 'b', items: [{ file: { relPath: '', absPath: '', size: 0, md5: '' }, key }], mirror: key.startsWith('inputs/sample/') ? ['inputs/sample/'] : [] })[0];

import { baseRun } from '../fixtures/parity/synthetic-run.js';
import { runRecord, type RunTarget } from '../../src/run/run-record.js';
import { PlanRefusedError } from '../../src/errors.js';

/** A run folder: a contract-valid manifest (the parity fixture's) with overrides, and run.json unless target is null. */
function run(runsDir: string, id: string, manifest: Record<string, unknown>, target: RunTarget | null = 'local') {
  mkdirSync(path.join(runsDir, id), { recursive: true });
  writeFileSync(path.join(runsDir, id, 'manifest.json'), JSON.stringify({ ...baseRun().manifest, run_id: id, ...manifest }));
  if (target) writeFileSync(path.join(runsDir, id, 'run.json'), JSON.stringify(runRecord(id, target, 'local')));
}

describe('findLocalRunFor', () => {
  it('compares input paths whatever the bucket and scheme', () => {
    expect(inputPath('s3a://fruits/inputs/sample/')).toBe('inputs/sample');
    expect(inputPath('s3://fruits-123-eu-west-3/inputs/sample')).toBe('inputs/sample');
  });

  it('picks the newest succeeded run of the same input that run.json says ran on this machine (never guessed from the Spark master)', async () => {
    const runs = mkdtempSync(path.join(tmpdir(), 'wb-runs-'));
    const ok = { status: 'succeeded', input_uri: 's3a://fruits/inputs/sample/', spark: { master: 'local[*]' } };
    run(runs, 'old', { ...ok, finished_at: '2026-11-20T10:00:00Z' });
    run(runs, 'new', { ...ok, finished_at: '2026-11-25T10:00:00Z' }, 'docker');
    run(runs, 'failed', { ...ok, status: 'failed', finished_at: '2026-11-26T10:00:00Z' });
    run(runs, 'other-input', { ...ok, input_uri: 's3a://fruits/inputs/other/', finished_at: '2026-11-27T10:00:00Z' });
    run(runs, 'emr', { ...ok, spark: { master: 'yarn' }, finished_at: '2026-11-28T10:00:00Z' }, 'emr');
    // A rehearsal whose master would not have told it apart: run.json does.
    run(runs, 'rehearsal', { ...ok, finished_at: '2026-11-29T10:00:00Z' }, 'rehearsal');
    expect((await findLocalRunFor(runs, 's3://b-123-eu-west-3/inputs/sample/'))?.dir).toBe(path.join(runs, 'new'));
  });

  it('counts a folder from before run.json as local unless a promote plan lies beside it', async () => {
    const runs = mkdtempSync(path.join(tmpdir(), 'wb-runs-'));
    const ok = { status: 'succeeded', input_uri: 's3a://fruits/inputs/sample/' };
    run(runs, 'legacy-local', { ...ok, finished_at: '2026-11-20T10:00:00Z' }, null);
    run(runs, 'legacy-promote', { ...ok, finished_at: '2026-11-21T10:00:00Z' }, null);
    writeFileSync(path.join(runs, 'legacy-promote', 'promote-plan.json'), '{}');
    const found = await findLocalRunFor(runs, 'inputs/sample');
    expect(found?.dir).toBe(path.join(runs, 'legacy-local'));
    expect(found?.record).toBeUndefined();
  });

  it('returns undefined without runs', async () => {
    expect(await findLocalRunFor('/nonexistent/runs', 's3://b/inputs/x/')).toBeUndefined();
  });
});

describe('the promote pre-check against the local run', () => {
  const local = (over: Record<string, unknown> = {}) => ({ dir: '/runs/r-local', record: undefined, manifest: { ...baseRun().manifest, ...over } as never });
  const m = baseRun().manifest;
  const planned = { artifactSha256: m.artifact.sha256, engine: 'keras', precision: 'f32', weights: { sha256: m.weights.sha256 } };
  const how = { inputKey: 'inputs/sample', inputRaw: 'sample-data/sample', runsDir: '/runs' };

  it('accepts a local run that computed the same thing', () => {
    expect(referenceRefusal(local(), planned, how)).toBeUndefined();
    expect(referenceMismatches(local().manifest, planned)).toEqual([]);
  });

  it('refuses, with the fix, when there is no local run', () => {
    const r = referenceRefusal(undefined, planned, how);
    expect(r).toBeInstanceOf(PlanRefusedError);
    expect(r!.message).toMatch(/no local run of the input inputs\/sample/);
    expect(r!.fix).toContain('npm run local -- --input sample-data/sample --engine keras');
  });

  it('refuses when weights sha256, engine, precision or artifact differ, naming each', () => {
    const other = { ...planned, weights: { sha256: 'f'.repeat(64) } };
    const w = referenceRefusal(local(), other, how)!;
    expect(w.message).toMatch(/weights sha256 aaaaaaaaaaaa… \(local\) vs ffffffffffff… \(plan\)/);
    expect(w.fix).toMatch(/drop job.weights/);
    const all = referenceRefusal(local({ engine: { name: 'onnxruntime', precision: 'int8', parity_safe: false } }), { ...planned, artifactSha256: 'e'.repeat(64) }, how)!;
    expect(all.message).toMatch(/engine onnxruntime \(local\) vs keras \(plan\); precision int8 \(local\) vs f32 \(plan\); job artifact/);
    expect(referenceRefusal(local(), { ...planned, weights: { random: 'random:2' } }, how)!.message).toMatch(/weights random:1 \(local\) vs random:2 \(plan\)/);
  });

  it('refuses a local run of another release, naming both and the --release that fixes it', () => {
    const other = { ...planned, release: 'emr-7.13.0', artifactSha256: 'e'.repeat(64) };
    const r = referenceRefusal(local(), other, how)!;
    expect((local().manifest as { release?: string }).release).toBe('emr-spark-8.1.0');
    expect(r.message).toMatch(/release emr-spark-8\.1\.0 \(local\) vs emr-7\.13\.0 \(plan\)/);
    expect(r.message).not.toMatch(/job artifact/);
    expect(r.fix).toContain('--release emr-7.13.0');
    expect(referenceRefusal(local(), { ...planned, release: 'emr-spark-8.1.0' }, how)).toBeUndefined();
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
