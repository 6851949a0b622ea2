/**
 * `ensureSetup`: everything a run needs that is not in the repo, installed once and cached outside it
 * (<cacheDir>, default ~/.cache/fruits-workbench): the chosen release's python venv and s3a jars, and the MinIO server.
 * Idempotent; each step prints one line ("X: cached" or "installing X..."). The three installs are
 * independent and run side by side; the first failure cancels the others.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Output } from '../terminal/index.js';
import { AbortedError } from '../errors.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { ensureJars } from './jars.js';
import { ensureMinioBinary, minioBinaryPath } from './minio-binary.js';
import { checkPrerequisites } from './prerequisites.js';
import type { ToolPaths } from './tools.js';
import { ensureVenv } from './venv.js';
import { checkJarPins, readVersions } from './versions.js';

export type { ToolPaths } from './tools.js';

export async function ensureSetup(
  cfg: WorkbenchConfig,
  out: Output,
  signal: AbortSignal,
  /** The command's environment (PATH, JAVA_HOME, GOPATH...), passed in: set-up reads no process.env. */
  env: Record<string, string | undefined>,
): Promise<ToolPaths> {
  const versions = readVersions(cfg.root);
  const release = cfg.release;
  checkJarPins(release);
  const needGo = !existsSync(minioBinaryPath(cfg.cacheDir, versions.minio.version));
  const pre = await checkPrerequisites({ env, needGo, java: release.java, python: release.python });

  const inner = new AbortController();
  const onAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const failFast = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => {
      inner.abort(err);
      throw err;
    });
  try {
    // allSettled, not all: on a failure, wait until the cancelled installs have stopped their children.
    const settled = await Promise.allSettled([
      failFast(ensureVenv({ root: cfg.root, cacheDir: cfg.cacheDir, release, python311: pre.python311, env, out, signal: inner.signal })),
      // Jar file names carry their versions, so the releases' jars share one folder without clashing.
      failFast(ensureJars(release.s3a.jars, path.join(cfg.cacheDir, 'jars'), out, inner.signal, { what: `s3a jars for ${release.label} (hadoop-aws ${release.hadoop})` })),
      failFast(
        ensureMinioBinary({
          cacheDir: cfg.cacheDir,
          module: versions.minio.module,
          version: versions.minio.version,
          go: () => pre.go!,
          env,
          out,
          signal: inner.signal,
        }),
      ),
    ] as const);
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason);
    if (failures.length > 0) throw failures.find((e) => !(e instanceof AbortedError)) ?? failures[0];
    const [venv, s3aJars, minio] = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof ensureVenv>>,
      string[],
      string,
    ];
    return {
      release,
      python: venv.python,
      sparkHome: venv.sparkHome,
      sparkSubmit: path.join(venv.sparkHome, 'bin', 'spark-submit'),
      sparkClass: path.join(venv.sparkHome, 'bin', 'spark-class'),
      s3aJars,
      s3aCredentialsProvider: release.s3a.credentialsProvider,
      minio,
      javaHome: pre.javaHome,
      python311: pre.python311,
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
