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
  mkdirSync(path.join(root, 'pipeline'), { recursive: true });
  writeFileSync(lockFilePath(root), runtime);
  writeFileSync(testLockFilePath(root), test);
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
      python311: f.python311,
      env: { PATH: process.env.PATH },
      out: linesOutput(() => {}),
      signal: new AbortController().signal,
    });
    expect(venv.dir).toBe(projectVenvDir(f.root, f.cacheDir));
    const calls = readFileSync(path.join(venv.dir, 'calls.log'), 'utf8').trim().split('\n');
    expect(calls[0]).toBe(
      `-m pip install --no-input --require-hashes -r ${lockFilePath(f.root)} -r ${testLockFilePath(f.root)}`,
    );
    expect(existsSync(path.join(venv.dir, '.fruits-workbench-complete.json'))).toBe(true);
  });

  it('keys the venv folder on both locks: a change to either gives a new folder', () => {
    const a = fixture('numpy==1.26.4\n', 'pytest==9.2.0\n');
    const base = projectVenvDir(a.root, a.cacheDir);
    writeFileSync(testLockFilePath(a.root), 'pytest==9.2.1\n');
    const testChanged = projectVenvDir(a.root, a.cacheDir);
    writeFileSync(lockFilePath(a.root), 'numpy==1.26.5\n');
    const runtimeChanged = projectVenvDir(a.root, a.cacheDir);
    expect(new Set([base, testChanged, runtimeChanged]).size).toBe(3);
    expect(base).toBe(venvDirFor(a.cacheDir, 'numpy==1.26.4\n', 'pytest==9.2.0\n'));
    expect(path.dirname(base)).toBe(path.join(a.cacheDir, 'venvs'));
  });

  it('lists the runtime lock first, then the test lock, as pip arguments', () => {
    expect(venvLockFiles('/r')).toEqual(['/r/pipeline/requirements.lock', '/r/pipeline/requirements-test.lock']);
    expect(pipRequirementArgs(venvLockFiles('/r'))).toEqual([
      '-r',
      '/r/pipeline/requirements.lock',
      '-r',
      '/r/pipeline/requirements-test.lock',
    ]);
  });

  it('refuses to build without the test lock, naming it', async () => {
    const f = fixture();
    rmSync(testLockFilePath(f.root));
    await expect(
      ensureVenv({
        root: f.root,
        cacheDir: f.cacheDir,
        python311: f.python311,
        env: {},
        out: linesOutput(() => {}),
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(PrerequisiteError);
  });
});
