import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { artifactListing, packArtifact, sha256Hex } from '../../src/job/artifact.js';
import { PrerequisiteError } from '../../src/errors.js';
import { findRelease } from '../../src/config/releases.js';

const R = findRelease('emr-7.13.0')!;
const R8 = findRelease('emr-spark-8.1.0')!;

/** A minimal repo with the artifact sources, and a runtime lock for each release. */
function fakeRepo(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'wb-artifact-'));
  const pkg = path.join(root, 'pipeline/src/fruits_pipeline');
  mkdirSync(path.join(pkg, 'sub'), { recursive: true });
  mkdirSync(path.join(pkg, '__pycache__'), { recursive: true });
  mkdirSync(path.join(root, 'pipeline/emr'), { recursive: true });
  writeFileSync(path.join(pkg, '__init__.py'), '');
  writeFileSync(path.join(pkg, 'main.py'), 'def main():\n    return 0\n');
  writeFileSync(path.join(pkg, 'sub', 'util.py'), 'X = 1\n');
  writeFileSync(path.join(pkg, '__pycache__', 'main.cpython-311.pyc'), 'compiled');
  writeFileSync(path.join(pkg, 'notes.txt'), 'not code');
  writeFileSync(path.join(root, 'pipeline/entrypoint.py'), 'from fruits_pipeline.main import main\n');
  for (const r of [R, R8]) {
    mkdirSync(path.join(root, path.dirname(r.locks.runtime)), { recursive: true });
    writeFileSync(path.join(root, r.locks.runtime), 'numpy==1.26.4\n');
  }
  writeFileSync(path.join(root, 'pipeline/emr/bootstrap.sh'), '#!/bin/bash\n');
  writeFileSync(path.join(root, 'pipeline/emr/runtime-lock-filter.sh'), '#!/bin/sh\n');
  return root;
}

const out = () => mkdtempSync(path.join(tmpdir(), 'wb-artifact-out-'));

describe('packArtifact', () => {
  it('gives the same bytes and sha256 for the same sources, whatever their timestamps', async () => {
    const root = fakeRepo();
    const a = await packArtifact(root, out(), R);
    utimesSync(path.join(root, 'pipeline/src/fruits_pipeline/main.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = await packArtifact(root, out(), R);
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(b.zip).equals(readFileSync(a.zip))).toBe(true);
  });

  it('changes the sha256 when any source changes', async () => {
    const root = fakeRepo();
    const before = (await packArtifact(root, out(), R)).sha256;
    writeFileSync(path.join(root, 'pipeline/src/fruits_pipeline/sub/util.py'), 'X = 2\n');
    const afterCode = (await packArtifact(root, out(), R)).sha256;
    writeFileSync(path.join(root, 'pipeline/emr/bootstrap.sh'), '#!/bin/bash\nset -e\n');
    const afterBootstrap = (await packArtifact(root, out(), R)).sha256;
    expect(new Set([before, afterCode, afterBootstrap]).size).toBe(3);
  });

  it('covers the release: the same sources packed for two releases (even with identical locks) give two hashes', async () => {
    const root = fakeRepo();
    const a = await packArtifact(root, out(), R);
    const b = await packArtifact(root, out(), R8);
    expect(a.sha256).not.toBe(b.sha256);
    expect(JSON.parse(readFileSync(b.release, 'utf8'))).toEqual({ label: 'emr-spark-8.1.0', emrSpark: '4.1.1-amzn-0', spark: '4.1.1', scala: '2.13.17', python: '3.11', java: '17', hadoop: '3.4.2' });
  });

  it('zips only the package .py files, sorted, under fruits_pipeline/', async () => {
    const art = await packArtifact(fakeRepo(), out(), R);
    const names = Object.keys(unzipSync(new Uint8Array(readFileSync(art.zip))));
    expect(names).toEqual(['fruits_pipeline/__init__.py', 'fruits_pipeline/main.py', 'fruits_pipeline/sub/util.py']);
  });

  it('defines the sha256 as that of the sha256sum listing of the six files', async () => {
    const art = await packArtifact(fakeRepo(), out(), R);
    const listing = execFileSync('sha256sum', ['bootstrap.sh', 'entrypoint.py', 'fruits_pipeline.zip', 'release.json', 'requirements.lock', 'runtime-lock-filter.sh'], {
      cwd: art.dir,
      encoding: 'utf8',
    });
    expect(sha256Hex(listing)).toBe(art.sha256);
    expect(artifactListing({ 'b.txt': 'bb', 'a.txt': 'aa' })).toBe('aa  a.txt\nbb  b.txt\n');
  });

  it('fails clearly, naming the file, when bootstrap.sh is missing', async () => {
    const root = fakeRepo();
    rmSync(path.join(root, 'pipeline/emr/bootstrap.sh'));
    const err = await packArtifact(root, out(), R).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as Error).message).toContain('pipeline/emr/bootstrap.sh');
  });
});
