import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { archivableKey, planArchiveBatches } from '../../src/storage/archive-batches.js';
import { packArchive } from '../../src/storage/archive-upload.js';
import type { UploadItem } from '../../src/storage/upload-plan.js';

const item = (key: string, size: number, absPath = `/data/${key}`): UploadItem => ({ key, reason: 'new', file: { relPath: key, absPath, size, md5: '' } });
const keys = (items: UploadItem[]) => items.map((i) => i.key);
const LIMITS = { maxEntryBytes: 100, maxArchiveBytes: 250, maxArchiveEntries: 3 };

describe('planArchiveBatches', () => {
  it('packs small files in plan order, starting a new archive at the entry limit', () => {
    const b = planArchiveBatches(['a', 'b', 'c', 'd', 'e'].map((k) => item(`in/${k}.jpg`, 10)), LIMITS);
    expect(b.archives.map(keys)).toEqual([['in/a.jpg', 'in/b.jpg', 'in/c.jpg'], ['in/d.jpg', 'in/e.jpg']]);
    expect(b.single).toEqual([]);
  });

  it('starts a new archive before the byte limit would be passed, and sends large files alone', () => {
    const b = planArchiveBatches([item('in/a.jpg', 100), item('in/big.png', 101), item('in/b.jpg', 100), item('in/c.jpg', 60)], LIMITS);
    expect(b.archives.map(keys)).toEqual([['in/a.jpg', 'in/b.jpg'], ['in/c.jpg']]);
    expect(keys(b.single)).toEqual(['in/big.png']);
  });

  it('every item lands exactly once, and nothing is packed for an empty plan', () => {
    const items = Array.from({ length: 50 }, (_, i) => item(`in/${i}.jpg`, (i * 37) % 130));
    const b = planArchiveBatches(items, LIMITS);
    expect([...b.archives.flat(), ...b.single].map((i) => i.key).sort()).toEqual(keys(items).sort());
    for (const a of b.archives) {
      expect(a.length).toBeLessThanOrEqual(LIMITS.maxArchiveEntries);
      expect(a.reduce((n, i) => n + i.file.size, 0)).toBeLessThanOrEqual(LIMITS.maxArchiveBytes);
    }
    expect(planArchiveBatches([], LIMITS)).toEqual({ archives: [], single: [] });
  });

  it('sends alone a key that unpacking would store elsewhere', () => {
    for (const k of ['in//a.jpg', 'in/./a.jpg', 'in/x/../a.jpg', '/in/a.jpg', 'in/dir/']) expect(archivableKey(k), k).toBe(false);
    expect(archivableKey('inputs/fruits-360/Apple Red/r_1_100.jpg')).toBe(true);
    const b = planArchiveBatches([item('in//a.jpg', 10), item('in/b.jpg', 10)], LIMITS);
    expect(keys(b.single)).toEqual(['in//a.jpg']);
    expect(b.archives.map(keys)).toEqual([['in/b.jpg']]);
  });
});

describe('packArchive', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-archive-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds each file at its key, byte for byte, long and non-ASCII keys included', async () => {
    const long = `inputs/${'very-long-folder-name/'.repeat(8)}Pomme Golden é/1_100.jpg`;
    const files = [
      ['inputs/fruits/Apple/1_100.jpg', Buffer.from([0xff, 0xd8, 1, 2, 3])],
      [long, Buffer.alloc(1500, 7)],
      ['inputs/fruits/empty.png', Buffer.alloc(0)],
    ] as const;
    const items = files.map(([key, data], i) => {
      const p = path.join(dir, `f${i}`);
      writeFileSync(p, data);
      return item(key, data.length, p);
    });
    const now = new Date('2026-12-05T10:00:00Z');
    const tar = await packArchive(items, now);

    const seen: { name: string; data: Buffer; mtime?: Date; type?: string | null }[] = [];
    const ex = extract();
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          seen.push({ name: header.name, data: Buffer.concat(chunks), mtime: header.mtime, type: header.type });
          next();
        });
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    ex.end(tar);
    await done;
    expect(seen.map((s) => s.name)).toEqual(files.map(([k]) => k));
    for (const [i, [, data]] of files.entries()) expect(seen[i]!.data.equals(data), seen[i]!.name).toBe(true);
    expect(seen.every((s) => s.type === 'file' && s.mtime?.getTime() === now.getTime())).toBe(true);
  });
});
