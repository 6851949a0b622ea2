/**
 * A deterministic .tar.gz: the same tree gives the same bytes, whoever and whenever builds it. That is what makes
 * the venv archive content-addressable (serverless/venv-archive.ts). Fixed on purpose:
 *   entries   sorted by path (byte order), directories before their contents
 *   metadata  mtime 0, uid/gid 0, no user or group names, modes normalised (0755 dirs and executables, 0644 files)
 *   long paths a PAX 'x' record with a fixed header name (ustar's 100+155 characters are not enough for site-packages)
 *   gzip      Node's zlib header carries mtime 0 and no file name; level fixed
 * The header encoding is pure (tested byte for byte); writeTarGz streams the files so a 2 GB venv never sits in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { constants as zc, createGzip } from 'node:zlib';

export type TarEntry =
  | { kind: 'dir'; path: string }
  | { kind: 'file'; path: string; size: number; executable: boolean; source: string }
  | { kind: 'symlink'; path: string; target: string };

const BLOCK = 512;
const GZIP_LEVEL = 6;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function put(buf: Buffer, at: number, width: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > width) throw new Error(`tar field too long (${bytes.length} > ${width}): ${text}`);
  bytes.copy(buf, at);
}

/** One ustar header block. name/linkname must already fit (see tarHeaders). Pure. */
export function ustarHeader(h: { name: string; mode: number; size: number; type: '0' | '2' | '5' | 'x'; linkname?: string }): Buffer {
  const b = Buffer.alloc(BLOCK, 0);
  put(b, 0, 100, h.name);
  put(b, 100, 8, octal(h.mode, 8));
  put(b, 108, 8, octal(0, 8));
  put(b, 116, 8, octal(0, 8));
  put(b, 124, 12, octal(h.size, 12));
  put(b, 136, 12, octal(0, 12));
  b.fill(0x20, 148, 156);
  put(b, 156, 1, h.type);
  put(b, 157, 100, h.linkname ?? '');
  put(b, 257, 6, 'ustar\0');
  put(b, 263, 2, '00');
  let sum = 0;
  for (const byte of b) sum += byte;
  put(b, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

/** A PAX record "<len> <key>=<value>\n", whose length counts itself. Pure. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);

/** The header blocks of one entry (a PAX record first when a path does not fit ustar's 100 bytes). Pure. */
export function tarHeaders(e: TarEntry): Buffer {
  const name = e.kind === 'dir' ? `${e.path}/` : e.path;
  const linkname = e.kind === 'symlink' ? e.target : '';
  const pax = [Buffer.byteLength(name) > 100 ? paxRecord('path', name) : '', Buffer.byteLength(linkname) > 100 ? paxRecord('linkpath', linkname) : ''].join('');
  const blocks: Buffer[] = [];
  if (pax) {
    const data = Buffer.from(pax, 'utf8');
    blocks.push(ustarHeader({ name: 'PaxHeader', mode: 0o644, size: data.length, type: 'x' }), data, padding(data.length));
  }
  const short = (s: string) => (Buffer.byteLength(s) > 100 ? Buffer.from(s).subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '') : s);
  const mode = e.kind === 'dir' ? 0o755 : e.kind === 'symlink' ? 0o777 : e.executable ? 0o755 : 0o644;
  const type = e.kind === 'dir' ? '5' : e.kind === 'symlink' ? '2' : '0';
  blocks.push(ustarHeader({ name: short(name), mode, size: e.kind === 'file' ? e.size : 0, type, linkname: short(linkname) }));
  return Buffer.concat(blocks);
}

/** Byte-order sort, so the archive does not depend on the locale or on readdir's order. Pure. */
export function sortEntries<T extends { path: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Every entry under `root` (paths relative, '/' separators), skipping names `skip` says so (and their contents). */
export async function treeEntries(root: string, skip: (rel: string, name: string) => boolean = () => false): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r, name)) continue;
      const abs = path.join(root, r);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) out.push({ kind: 'symlink', path: r, target: await readlink(abs) });
      else if (st.isDirectory()) {
        out.push({ kind: 'dir', path: r });
        await walk(r);
      } else if (st.isFile()) out.push({ kind: 'file', path: r, size: st.size, executable: (st.mode & 0o111) !== 0, source: abs });
      else throw new Error(`cannot archive ${abs}: not a file, folder or symlink`);
    }
  };
  await walk('');
  return sortEntries(out);
}

async function* tarStream(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield tarHeaders(e);
    if (e.kind !== 'file') continue;
    let seen = 0;
    for await (const chunk of createReadStream(e.source)) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (seen !== e.size) throw new Error(`${e.source} changed while being archived (${seen} bytes, expected ${e.size})`);
    yield padding(e.size);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}

/** Writes `entries` (already sorted) as a deterministic .tar.gz to `file`. */
export async function writeTarGz(entries: TarEntry[], file: string, signal?: AbortSignal): Promise<void> {
  await pipeline(Readable.from(tarStream(entries)), createGzip({ level: GZIP_LEVEL, strategy: zc.Z_DEFAULT_STRATEGY }), createWriteStream(file), { signal });
}
