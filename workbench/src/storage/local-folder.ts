/**
 * Scans a local input folder: every file with its size, and the MD5 of the images (what the upload plan
 * compares with the remote ETag). Hidden files and folders (.DS_Store, .git) are skipped.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isImageFile, type LocalFile } from './upload-plan.js';

export async function md5File(absPath: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(absPath), hash);
  return hash.digest('hex');
}

export async function scanLocalFolder(dir: string, signal?: AbortSignal): Promise<LocalFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: LocalFile[] = [];
  for (const e of entries) {
    signal?.throwIfAborted();
    if (!e.isFile()) continue;
    const absPath = path.join(e.parentPath, e.name);
    const relPath = path.relative(dir, absPath).split(path.sep).join('/');
    if (relPath.split('/').some((part) => part.startsWith('.'))) continue;
    const { size } = await stat(absPath);
    files.push({ relPath, absPath, size, md5: isImageFile(relPath) ? await md5File(absPath) : '' });
  }
  return files;
}
