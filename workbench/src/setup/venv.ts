/**
 * The Python venv the job and its tests run in, one per release, built with python3.11 -m venv from the release's
 * two hashed locks (config/releases.ts `locks`): the runtime lock (what a Spark node needs) and the test lock (the
 * test and notebook tools, constrained to the runtime pins), installed by ONE pip call so they resolve together.
 * Folder: <cacheDir>/venvs/<release>-<sha256(runtime lock + test lock)[:12]>/, so releases live side by side and a
 * changed lock gives a new folder; a marker
 * written only after pip succeeded tells a finished venv from an interrupted one, which is rebuilt. The
 * pipeline package itself is not installed: the job ships as a zip (--py-files), tests use PYTHONPATH.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Output } from '../terminal/index.js';
import { AbortedError, PrerequisiteError } from '../errors.js';
import { formatTail } from '../host/log-tail.js';
import type { Release } from '../config/releases.js';
import { lockedCachedStep } from './step.js';

export interface Venv {
  dir: string;
  python: string;
  sparkHome: string;
}

const MARKER = '.fruits-workbench-complete.json';

/** The release's runtime lock: what the job needs on a node (the EMR bootstrap and the Docker image install it). */
export function lockFilePath(root: string, release: Release): string {
  return path.join(root, release.locks.runtime);
}

/** The test/dev extras, constrained to the runtime pins (pytest, moto[server], scikit-learn, notebook tools). */
export function testLockFilePath(root: string, release: Release): string {
  return path.join(root, release.locks.test);
}

/** Every lock the release's venv installs, in install order: the runtime lock first. */
export function venvLockFiles(root: string, release: Release): string[] {
  return [lockFilePath(root, release), testLockFilePath(root, release)];
}

/** The venv folder for a release and its lock texts (in venvLockFiles order): any change gives a new folder. */
export function venvDirFor(cacheDir: string, releaseLabel: string, ...lockTexts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const text of lockTexts) h.update(text);
  return path.join(cacheDir, 'venvs', `${releaseLabel}-${h.digest('hex').slice(0, 12)}`);
}

/** The release's venv folder, from the locks in the checkout (what ensureVenv builds; tests look it up with this). */
export function projectVenvDir(root: string, cacheDir: string, release: Release): string {
  return venvDirFor(cacheDir, release.label, ...venvLockFiles(root, release).map((f) => readFileSync(f)));
}

/** `-r <lock>` for every lock: pip installs them in one resolution. */
export function pipRequirementArgs(locks: string[]): string[] {
  return locks.flatMap((l) => ['-r', l]);
}

function readMarker(dir: string): Venv | undefined {
  try {
    const m = JSON.parse(readFileSync(path.join(dir, MARKER), 'utf8')) as { sparkHome: string };
    const python = path.join(dir, 'bin', 'python');
    if (!existsSync(python) || !existsSync(path.join(m.sparkHome, 'bin', 'spark-class'))) return undefined;
    return { dir, python, sparkHome: m.sparkHome };
  } catch {
    return undefined;
  }
}

export async function ensureVenv(opts: {
  root: string;
  cacheDir: string;
  release: Release;
  python311: string;
  env: Record<string, string | undefined>;
  out: Output;
  signal: AbortSignal;
}): Promise<Venv> {
  const locks = venvLockFiles(opts.root, opts.release);
  for (const lock of locks) {
    if (!existsSync(lock)) {
      throw new PrerequisiteError(`${lock} not found`, `restore ${path.relative(opts.root, lock)} from git (see pipeline/README.md to regenerate it)`);
    }
  }
  const dir = projectVenvDir(opts.root, opts.cacheDir, opts.release);
  const logFile = path.join(opts.cacheDir, 'logs', `venv-${path.basename(dir)}.log`);
  const what = `python venv for ${opts.release.label}, Spark ${opts.release.spark} (${locks.map((l) => path.relative(opts.root, l)).join(' + ')})`;
  return lockedCachedStep({
    out: opts.out,
    what,
    detail: `log: ${logFile}`,
    lock: `${dir}.lock`,
    signal: opts.signal,
    holder: 'set-up',
    doing: 'building the same venv',
    done: () => readMarker(dir),
    make: async () => {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(path.dirname(logFile), { recursive: true });
      const run = async (cmd: string, args: string[]) => {
        const r = await execa(cmd, args, {
          env: { ...opts.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONNOUSERSITE: '1' },
          extendEnv: false,
          stdout: { file: logFile, append: true },
          stderr: { file: logFile, append: true },
          cancelSignal: opts.signal,
          reject: false,
        });
        if (opts.signal.aborted) throw new AbortedError();
        if (r.failed) {
          throw new PrerequisiteError(
            `building the python venv failed at: ${[path.basename(cmd), ...args].join(' ')}\n${formatTail(logFile)}`,
            `read ${logFile}; fix the cause (network access to PyPI, disk space) and run npm run setup again`,
          );
        }
      };
      await run(opts.python311, ['-m', 'venv', dir]);
      const python = path.join(dir, 'bin', 'python');
      // One resolver run over both locks: the shared pins are identical (tests/test_lock.py), pip merges them.
      await run(python, ['-m', 'pip', 'install', '--no-input', '--require-hashes', ...pipRequirementArgs(locks)]);
      const r = await execa(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], {
        env: opts.env,
        extendEnv: false,
      });
      const sparkHome = r.stdout.trim();
      writeFileSync(path.join(dir, MARKER), JSON.stringify({ release: opts.release.label, locksSha256: path.basename(dir), sparkHome }, null, 2));
      return { dir, python, sparkHome };
    },
  });
}
