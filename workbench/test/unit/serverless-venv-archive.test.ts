/**
 * The venv archive is reproducible: the same lock and wheelhouse give the same bytes. Built for real (python3.11
 * -m venv, pip install --no-index) from a tiny wheelhouse made here, twice, and read back with tar.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveSkips, buildVenvArchive, ensureVenvArchive, ENV_SHEBANG, pyvenvCfg, recordWithRewrittenScripts, rewriteShebang, runtimeRequirements, venvArchivePaths, VENV_RECIPE } from '../../src/serverless/venv-archive.js';
import { paxRecord, sortEntries, tarHeaders, ustarHeader } from '../../src/serverless/tar-gz.js';
import { memoryOutput } from '../../src/terminal/index.js';

const PY = '/usr/bin/python3.11';
const work = mkdtempSync(path.join(tmpdir(), 'venv-archive-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A one-module wheel with a console script, zipped with fixed timestamps. */
const MAKE_WHEEL = `
import sys, zipfile
out = sys.argv[1]
files = {
  'tinypkg/__init__.py': 'def main():\\n    print("tiny")\\n',
  'tinypkg-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: tinypkg\\nVersion: 1.0\\n',
  'tinypkg-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
  'tinypkg-1.0.dist-info/entry_points.txt': '[console_scripts]\\ntiny = tinypkg:main\\n',
}
files['tinypkg-1.0.dist-info/RECORD'] = ''.join(f'{k},,\\n' for k in files) + 'tinypkg-1.0.dist-info/RECORD,,\\n'
with zipfile.ZipFile(out, 'w') as z:
  for k, v in files.items():
    z.writestr(zipfile.ZipInfo(k, (2020, 1, 1, 0, 0, 0)), v)
`;

async function tinyWheelhouse(): Promise<string> {
  const dir = path.join(work, 'wheelhouse');
  await execa('mkdir', ['-p', dir]);
  const wheel = path.join(dir, 'tinypkg-1.0-py3-none-any.whl');
  await execa(PY, ['-c', MAKE_WHEEL, wheel]);
  const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  // pyspark is listed (with a hash no file has) to show it is left out: the image brings Spark.
  writeFileSync(path.join(dir, 'requirements.wheels'), `# test\npyspark==3.5.6 --hash=sha256:${'0'.repeat(64)}\ntinypkg==1.0 --hash=sha256:${sha}\n`);
  return dir;
}

describe('venv archive: pure parts', () => {
  it('pyvenv.cfg is fixed content naming the image python home', () => {
    expect(pyvenvCfg('3.11')).toBe('home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n');
  });
  it('drops the wheels the release image provides', () => {
    expect(runtimeRequirements('a==1 --hash=sha256:x\npyspark==3.5.6 --hash=sha256:y\nPySpark==1\nb==2\n')).toBe('a==1 --hash=sha256:x\nb==2\n');
  });
  it('rewrites both of pip shebang forms and leaves other files alone', () => {
    expect(rewriteShebang(Buffer.from('#!/c/v/bin/python\nimport x\n'), '/c/v')!.toString()).toBe(`${ENV_SHEBANG}\nimport x\n`);
    expect(rewriteShebang(Buffer.from(`#!/bin/sh\n'''exec' "/c/v/bin/python" "$0" "$@"\n' '''\nimport x\n`), '/c/v')!.toString()).toBe(`${ENV_SHEBANG}\nimport x\n`);
    expect(rewriteShebang(Buffer.from('#!/usr/bin/env bash\n'), '/c/v')).toBeUndefined();
    expect(rewriteShebang(Buffer.from('\x7fELF'), '/c/v')).toBeUndefined();
  });
  it('RECORD rows of rewritten scripts get their new hash and size; other rows and the line ends stay', () => {
    const script = Buffer.from('#!/usr/bin/env python3\nprint(1)\n');
    const record = '../../../bin/tiny,sha256=old,290\r\n../../../bin/other,sha256=x,9\r\ntinypkg/__init__.py,sha256=y,40\r\n';
    const hash = createHash('sha256').update(script).digest('base64url');
    expect(recordWithRewrittenScripts(record, new Map([['tiny', script]]))).toBe(
      `../../../bin/tiny,sha256=${hash},${script.length}\r\n../../../bin/other,sha256=x,9\r\ntinypkg/__init__.py,sha256=y,40\r\n`,
    );
  });

  it("leaves out byte code and TensorFlow's C++ headers, and nothing else of TensorFlow", () => {
    const skip = archiveSkips('3.11');
    const site = 'lib/python3.11/site-packages';
    expect(skip(`${site}/tensorflow/include`, 'include')).toBe(true);
    expect(skip(`${site}/numpy/__pycache__`, '__pycache__')).toBe(true);
    expect(skip(`${site}/six.cpython-311.pyc`, 'six.cpython-311.pyc')).toBe(true);
    expect(skip(`${site}/tensorflow/python`, 'python')).toBe(false);
    expect(skip(`${site}/numpy/include`, 'include')).toBe(false); // numpy's headers are few: only TensorFlow's
    expect(skip('include', 'include')).toBe(false); // the venv's own include/ folder stays
  });
  it('the path depends on the release, the lock and the recipe only', () => {
    const a = venvArchivePaths('/c', 'emr-spark-8.1.0', 'lock');
    expect(a.archive).toBe(`/c/serverless/venv-archives/emr-spark-8.1.0-${createHash('sha256').update('lock').digest('hex').slice(0, 12)}-r${VENV_RECIPE}.tar.gz`);
    expect(a.sidecar).toBe(`${a.archive}.sha256`);
    expect(venvArchivePaths('/c', 'emr-spark-8.1.0', 'lock').buildDir).toBe(a.buildDir);
    expect(venvArchivePaths('/c', 'emr-spark-8.1.0', 'lock2').buildDir).not.toBe(a.buildDir);
  });
  it('tar headers: ustar with zero mtime/uid/gid, PAX for long paths, byte-order sort', () => {
    const h = ustarHeader({ name: 'bin/tiny', mode: 0o755, size: 5, type: '0' });
    expect(h.length).toBe(512);
    expect(h.subarray(257, 263).toString()).toBe('ustar\0');
    expect(h.subarray(136, 148).toString()).toBe('00000000000\0');
    expect(h.subarray(265, 297).every((b) => b === 0)).toBe(true);
    const r = paxRecord('path', 'x'.repeat(200));
    expect(Number(r.split(' ')[0])).toBe(Buffer.byteLength(r));
    expect(tarHeaders({ kind: 'dir', path: 'a'.repeat(150) }).length).toBe(3 * 512);
    expect(sortEntries([{ path: 'b' }, { path: 'B' }, { path: 'a/b' }, { path: 'a' }]).map((e) => e.path)).toEqual(['B', 'a', 'a/b', 'b']);
  });
});

