/**
 * The local files a promote run uploads, described once (size + MD5) so the plan can list them and the
 * executor can skip objects that are already in S3 unchanged: for a single-part PutObject, S3's ETag is the
 * MD5 of the bytes (also with SSE-S3), so one ListObjectsV2 tells which files need uploading. Reads files only.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';

export interface LocalFile {
  /** Absolute path. */
  path: string;
  bytes: number;
  /** Hex MD5 of the content. */
  md5: string;
}

export interface LocalInputFile extends LocalFile {
  /** Path relative to the input folder, `/`-separated: the S3 key suffix and the job's `key` column. */
  rel: string;
}

/** What the job reads (docs/job-contract.md: jpg/jpeg/png, any case). Other files are not uploaded. */
export const IMAGE_FILE = /\.(jpe?g|png)$/i;

export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function describeFile(file: string): Promise<LocalFile> {
  const abs = path.resolve(file);
  const st = await stat(abs);
  return { path: abs, bytes: st.size, md5: await md5File(abs) };
}

/** The images under `dir` (recursive, hidden entries skipped), sorted by relative path. */
export async function scanInputFolder(dir: string): Promise<{ files: LocalInputFile[]; skipped: number }> {
  const abs = path.resolve(dir);
  let entries;
  try {
    entries = await readdir(abs, { recursive: true, withFileTypes: true });
  } catch (err) {
    throw new ConfigError(
      [{ key: 'job.input', message: `cannot read the input folder ${abs}: ${(err as Error).message}`, fix: 'pass --input with an existing folder of images' }],
      'promote',
    );
  }
  const files: LocalInputFile[] = [];
  let skipped = 0;
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    const rel = path.relative(abs, full).split(path.sep).join('/');
    if (rel.split('/').some((part) => part.startsWith('.')) || !IMAGE_FILE.test(e.name)) {
      skipped++;
      continue;
    }
    files.push({ ...(await describeFile(full)), rel });
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  if (files.length === 0) {
    throw new ConfigError(
      [{ key: 'job.input', message: `no .jpg/.jpeg/.png images under ${abs}`, fix: 'point --input at a folder of <Class>/<image> files' }],
      'promote',
    );
  }
  return { files, skipped };
}
