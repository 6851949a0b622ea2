/**
 * The venv archive of an EMR Serverless job run: the release's runtime lock installed into a venv, packed as a
 * .tar.gz that Spark unpacks on every worker as ./environment (spark.archives=<uri>#environment, PYSPARK_PYTHON=
 * ./environment/bin/python). Reproducible: the same lock gives the same bytes (and so the same sha256), built
 * once per lock under a file lock and cached in <cacheDir>/serverless/venv-archives/<release>-<sha256(lock)[:12]>-r<VENV_RECIPE>.tar.gz
 * with a .sha256 sidecar written last.
 *
 * Which Python: the release's (3.11 for both supported releases), from /usr/bin/python3.11, so the venv's
 * pyvenv.cfg says `home = /usr/bin`, where the release image's python3.11 lives. The recipe:
 *   python3.11 -m venv --copies --without-pip <folder named by the lock hash only>
 *   pip --python <venv> install --no-index --find-links <wheelhouse> --require-hashes --no-deps --no-compile
 *       -r requirements.wheels  (pyspark's wheel left out: the release image brings its own Spark)
 *   console-script shebangs -> #!/usr/bin/env python3; pyvenv.cfg fixed; __pycache__, activate scripts and
 *   TensorFlow's C++ headers dropped (archiveSkips)
 *   a deterministic tar.gz (serverless/tar-gz.ts)
 * NOT proven here: the archive must match the release image's OS and glibc (Amazon Linux 2023). Built on this
 * Debian host, its copied interpreter and its manylinux wheels are only checked on Debian (the serverless
 * rehearsal runs it on the local YARN); docs/promote.md and the rehearsal's list of limits say so.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Release } from '../config/releases.js';
import { AbortedError, PrerequisiteError } from '../errors.js';
import { describeFile } from '../storage/local-folder.js';
import type { Output } from '../terminal/index.js';
import { lockedCachedStep } from '../setup/step.js';
import { WHEELHOUSE_REQUIREMENTS, wheelNameVersion } from '../setup/wheelhouse.js';
import type { VenvArchive } from './plan.js';
import { treeEntries, writeTarGz } from './tar-gz.js';
import { sha256File } from '../setup/download.js';

/** The wheels the release image already has: Spark's Python side comes with the image's Spark. */
export const IMAGE_PROVIDED = ['pyspark'];
/** Where the release image's python3.11 is (and so the venv's `home`). */
export const IMAGE_PYTHON_HOME = '/usr/bin';
export const ENV_SHEBANG = '#!/usr/bin/env python3';

export interface VenvArchivePaths {
  lockHash: string;
  archive: string;
  sidecar: string;
  /** The venv is built here: the path depends only on the lock, so nothing path-dependent varies between builds. */
  buildDir: string;
  lockFile: string;
}

/**
 * The recipe's version, in the cache key: a change of the recipe (what goes into the archive) must not reuse an
 * archive the old recipe built. 2: RECORD rows of the console scripts follow their rewritten shebangs. 3: without
 * TensorFlow's C++ headers (archiveSkips).
 */
export const VENV_RECIPE = 3;

/**
 * What the archive leaves out of the venv, pure: byte code (Python writes its own) and TensorFlow's C++ headers
 * (site-packages/tensorflow/include, for compiling custom ops, which no job run does). The headers are about half
 * of the archive's entries (13,035 of 27,126 for emr-spark-8.1.0), and every entry costs at unpacking: YARN (and
 * so the rehearsal) sets each localized file's permission, with one `chmod` process per file where Hadoop's native
 * library is missing.
 */
export function archiveSkips(python: string): (rel: string, name: string) => boolean {
  const headers = `lib/python${python}/site-packages/tensorflow/include`;
  return (rel, name) => name === '__pycache__' || name.endsWith('.pyc') || rel === headers;
}

/** Pure. */
export function venvArchivePaths(cacheDir: string, releaseLabel: string, lockText: string | Buffer): VenvArchivePaths {
  const lockHash = createHash('sha256').update(lockText).digest('hex');
  const base = `${releaseLabel}-${lockHash.slice(0, 12)}-r${VENV_RECIPE}`;
  const archive = path.join(cacheDir, 'serverless', 'venv-archives', `${base}.tar.gz`);
  return { lockHash, archive, sidecar: `${archive}.sha256`, buildDir: path.join(cacheDir, 'serverless', 'venv-build', base), lockFile: `${archive}.lock` };
}