describe('venv archive: built from a lock', () => {
  it('same lock -> same bytes; python3.11 venv with the wheel, no pyspark, portable shebang, fixed pyvenv.cfg', async () => {
    expect(existsSync(PY), `${PY} is needed (apt-get install python3.11 python3.11-venv python3-pip)`).toBe(true);
    const wheelhouse = await tinyWheelhouse();
    const out = memoryOutput();
    const signal = new AbortController().signal;
    const build = { release: { label: 'emr-spark-8.1.0', python: '3.11' }, lockText: 'tinypkg==1.0\n', wheelhouse, cacheDir: path.join(work, 'cache'), pipPython: PY, out, signal };
    const one = path.join(work, 'one.tar.gz');
    const two = path.join(work, 'two.tar.gz');
    const sha1 = await buildVenvArchive(build, one);
    // Built again in another cache folder (another machine's or user's): the same bytes all the same.
    const sha2 = await buildVenvArchive({ ...build, cacheDir: path.join(work, 'another-cache-folder-of-another-length') }, two);
    expect(sha2).toBe(sha1);
    expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
    expect(readFileSync(one).subarray(4, 8).readUInt32LE()).toBe(0); // gzip header mtime

    const listing = (await execa('tar', ['-tvzf', one, '--numeric-owner'])).stdout.split('\n');
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toContain('bin/python');
    expect(names).toContain('bin/tiny');
    expect(names).toContain('pyvenv.cfg');
    expect(names.some((n) => n.includes('tinypkg/__init__.py'))).toBe(true);
    expect(names.some((n) => /pyspark|__pycache__|activate/.test(n))).toBe(false);
    expect(listing.every((l) => l.includes(' 0/0 ') && l.includes('1970-01-01'))).toBe(true);
    const unpacked = path.join(work, 'unpacked');
    await execa('mkdir', ['-p', unpacked]);
    await execa('tar', ['-xzf', one, '-C', unpacked]);
    expect(readFileSync(path.join(unpacked, 'bin', 'tiny'), 'utf8').split('\n')[0]).toBe(ENV_SHEBANG);
    // Its RECORD row names the script as it is in the archive (pip hashed it with the build folder in its shebang).
    const script = readFileSync(path.join(unpacked, 'bin', 'tiny'));
    const record = readFileSync(path.join(unpacked, 'lib', 'python3.11', 'site-packages', 'tinypkg-1.0.dist-info', 'RECORD'), 'utf8');
    expect(record).toContain(`../../../bin/tiny,sha256=${createHash('sha256').update(script).digest('base64url')},${script.length}\r\n`);
    expect(readFileSync(path.join(unpacked, 'pyvenv.cfg'), 'utf8')).toBe(pyvenvCfg('3.11'));
    // The unpacked venv runs its package from the relative location Spark gives it.
    const ran = await execa(path.join(unpacked, 'bin', 'python'), ['-c', 'import tinypkg, sys; tinypkg.main(); print(sys.prefix)']);
    expect(ran.stdout.split('\n')[0]).toBe('tiny');

    // The cached entry: built once, then the same file and sha256 from the sidecar.
    const cached = await ensureVenvArchive(build);
    expect(cached.sha256).toBe(sha1);
    expect(readFileSync(`${cached.file.absPath}.sha256`, 'utf8')).toBe(`${sha1}  ${path.basename(cached.file.absPath)}\n`);
    expect((await ensureVenvArchive(build)).file.md5).toBe(cached.file.md5);
  }, 120_000);
});
