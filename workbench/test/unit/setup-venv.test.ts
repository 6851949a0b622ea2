import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrerequisiteError } from '../../src/errors.js';
import {
  ensureVenv,
  lockFilePath,
  pipRequirementArgs,
  projectVenvDir,
  testLockFilePath,
  venvDirFor,
  venvLockFiles,
} from '../../src/setup/venv.js';
import { linesOutput } from '../../src/terminal/index.js';
import type { Release } from '../../src/config/releases.js';

/** Two releases with their locks in their own folders, as versions.json has them. */
const R: Release = {
  label: 'emr-test-1.0.0', note: '', emrSpark: '9.9.9-amzn-0', spark: '9.9.9', scala: '2.13', python: '3.11', java: '17', hadoop: '3.4.2',
  locks: { runtime: 'pipeline/locks/emr-test-1.0.0/requirements.lock', test: 'pipeline/locks/emr-test-1.0.0/requirements-test.lock' },
  s3a: { credentialsProvider: 'x', jars: [] }, yarnMinicluster: '3.4.2',
};
const OTHER: Release = { ...R, label: 'emr-test-2.0.0', locks: { runtime: 'pipeline/locks/emr-test-2.0.0/requirements.lock', test: 'pipeline/locks/emr-test-2.0.0/requirements-test.lock' } };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-venv-'));
  dirs.push(d);
  return d;
}

/** A checkout with the two locks, and a fake python3.11 whose venv python logs its arguments. */
function fixture(runtime = 'numpy==1.26.4\n', test = 'pytest==9.2.0\n') {
  const base = temp();
  const root = path.join(base, 'repo');
  for (const r of [R, OTHER]) {
    mkdirSync(path.dirname(lockFilePath(root, r)), { recursive: true });
    writeFileSync(lockFilePath(root, r), runtime);
    writeFileSync(testLockFilePath(root, r), test);
  }
  const sparkHome = path.join(base, 'pyspark');
  mkdirSync(path.join(sparkHome, 'bin'), { recursive: true });
  writeFileSync(path.join(sparkHome, 'bin', 'spark-class'), '');
  const python311 = path.join(base, 'python3.11');
  // `python3.11 -m venv DIR` creates DIR/bin/python: a script that logs each call and answers the pyspark probe.
  writeFileSync(
    python311,
    `#!/bin/sh
dir="$3"; mkdir -p "$dir/bin"
cat > "$dir/bin/python" <<EOS
#!/bin/sh
echo "\\$*" >> "$dir/calls.log"
if [ "\\$1" = "-c" ]; then echo "${sparkHome}"; fi
EOS
chmod +x "$dir/bin/python"
`,
  );
  chmodSync(python311, 0o755);
  return { root, cacheDir: path.join(base, 'cache'), python311 };
}

describe('the project venv and its two locks', () => {
  it('installs the runtime lock and the test lock in ONE hash-checked pip call', async () => {
    const f = fixture();
    const venv = await ensureVenv({
      root: f.root,
      cacheDir: f.cacheDir,
      release: R,
      python311: f.python311,
      env: { PATH: process.env.PATH },
      out: linesOutput(() => {}),
      signal: new AbortController().signal,
    });
    expect(venv.dir).toBe(projectVenvDir(f.root, f.cacheDir, R));
    const calls = readFileSync(path.join(venv.dir, 'calls.log'), 'utf8').trim().split('\n');
    expect(calls[0]).toBe(
      `-m pip install --no-input --require-hashes -r ${lockFilePath(f.root, R)} -r ${testLockFilePath(f.root, R)}`,
    );
    expect(existsSync(path.join(venv.dir, '.fruits-workbench-complete.json'))).toBe(true);
  });

  it('keys the venv folder on both locks: a change to either gives a new folder', () => {
    const a = fixture('numpy==1.26.4\n', 'pytest==9.2.0\n');
    const base = projectVenvDir(a.root, a.cacheDir, R);
    writeFileSync(testLockFilePath(a.root, R), 'pytest==9.2.1\n');
    const testChanged = projectVenvDir(a.root, a.cacheDir, R);
    writeFileSync(lockFilePath(a.root, R), 'numpy==1.26.5\n');
    const runtimeChanged = projectVenvDir(a.root, a.cacheDir, R);
    expect(new Set([base, testChanged, runtimeChanged]).size).toBe(3);
    expect(base).toBe(venvDirFor(a.cacheDir, R.label, 'numpy==1.26.4\n', 'pytest==9.2.0\n'));
    expect(path.dirname(base)).toBe(path.join(a.cacheDir, 'venvs'));
    expect(path.basename(base)).toMatch(/^emr-test-1\.0\.0-[0-9a-f]{12}$/);
  });

  it('keys the venv folder by release: two releases live side by side, even with identical locks', () => {
    const a = fixture();
    expect(projectVenvDir(a.root, a.cacheDir, R)).not.toBe(projectVenvDir(a.root, a.cacheDir, OTHER));
  });

  it('lists the runtime lock first, then the test lock, as pip arguments', () => {
    expect(venvLockFiles('/r', R)).toEqual(['/r/pipeline/locks/emr-test-1.0.0/requirements.lock', '/r/pipeline/locks/emr-test-1.0.0/requirements-test.lock']);
    expect(pipRequirementArgs(venvLockFiles('/r', R))).toEqual([
      '-r',
      '/r/pipeline/locks/emr-test-1.0.0/requirements.lock',
      '-r',
      '/r/pipeline/locks/emr-test-1.0.0/requirements-test.lock',
    ]);
  });

  it('refuses to build without the test lock, naming it', async () => {
    const f = fixture();
    rmSync(testLockFilePath(f.root, R));
    await expect(
      ensureVenv({
        root: f.root,
        cacheDir: f.cacheDir,
        release: R,
        python311: f.python311,
        env: {},
        out: linesOutput(() => {}),
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(PrerequisiteError);
  });
});
