/**
 * Reading the end of a log file, for error messages that show what went wrong without the whole log (ground
 * floor: set-up's installs, the stack's services and the Docker image builds all quote their logs this way).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export function tailFile(file: string, lines = 20, maxBytes = 64 * 1024): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}

export function formatTail(file: string, lines = 20): string {
  const tail = tailFile(file, lines);
  if (tail.length === 0) return `(log ${file} is empty)`;
  return `last ${tail.length} lines of ${file}:\n${tail.map((l) => `  | ${l}`).join('\n')}`;
}
