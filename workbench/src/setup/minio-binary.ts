/**
 * The MinIO server, built from source with the Go toolchain (`go install module@version`, pinned in
 * versions.json) into <cacheDir>/bin/minio-<version>/. The build goes to a temporary GOBIN renamed into place,
 * so an interrupted build never looks cached. GOMODCACHE/GOCACHE stay Go's defaults (outside the repo).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Output } from '../terminal/index.js';
import { AbortedError, PrerequisiteError } from '../errors.js';
import { formatTail, tailFile } from '../host/log-tail.js';
import { lockedCachedStep } from './step.js';

export function minioBinaryPath(cacheDir: string, version: string): string {
  return path.join(cacheDir, 'bin', `minio-${version}`, 'minio');
}

/** Lines of `go install` output that mean the module proxy refused or does not have the pinned module. */
export function proxyRefusal(logLines: string[]): string | undefined {
  return logLines.find((l) => /(410 Gone|404 Not Found|403 Forbidden|not found: |unknown revision|invalid version|SECURITY ERROR|dial tcp|no such host)/i.test(l));
}

export async function ensureMinioBinary(opts: {
  cacheDir: string;
  module: string;
  version: string;
  go: () => string;
  env: Record<string, string | undefined>;
  out: Output;
  signal: AbortSignal;
}): Promise<string> {
  const binary = minioBinaryPath(opts.cacheDir, opts.version);
  const finalDir = path.dirname(binary);
  const logFile = path.join(opts.cacheDir, 'logs', `minio-${opts.version}.log`);
  const target = `${opts.module}@${opts.version}`;
  return lockedCachedStep({
    out: opts.out,
    what: 'minio server',
    detail: `go install ${target}; a few minutes the first time; log: ${logFile}`,
    lock: `${finalDir}.lock`,
    signal: opts.signal,
    holder: 'set-up',
    doing: 'building MinIO',
    done: () => (existsSync(binary) ? binary : undefined),
    make: async () => {
      const tmpBin = `${finalDir}.tmp-${process.pid}`;
      rmSync(tmpBin, { recursive: true, force: true });
      mkdirSync(path.dirname(logFile), { recursive: true });
      const r = await execa(opts.go(), ['install', target], {
        env: { ...opts.env, GOBIN: tmpBin },
        extendEnv: false,
        stdout: { file: logFile },
        stderr: { file: logFile, append: true },
        cancelSignal: opts.signal,
        reject: false,
      });
      if (opts.signal.aborted) {
        rmSync(tmpBin, { recursive: true, force: true });
        throw new AbortedError();
      }
      if (r.failed || !existsSync(path.join(tmpBin, 'minio'))) {
        rmSync(tmpBin, { recursive: true, force: true });
        const refused = proxyRefusal(tailFile(logFile, 200));
        if (refused) {
          throw new PrerequisiteError(
            `the Go module proxy did not serve ${target}: ${refused.trim()}`,
            'check GOPROXY (go env GOPROXY; the default https://proxy.golang.org,direct works) and your network; the pin is minio.version in versions.json',
          );
        }
        throw new PrerequisiteError(`go install ${target} failed\n${formatTail(logFile)}`, `read ${logFile} and run npm run setup again`);
      }
      rmSync(finalDir, { recursive: true, force: true });
      renameSync(tmpBin, finalDir);
      return binary;
    },
  });
}
