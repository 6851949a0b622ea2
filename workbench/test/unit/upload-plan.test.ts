import { describe, expect, it } from 'vitest';
import { describeUploadPlan, normalizeEtag, planUpload, type LocalFile, type RemoteObject } from '../../src/storage/upload-plan.js';

const file = (relPath: string, size: number, md5: string): LocalFile => ({ relPath, absPath: `/data/in/${relPath}`, size, md5 });
const remote = (key: string, size: number, md5: string): RemoteObject => ({ key, size, etag: `"${md5}"` });
const P = 'inputs/in/';

describe('planUpload', () => {
  it('uploads everything the first time, under <inputsPrefix>/<folder name>/', () => {
    const plan = planUpload({ files: [file('Apple/1_100.jpg', 10, 'aa'), file('Kiwi/2_100.png', 20, 'bb')], remote: [], bucket: 'b', prefix: 'inputs/in' });
    expect(plan.prefix).toBe(P);
    expect(plan.toUpload.map((i) => [i.key, i.reason])).toEqual([
      ['inputs/in/Apple/1_100.jpg', 'new'],
      ['inputs/in/Kiwi/2_100.png', 'new'],
    ]);
    expect(plan.bytesToUpload).toBe(30);
    expect(plan.unchanged).toEqual([]);
  });

  it('skips images with the same size and checksum, re-uploads changed size or content', () => {
    const plan = planUpload({
      files: [file('A/same.jpg', 10, 'aa'), file('A/bigger.jpg', 12, 'bb'), file('A/edited.jpg', 10, 'cc'), file('A/new.jpg', 5, 'dd')],
      remote: [remote(`${P}A/same.jpg`, 10, 'AA'), remote(`${P}A/bigger.jpg`, 10, 'bb'), remote(`${P}A/edited.jpg`, 10, 'c0')],
      bucket: 'b',
      prefix: P,
    });
    expect(plan.unchanged.map((u) => u.key)).toEqual([`${P}A/same.jpg`]);
    expect(Object.fromEntries(plan.toUpload.map((i) => [i.file.relPath, i.reason]))).toEqual({
      'A/bigger.jpg': 'size changed',
      'A/edited.jpg': 'content changed',
      'A/new.jpg': 'new',
    });
    expect(plan.bytesToUpload).toBe(27);
  });

  it('treats a multipart ETag as changed (it is not an MD5)', () => {
    const plan = planUpload({ files: [file('A/x.jpg', 10, 'aa')], remote: [{ key: `${P}A/x.jpg`, size: 10, etag: '"aa-2"' }], bucket: 'b', prefix: P });
    expect(plan.toUpload).toHaveLength(1);
  });

  it('uploads jpg, jpeg and png in any case, and ignores other files', () => {
    const plan = planUpload({
      files: ['A/a.JPG', 'A/b.jpeg', 'A/c.Png', 'A/d.gif', 'A/readme.txt', 'A/e.jpg.bak', 'A/f.JPEG'].map((p) => file(p, 1, 'x')),
      remote: [],
      bucket: 'b',
      prefix: P,
    });
    expect(plan.toUpload.map((i) => i.file.relPath)).toEqual(['A/a.JPG', 'A/b.jpeg', 'A/c.Png', 'A/f.JPEG']);
    expect(plan.ignored).toEqual(['A/d.gif', 'A/e.jpg.bak', 'A/readme.txt']);
  });

  it('removes remote objects under the prefix that are gone locally, and only those', () => {
    const plan = planUpload({
      files: [file('A/keep.jpg', 1, 'aa')],
      remote: [remote(`${P}A/keep.jpg`, 1, 'aa'), remote(`${P}A/deleted.jpg`, 1, 'bb'), remote('inputs/other/A/x.jpg', 1, 'cc')],
      bucket: 'b',
      prefix: P,
    });
    expect(plan.toDelete).toEqual([`${P}A/deleted.jpg`]);
    expect(describeUploadPlan(plan)).toBe('0 to upload (0 B), 1 unchanged, 1 stale to remove');
  });
});

describe('normalizeEtag', () => {
  it('strips quotes and the weak prefix', () => {
    expect(normalizeEtag('"9E107D9D372BB6826BD81D3542A419D6"')).toBe('9e107d9d372bb6826bd81d3542a419d6');
    expect(normalizeEtag('W/"ab"')).toBe('ab');
  });
});
