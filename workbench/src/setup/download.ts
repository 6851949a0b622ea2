/**
 * Downloads a file and accepts it only if its sha256 is the pinned one. The bytes go to a temporary file next
 * to the destination and are renamed into place after verification, so an interrupted or corrupted download
 * never looks cached.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortedError, PrerequisiteError } from '../errors.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export class ChecksumMismatchError extends PrerequisiteError {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `checksum mismatch for ${what}: expected sha256 ${expected}, got ${actual}; the file was refused`,
      'run the command again; if it persists, a proxy or mirror is serving other bytes than Maven Central (the pins are in versions.json)',
    );
  }
}

export async function downloadVerified(opts: {
  url: string;
  dest: string;
  sha256: string;
  signal: AbortSignal;
  onProgress?: (done: number, total: number | undefined) => void;
}): Promise<void> {
  const { url, dest, signal } = opts;
  mkdirSync(path.dirname(dest), { recursive: true });
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    if (signal.aborted) throw new AbortedError();
    throw new PrerequisiteError(
      `cannot download ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
      'check the network access to Maven Central (or your HTTPS proxy settings) and run the command again',
      { cause: err },
    );
  }
  if (!res.ok || !res.body) {
    throw new PrerequisiteError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`, 'check the URL and the pins in versions.json');
  }
  const total = Number(res.headers.get('content-length')) || undefined;
  const tmp = `${dest}.${process.pid}.part`;
  const hash = createHash('sha256');
  let done = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      done += chunk.length;
      opts.onProgress?.(done, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as never), meter, createWriteStream(tmp, { mode: 0o644 }), { signal });
  } catch (err) {
    rmSync(tmp, { force: true });
    if (signal.aborted) throw new AbortedError();
    throw new PrerequisiteError(`download of ${url} was cut: ${(err as Error).message}`, 'run the command again', { cause: err });
  }
  const actual = hash.digest('hex');
  if (actual !== opts.sha256) {
    rmSync(tmp, { force: true });
    throw new ChecksumMismatchError(path.basename(dest), opts.sha256, actual);
  }
  renameSync(tmp, dest);
}
