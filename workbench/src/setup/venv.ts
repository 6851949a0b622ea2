/**
 * The Python venv the job and its tests run in, built from pipeline/requirements.lock (hashed pins) with
 * python3.11 -m venv into <cacheDir>/venvs/<sha256(lock)[:12]>/. A changed lock gives a new folder; a marker
 * written only after pip succeeded tells a finished venv from an interrupted one, which is rebuilt. The
 * pipeline package itself is not installed: the job ships as a zip (--py-files), tests use PYTHONPATH.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Output } from '../commands/types.js';
import { AbortedError, PrerequisiteError } from '../errors.js';
import { withFileLock } from './lock.js';
import { formatTail } from './logs.js';
import { cachedStep } from './step.js';

export interface Venv {
  dir: string;
  python: string;
  sparkHome: string;
}

const MARKER = '.fruits-workbench-complete.json';

export function lockFilePath(root: string): string {
  return path.join(root, 'pipeline', 'requirements.lock');
}

export function venvDirFor(cacheDir: string, lockText: string | Buffer): string {
  const id = createHash('sha256').update(lockText).digest('hex').slice(0, 12);
  return path.join(cacheDir, 'venvs', id);
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
  python311: string;
  env: Record<string, string | undefined>;
  out: Output;
  signal: AbortSignal;
}): Promise<Venv> {
  const lock = lockFilePath(opts.root);
  if (!existsSync(lock)) {
    throw new PrerequisiteError(`${lock} not found`, 'restore pipeline/requirements.lock from git (see pipeline/README.md to regenerate it)');
  }
  const dir = venvDirFor(opts.cacheDir, readFileSync(lock));
  const logFile = path.join(opts.cacheDir, 'logs', `venv-${path.basename(dir)}.log`);
  const what = `python venv (${path.relative(opts.root, lock)})`;
  return cachedStep(
    opts.out,
    what,
    async () => readMarker(dir),
    () =>
      withFileLock(
        `${dir}.lock`,
        opts.signal,
        (pid) => opts.out.info(`waiting for another set-up (pid ${pid}) building the same venv...`),
        async () => {
          const done = readMarker(dir); // built by the process we waited for
          if (done) return done;
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
          await run(python, ['-m', 'pip', 'install', '--no-input', '--require-hashes', '-r', lock]);
          const r = await execa(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], {
            env: opts.env,
            extendEnv: false,
          });
          const sparkHome = r.stdout.trim();
          writeFileSync(path.join(dir, MARKER), JSON.stringify({ lockSha256: path.basename(dir), sparkHome }, null, 2));
          return { dir, python, sparkHome };
        },
      ),
    `log: ${logFile}`,
  );
}
