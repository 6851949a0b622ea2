import { describe, expect, it } from 'vitest';
import { PACK_LIMITS, PACK_PLAN_VERSION, packSpec, planPack, shardName, sparkWouldList } from '../../src/storage/pack-plan.js';
import type { LocalFile } from '../../src/storage/upload-plan.js';

const file = (relPath: string, size = 100, md5 = 'a'.repeat(32)): LocalFile => ({ relPath, absPath: `/in/${relPath}`, size, md5 });
const names = (plan: ReturnType<typeof planPack>) => plan.shards.map((s) => s.files.map((f) => f.relPath));

describe('planPack', () => {
  it('packs the images in key order, whatever the scan order, and leaves other files out', () => {
    const plan = planPack([file('Kiwi/b.jpg'), file('notes.txt'), file('Apple/a.PNG'), file('Kiwi/a.jpeg'), file('README.md')], { folderName: 'in' });
    expect(names(plan)).toEqual([['Apple/a.PNG', 'Kiwi/a.jpeg', 'Kiwi/b.jpg']]);
    expect(plan.shards[0]!.name).toBe('part-00000.parquet');
    expect(plan).toMatchObject({ images: 3, bytes: 300 });
    expect(packSpec(plan)).toEqual({
      shards: [{ name: 'part-00000.parquet', files: ['Apple/a.PNG', 'Kiwi/a.jpeg', 'Kiwi/b.jpg'].map((k) => ({ key: k, path: `/in/${k}` })) }],
    });
  });

  it("leaves out what Spark's listing skips, so both layouts count the same images", () => {
    expect(sparkWouldList('Apple/a.jpg')).toBe(true);
    expect(sparkWouldList('Apple/_a.jpg')).toBe(false);
    expect(sparkWouldList('_tmp/a.jpg')).toBe(false);
    expect(sparkWouldList('Apple/.a.jpg')).toBe(false);
    expect(sparkWouldList('k=v_/a.jpg')).toBe(true);
    expect(sparkWouldList('_k=v/a.jpg')).toBe(true);
    expect(planPack([file('Apple/_a.jpg'), file('Apple/b.jpg')], { folderName: 'in' }).images).toBe(1);
  });

  it('closes a shard at the image limit', () => {
    const files = Array.from({ length: 2 * PACK_LIMITS.imagesPerShard + 1 }, (_, i) => file(`C/${String(i).padStart(5, '0')}.jpg`, 10));
    const plan = planPack(files, { folderName: 'in' });
    expect(plan.shards.map((s) => s.files.length)).toEqual([PACK_LIMITS.imagesPerShard, PACK_LIMITS.imagesPerShard, 1]);
    expect(plan.shards.map((s) => s.name)).toEqual(['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']);
    expect(plan.shards[1]!.files[0]!.relPath).toBe(`C/${String(PACK_LIMITS.imagesPerShard).padStart(5, '0')}.jpg`);
  });

  it('closes a shard before the byte limit would be passed; a larger file gets a shard of its own', () => {
    const limits = { imagesPerShard: 100, bytesPerShard: 1000 };
    const plan = planPack([file('a/1.jpg', 400), file('a/2.jpg', 600), file('a/3.jpg', 1), file('a/4.jpg', 5000), file('a/5.jpg', 10)], { folderName: 'in', limits });
    expect(names(plan)).toEqual([['a/1.jpg', 'a/2.jpg'], ['a/3.jpg'], ['a/4.jpg'], ['a/5.jpg']]);
    expect(plan.shards.map((s) => s.bytes)).toEqual([1000, 1, 5000, 10]);
    // The real limit is 64 MiB.
    expect(PACK_LIMITS.bytesPerShard).toBe(64 * 1024 * 1024);
  });

  it('has no shard for a folder without images', () => {
    expect(planPack([file('notes.txt')], { folderName: 'in' })).toMatchObject({ shards: [], images: 0, bytes: 0 });
  });

  it('names shards with five digits', () => {
    expect(shardName(0)).toBe('part-00000.parquet');
    expect(shardName(123)).toBe('part-00123.parquet');
  });
});

describe('the pack digest', () => {
  const files = [file('Apple/a.jpg', 10, '1'.repeat(32)), file('Kiwi/b.jpg', 20, '2'.repeat(32))];
  const digest = (fs: LocalFile[], opts: Partial<Parameters<typeof planPack>[1]> = {}) => planPack(fs, { folderName: 'in', ...opts }).digest;

  it('is stable: same files in any order, same digest, and independent of where the folder lies', () => {
    expect(digest(files)).toMatch(/^[0-9a-f]{64}$/);
    expect(digest([...files].reverse())).toBe(digest(files));
    expect(digest(files.map((f) => ({ ...f, absPath: `/elsewhere/${f.relPath}` })))).toBe(digest(files));
    expect(digest(files, { version: PACK_PLAN_VERSION })).toBe(digest(files));
  });

  it("changes when a file's content, size or key changes, or a file comes or goes", () => {
    const base = digest(files);
    expect(digest([files[0]!, { ...files[1]!, md5: '3'.repeat(32) }])).not.toBe(base);
    expect(digest([files[0]!, { ...files[1]!, size: 21 }])).not.toBe(base);
    expect(digest([files[0]!, { ...files[1]!, relPath: 'Kiwi/c.jpg' }])).not.toBe(base);
    expect(digest([files[0]!])).not.toBe(base);
    expect(digest([...files, file('Lime/c.jpg')])).not.toBe(base);
  });

  it('changes with the version (the packer) and the folder name (the label of a root-level image)', () => {
    const base = digest(files);
    expect(digest(files, { version: `${PACK_PLAN_VERSION}+pack.py:abc` })).not.toBe(base);
    expect(digest(files, { folderName: 'other' })).not.toBe(base);
  });

  it('changes when the same files are split differently', () => {
    expect(digest(files, { limits: { imagesPerShard: 1, bytesPerShard: 1e9 } })).not.toBe(digest(files));
  });
});