/**
 * A dist-info RECORD with the rows of the rewritten console scripts (`../../../bin/<name>,sha256=…,<size>`) made
 * to match their new bytes. pip hashed each script with the build folder's path in its shebang: left as is, the
 * RECORD would name bytes the archive does not hold, and the archive would differ with the folder it was built
 * in. Pure.
 */
export function recordWithRewrittenScripts(record: string, scripts: ReadonlyMap<string, Buffer>): string {
  return record
    .split('\n')
    .map((row) => {
      // pip writes RECORD with the csv module's \r\n line ends: kept as they are.
      const m = /^(\.\.\/\.\.\/\.\.\/bin\/)([^,]+),sha256=[^,]*,\d*(\r?)$/.exec(row);
      const bytes = m ? scripts.get(m[2]!) : undefined;
      if (!m || !bytes) return row;
      return `${m[1]}${m[2]},sha256=${createHash('sha256').update(bytes).digest('base64url')},${bytes.length}${m[3]}`;
    })
    .join('\n');
}

/** The fixed pyvenv.cfg: nothing of the building machine (its paths, its patch version) goes into the archive. Pure. */
export function pyvenvCfg(python: string): string {
  return `home = ${IMAGE_PYTHON_HOME}\ninclude-system-site-packages = false\nversion = ${python}\n`;
}

/** requirements.wheels without the wheels the image provides. Pure. */
export function runtimeRequirements(wheelRequirements: string): string {
  return wheelRequirements
    .split('\n')
    .filter((line) => {
      const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)==/.exec(line);
      return !m || !IMAGE_PROVIDED.includes(m[1]!.toLowerCase().replace(/[-_.]+/g, '-'));
    })
    .join('\n');
}

/**
 * A console script with its interpreter line made portable, or undefined when it is not one of the venv's
 * scripts. Handles pip's two forms: `#!<venv>/bin/python` and, for long paths, the `#!/bin/sh` + `'''exec'` trick. Pure.
 */
export function rewriteShebang(text: Buffer, venvDir: string): Buffer | undefined {
  if (text.subarray(0, 2).toString() !== '#!') return undefined;
  const lines = text.toString('latin1').split('\n');
  if (lines[0]!.startsWith(`#!${venvDir}/`)) return Buffer.from([ENV_SHEBANG, ...lines.slice(1)].join('\n'), 'latin1');
  if (lines[0] === '#!/bin/sh' && lines[1]?.startsWith("'''exec'") && lines[1].includes(venvDir) && lines[2] === "' '''") {
    return Buffer.from([ENV_SHEBANG, ...lines.slice(3)].join('\n'), 'latin1');
  }
  return undefined;
}

export interface VenvArchiveBuild {
  release: Pick<Release, 'label' | 'python'>;
  lockText: string | Buffer;
  /** The lock's wheelhouse (setup/wheelhouse.ts): the wheels and requirements.wheels. */
  wheelhouse: string;
  cacheDir: string;
  /** The interpreter the venv is made from; default /usr/bin/python<release.python> (see IMAGE_PYTHON_HOME). */
  basePython?: string;
  /** A Python whose pip (>= 22.3, for --python) installs into the venv: the project venv's. */
  pipPython: string;
  out: Output;
  signal: AbortSignal;
}

