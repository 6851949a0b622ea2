/**
 * The outputs reader in bounded memory: a table split over many part files and row groups is streamed in
 * batches no larger than the batch size, every row exactly once; the sample rule (outputs/sample.ts) is
 * deterministic, nested and independent of row order; the key digest depends on the set, not the order.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BottomK, keyRank, READ_LIMITS, sampleCeiling, SetDigest, type ReadLimits } from '../../src/outputs/sample.js';
import { openRunSource, type RunSource } from '../../src/outputs/source.js';
import { readBatches } from '../../src/outputs/stream.js';
import { loadRun } from '../../src/outputs/load-run.js';
import { baseRun, writeRun } from '../fixtures/parity/synthetic-run.js';

const root = mkdtempSync(path.join(tmpdir(), 'outputs-stream-'));
const big = baseRun({ labels: ['Apricot', 'Banana', 'Cherry', 'Kiwi'], perLabel: 150 });
const limits: ReadLimits = { ...READ_LIMITS, batchRows: 16, keysWhole: 200, valuesWhole: 100, sampleRows: 40, scatterPoints: 30 };

describe('streaming a table', () => {
  it('yields every row once, in batches of at most batchRows, across 7 part files of several row groups', async () => {
    const dir = writeRun(path.join(root, 'many-parts'), big, { parts: 7, rowGroupSize: 25 });
    expect(readdirSync(path.join(dir, 'features')).filter((f) => f.endsWith('.parquet'))).toHaveLength(7);
    const sizes: number[] = [];
    const parts = new Set<string>();
    const keys: string[] = [];
    for await (const batch of readBatches(openRunSource(dir), 'features', ['key'], 16)) {
      sizes.push(batch.rows.length);
      parts.add(batch.part);
      for (const row of batch.rows) keys.push(row.key as string);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
    expect(parts.size).toBe(7);
    expect(keys).toHaveLength(600);
    expect(new Set(keys)).toEqual(new Set(big.features.map((f) => f.key)));
  });

  it('reads only the pages a batch needs when the part file has an offset index', async () => {
    // 600 rows of 16 floats in one row group, 2 KB pages: an offset index per chunk, as Spark writes (1 MB pages).
    const dir = writeRun(path.join(root, 'paged'), big, { parts: 1, rowGroupSize: 1000, pageSize: 2048 });
    const local = openRunSource(dir);
    const reads: number[] = [];
    const recording: RunSource = {
      location: local.location,
      readText: (name) => local.readText(name),
      parquetParts: async (table) =>
        (await local.parquetParts(table))?.map((part) => ({
          name: part.name,
          open: async () => {
            const file = await part.open();
            return { byteLength: file.byteLength, slice: (start: number, end?: number) => (reads.push((end ?? file.byteLength) - start), file.slice(start, end)) };
          },
        })),
    };
    let rows = 0;
    for await (const batch of readBatches(recording, 'features', ['key', 'label', 'features'], 16)) rows += batch.rows.length;
    expect(rows).toBe(600);
    const fileBytes = statSync(path.join(dir, 'features', readdirSync(path.join(dir, 'features')).find((f) => f.endsWith('.parquet'))!)).size;
    // After the footer (the first read, which may take the whole small file), no read comes near the file size.
    expect(reads.length).toBeGreaterThan(600 / 16);
    expect(Math.max(...reads.slice(1))).toBeLessThan(fileBytes / 4);
  });

  it('slices a row group it must read whole (no offset index) into the same bounded batches', async () => {
    const dir = writeRun(path.join(root, 'no-offset-index'), big, { parts: 3, rowGroupSize: 70, offsetIndex: false });
    const sizes: number[] = [];
    const keys: string[] = [];
    for await (const batch of readBatches(openRunSource(dir), 'features', ['key', 'features'], 16)) {
      sizes.push(batch.rows.length);
      for (const row of batch.rows) keys.push(row.key as string);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
    expect(keys.sort()).toEqual(big.features.map((f) => f.key).sort());
    const run = await loadRun(openRunSource(dir), limits);
    const withIndex = await loadRun(openRunSource(writeRun(path.join(root, 'with-offset-index'), big, { parts: 2 })), limits);
    expect([...run.features.keys()]).toEqual([...withIndex.features.keys()]);
    expect(run.tables.features.keyDigest.toString()).toBe(withIndex.tables.features.keyDigest.toString());
  });

  it('keeps only the sample of a large table, with its digest and label counts over all rows', async () => {
    const run = await loadRun(openRunSource(writeRun(path.join(root, 'sampled'), big, { parts: 5, rowGroupSize: 40 })), limits);
    expect(run.rows).toEqual({ features: 600, errors: 1, pca: 600 });
    expect(run.features.size).toBe(40);
    expect(run.pca.size).toBe(40);
    expect(run.tables.features.keys.size).toBe(40);
    expect(run.tables.features.keysBound).toBeDefined();
    expect(run.tables.features.keyDigest.count).toBe(600);
    expect([...run.tables.features.labels.values()]).toEqual([150, 150, 150, 150]);
    // The kept keys are exactly the 40 lowest ranks of all 600 keys.
    const expected = big.features.map((f) => keyRank(f.key, limits.seed)).sort((a, b) => a.p - b.p).slice(0, 40).map((r) => r.key);
    expect(new Set(run.features.keys())).toEqual(new Set(expected));
    // A small table (errors/) stays whole.
    expect(run.tables.errors.keysBound).toBeUndefined();
  });
});

describe('the sample rule', () => {
  const keys = Array.from({ length: 500 }, (_, i) => `Class${i % 7}/${i}_100.jpg`);

  it('ranks a key the same way every time and differently under another seed', () => {
    expect(keyRank('Banana/1_100.jpg', 20)).toEqual(keyRank('Banana/1_100.jpg', 20));
    expect(keyRank('Banana/1_100.jpg', 20).p).not.toBe(keyRank('Banana/1_100.jpg', 21).p);
    expect(keyRank('Banana/1_100.jpg', 20).p).toBeLessThan(2 ** 52);
  });

  it('keeps the same keys whatever the row order, and a smaller sample inside a larger one', () => {
    const sample = (order: string[], k: number) => {
      const s = new BottomK<null>(k);
      for (const key of order) s.offer(keyRank(key, 20), () => null);
      return s;
    };
    const forward = sample(keys, 50);
    const backward = sample([...keys].reverse(), 50);
    expect(forward.entries().map((e) => e.rank.key)).toEqual(backward.entries().map((e) => e.rank.key));
    expect(forward.complete).toBe(false);
    const small = sample(keys, 10).entries().map((e) => e.rank.key);
    expect(forward.entries().slice(0, 10).map((e) => e.rank.key)).toEqual(small);
    expect(sample(keys, 1000).complete).toBe(true);
  });

  it('keeps the same sample under the ceiling that spares reading most values, and states where a short one ends', () => {
    const offered = (s: BottomK<null>, list: string[]) => {
      for (const key of list) if (s.admits(keyRank(key, 20))) s.offer(keyRank(key, 20), () => null);
      return s;
    };
    const plain = offered(new BottomK<null>(50), keys);
    const capped = offered(new BottomK<null>(50, sampleCeiling(50, keys.length)), keys);
    expect(capped.entries().map((e) => e.rank.key)).toEqual(plain.entries().map((e) => e.rank.key));
    expect(capped.bound).toEqual(plain.bound);
    // The manifest promised 5,000 keys but the table holds 500: fewer than 50 fall below the ceiling.
    const short = offered(new BottomK<null>(50, sampleCeiling(50, 5000)), keys);
    expect(short.size).toBeLessThan(50);
    expect(short.bound).toEqual({ p: sampleCeiling(50, 5000), key: '' });
    const below = keys.filter((k) => keyRank(k, 20).p < sampleCeiling(50, 5000));
    expect(short.entries().map((e) => e.rank.key).sort()).toEqual(below.sort());
  });

  it('is no longer whole once one key is turned away, even one refused before its value is built', () => {
    const ranked = keys.slice(0, 4).map((k) => keyRank(k, 20)).sort((a, b) => a.p - b.p);
    const s = new BottomK<null>(3);
    for (const rank of ranked) if (s.admits(rank)) s.offer(rank, () => null);
    expect(s.size).toBe(3);
    expect(s.complete).toBe(false);
    expect(s.bound).toEqual(ranked[2]);
  });

  it('counts a repeated key once in the sample and reports the repeat', () => {
    const s = new BottomK<number>(1000);
    for (const [i, key] of ['a', 'b', 'a'].entries()) s.offer(keyRank(key, 20), () => i);
    expect(s.size).toBe(2);
    expect(s.repeats).toBe(1);
    expect(s.entries().find((e) => e.rank.key === 'a')!.value).toBe(0);
  });

  it('digests a set independently of order and split, and sees one key missing or repeated', () => {
    const whole = new SetDigest();
    for (const k of keys) whole.add(k);
    const [first, second] = [new SetDigest(), new SetDigest()];
    for (const k of [...keys].reverse()) (k.length % 2 ? first : second).add(k);
    expect(first.plus(second).toString()).toBe(whole.toString());
    const missing = new SetDigest();
    for (const k of keys.slice(1)) missing.add(k);
    expect(missing.equals(whole)).toBe(false);
    const repeated = new SetDigest();
    for (const k of [...keys.slice(1), keys[2]!]) repeated.add(k);
    expect(repeated.count).toBe(whole.count);
    expect(repeated.equals(whole)).toBe(false);
  });
});