/** Builds the archive into `file` (no cache): returns its sha256. ensureVenvArchive is the cached entry. */
export async function buildVenvArchive(b: VenvArchiveBuild, file: string): Promise<string> {
  const paths = venvArchivePaths(b.cacheDir, b.release.label, b.lockText);
  const basePython = b.basePython ?? path.join(IMAGE_PYTHON_HOME, `python${b.release.python}`);
  if (!existsSync(basePython)) {
    throw new PrerequisiteError(
      `the venv archive is made from ${basePython} (the release's Python ${b.release.python}, at the path the release image has it), which is not installed`,
      `install it (Debian/Ubuntu: sudo apt-get install python${b.release.python} python${b.release.python}-venv), then rerun`,
    );
  }
  const venv = paths.buildDir;
  // A minimal, fixed environment: no PIP_* or PYTHON* of the caller can change what gets installed.
  const env = { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', SOURCE_DATE_EPOCH: '0', PIP_NO_CACHE_DIR: '1', PIP_CONFIG_FILE: '/dev/null' };
  const run = async (cmd: string, args: string[]) => {
    const r = await execa(cmd, args, { env, extendEnv: false, cancelSignal: b.signal, reject: false, all: true });
    if (b.signal.aborted) throw new AbortedError();
    if (r.failed) {
      throw new PrerequisiteError(`building the venv archive failed: ${cmd} ${args.join(' ')}\n${String(r.all ?? '').split('\n').slice(-15).join('\n')}`, 'fix the cause shown (a missing wheel, python3.11-venv not installed), then rerun');
    }
  };
  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  try {
    await run(basePython, ['-m', 'venv', '--copies', '--without-pip', venv]);
    const requirements = `${venv}.requirements.txt`;
    await writeFile(requirements, runtimeRequirements(readFileSync(path.join(b.wheelhouse, WHEELHOUSE_REQUIREMENTS), 'utf8')));
    await run(b.pipPython, [
      '-m', 'pip', '--python', path.join(venv, 'bin', 'python'), 'install', '--no-input', '--disable-pip-version-check',
      '--no-index', '--find-links', b.wheelhouse, '--require-hashes', '--no-deps', '--no-compile', '-r', requirements,
    ]);
    await rm(requirements, { force: true });
    // Nothing of this machine's paths: portable shebangs, the fixed pyvenv.cfg, no activate scripts (they name the folder).
    const bin = path.join(venv, 'bin');
    const rewrittenScripts = new Map<string, Buffer>();
    for (const name of await readdir(bin)) {
      const f = path.join(bin, name);
      if (/^activate/i.test(name)) {
        await rm(f, { force: true });
        continue;
      }
      if (name.startsWith('python')) continue;
      const rewritten = rewriteShebang(await readFile(f), venv);
      if (rewritten) {
        await writeFile(f, rewritten);
        rewrittenScripts.set(name, rewritten);
      }
    }
    // The installed packages' RECORDs name the scripts' new bytes (else they keep the build folder's trace).
    const sitePackages = path.join(venv, 'lib', `python${b.release.python}`, 'site-packages');
    for (const name of existsSync(sitePackages) ? await readdir(sitePackages) : []) {
      const record = path.join(sitePackages, name, 'RECORD');
      if (!name.endsWith('.dist-info') || !existsSync(record)) continue;
      const text = await readFile(record, 'utf8');
      const fixed = recordWithRewrittenScripts(text, rewrittenScripts);
      if (fixed !== text) await writeFile(record, fixed);
    }
    await writeFile(path.join(venv, 'pyvenv.cfg'), pyvenvCfg(b.release.python));
    const entries = await treeEntries(venv, archiveSkips(b.release.python));
    await writeTarGz(entries, file, b.signal);
    return await sha256File(file);
  } finally {
    await rm(venv, { recursive: true, force: true });
    await rm(`${venv}.requirements.txt`, { force: true });
  }
}

/** The archive of this lock: cached, else built once (under a file lock, so two commands do not build it twice). */
export async function ensureVenvArchive(b: VenvArchiveBuild): Promise<VenvArchive> {
  const paths = venvArchivePaths(b.cacheDir, b.release.label, b.lockText);
  const cached = async (): Promise<VenvArchive | undefined> => {
    if (!existsSync(paths.sidecar) || !existsSync(paths.archive)) return undefined;
    const sha256 = readFileSync(paths.sidecar, 'utf8').split(/\s/)[0]!;
    return { file: await describeFile(paths.archive, 'environment.tar.gz'), sha256, python: b.release.python };
  };
  return lockedCachedStep({
    out: b.out,
    what: `venv archive of ${b.release.label} (Python ${b.release.python})`,
    detail: path.basename(paths.archive),
    cachedDetail: path.basename(paths.archive),
    lock: paths.lockFile,
    signal: b.signal,
    holder: 'command',
    doing: 'building the same venv archive',
    done: cached,
    make: async () => {
      await mkdir(path.dirname(paths.archive), { recursive: true });
      const partial = `${paths.archive}.partial`;
      const sha256 = await buildVenvArchive(b, partial);
      await rename(partial, paths.archive);
      // Written last: an interrupted build leaves no sidecar and is redone.
      await writeFile(paths.sidecar, `${sha256}  ${path.basename(paths.archive)}\n`);
      return (await cached())!;
    },
  });
}
