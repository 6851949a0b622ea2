/**
 * How the outputs reader stays within bounded memory at any n: what is kept whole, what is sampled, and the one
 * sampling rule shared by parity and the report.
 *
 * The rule: every key gets a rank, the first 52 bits of sha1("<seed>:<key>") (UTF-8), ties broken by the key.
 * A table small enough is held whole; a larger one keeps the `sampleRows` keys of lowest rank (a bottom-k
 * sample). The rank depends only on the key and the seed, so two runs of the same input keep the SAME keys
 * without coordination, and any sample is nested in a larger one: every key ranked at or below the highest
 * kept rank is kept, which is what lets parity compare two samples key for key ("the comparable region").
 * Python can reproduce it: int(hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()[:13], 16).
 *
 * Whole-set questions (are the key sets equal? the labels?) are answered over all rows by an order-independent
 * digest: the row count and four 32-bit lane sums of sha1(key) (a 128-bit sum; a sum, not a xor, so a repeated
 * key does not cancel out). Equal sets give equal digests in any order and any split into part files.
 */
import { createHash } from 'node:crypto';

export interface ReadLimits {
  /** Seed of the key rank: part of every sampled statement ("sample of N of M images (seed S)"). */
  seed: number;
  /** Rows per batch the Parquet tables are streamed in (and read in, where the file has an offset index). */
  batchRows: number;
  /** A table with at most this many rows keeps all its keys (exact key listings, as for small runs). */
  keysWhole: number;
  /** A table with at most this many rows keeps all its values (features, PCA scores): every image is compared. */
  valuesWhole: number;
  /** Otherwise: the number of lowest-ranked keys (and their values) kept and compared. */
  sampleRows: number;
  /** The report's scatter shows at most this many points: the lowest-ranked ones beyond it. */
  scatterPoints: number;
}

/**
 * The defaults, in one place. 200,000 keys are ~30 MB of strings; 20,000 rows of 1280 float32 features are
 * 100 MB per run; 5,000 sampled rows bound the per-image checks at any n (a worst-case difference affecting a
 * fraction f of the images is missed with probability (1-f)^5000: below 1% for f = 0.1%). A browser draws 5,000
 * SVG points without trouble; a million is no use to anyone.
 */
export const READ_LIMITS: ReadLimits = Object.freeze({
  seed: 20,
  batchRows: 4096,
  keysWhole: 200_000,
  valuesWhole: 20_000,
  sampleRows: 5_000,
  scatterPoints: 5_000,
});

/**
 * A p below which a bottom-`k` sample of `n` keys almost surely lies: 1.5 k/n of the rank space (the number of
 * keys below it is Binomial(n, 1.5 k/n), mean 1.5 k: fewer than k is a > 10 sigma event for k = 5,000). Rows
 * above it are never candidates, so a large table reads the values of ~1.5 k rows, not of every early row.
 * Should the manifest's count be wrong, the sample is still exact, only smaller (BottomK.bound says where it ends).
 */
export function sampleCeiling(k: number, n: number): number {
  return n > 0 && 1.5 * k < n ? Math.floor((2 ** 52 * 1.5 * k) / n) : Infinity;
}

/** A key's place in the sample order: lower ranks are kept first. */
export interface Rank {
  /** First 52 bits of sha1("<seed>:<key>"), as an integer below 2^52. */
  p: number;
  key: string;
}

export function keyRank(key: string, seed: number): Rank {
  const h = createHash('sha1').update(`${seed}:${key}`).digest();
  // 52 bits: 4 bytes + 20 bits of the next 3 bytes (exact in a double).
  const p = h.readUInt32BE(0) * 2 ** 20 + (h.readUIntBE(4, 3) >>> 4);
  return { p, key };
}

/** -1, 0 or 1: rank order (p, then the key). */
export function compareRank(a: Rank, b: Rank): number {
  if (a.p !== b.p) return a.p < b.p ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The lower of two bounds; undefined means "no bound" (the table is whole). */
export function minBound(...bounds: (Rank | undefined)[]): Rank | undefined {
  let out: Rank | undefined;
  for (const b of bounds) if (b && (!out || compareRank(b, out) < 0)) out = b;
  return out;
}

export function withinBound(rank: Rank, bound: Rank | undefined): boolean {
  return bound === undefined || compareRank(rank, bound) <= 0;
}

/** An order-independent digest of a multiset of strings: count and four 32-bit lane sums of their sha1. */
export class SetDigest {
  count = 0;
  private readonly lanes = new Uint32Array(4);

  add(value: string): void {
    const h = createHash('sha1').update(value).digest();
    this.count++;
    for (let i = 0; i < 4; i++) this.lanes[i] = (this.lanes[i]! + h.readUInt32BE(4 * i)) >>> 0;
  }

  /** The digest of both multisets together (e.g. features + errors = every input the job saw). */
  plus(other: SetDigest): SetDigest {
    const out = new SetDigest();
    out.count = this.count + other.count;
    for (let i = 0; i < 4; i++) out.lanes[i] = (this.lanes[i]! + other.lanes[i]!) >>> 0;
    return out;
  }

  equals(other: SetDigest): boolean {
    return this.toString() === other.toString();
  }

  /** `<count>:<32 hex digits>`. */
  toString(): string {
    return `${this.count}:${[...this.lanes].map((x) => x.toString(16).padStart(8, '0')).join('')}`;
  }
}

/**
 * The `capacity` lowest-ranked distinct keys seen, with a value each (first row wins, as when indexing by key).
 * A max-heap on rank: memory is O(capacity) whatever the number of rows offered.
 */
export class BottomK<T> {
  private readonly heap: { rank: Rank; value: T }[] = [];
  private readonly held = new Map<string, { rank: Rank; value: T }>();
  /** True once a key was turned away or evicted: the set is then a sample, not the whole table. */
  private overflowed = false;
  /** Rows offered again for a key already held (a repeated key, seen within the kept set). */
  repeats = 0;

  /**
   * `ceiling`: ranks with p at or above it are turned away at once (a large table whose size is known keeps
   * far fewer candidates: see sampleCeiling). The sample stays exact: every key below the returned bound is kept.
   */
  constructor(
    readonly capacity: number,
    private readonly ceiling = Infinity,
  ) {}

  /**
   * Whether a row of this rank would be kept now (checked before reading or building an expensive value). A row
   * refused here counts as turned away (the set is then a sample), exactly as if it had been offered.
   */
  admits(rank: Rank): boolean {
    if (this.held.has(rank.key)) return true;
    const wanted = rank.p < this.ceiling && (this.heap.length < this.capacity || compareRank(rank, this.heap[0]!.rank) < 0);
    if (!wanted) this.overflowed = true;
    return wanted;
  }

  offer(rank: Rank, value: () => T): void {
    if (this.held.has(rank.key)) {
      this.repeats++;
      return;
    }
    if (this.capacity <= 0 || rank.p >= this.ceiling) {
      this.overflowed = true;
      return;
    }
    if (this.heap.length >= this.capacity) {
      this.overflowed = true;
      if (compareRank(rank, this.heap[0]!.rank) >= 0) return;
      const evicted = this.heap[0]!;
      this.held.delete(evicted.rank.key);
      const entry = { rank, value: value() };
      this.heap[0] = entry;
      this.held.set(rank.key, entry);
      this.siftDown(0);
      return;
    }
    const entry = { rank, value: value() };
    this.heap.push(entry);
    this.held.set(rank.key, entry);
    this.siftUp(this.heap.length - 1);
  }

  /** Undefined when every key offered is held; else the highest kept rank (every key ranked at or below it is held). */
  get bound(): Rank | undefined {
    if (!this.overflowed) return undefined;
    // Fewer keys than the capacity fell below the ceiling: all of those are held, none above it.
    if (this.heap.length < this.capacity) return { p: this.ceiling, key: '' };
    return this.heap[0]?.rank;
  }

  get complete(): boolean {
    return !this.overflowed;
  }

  get size(): number {
    return this.heap.length;
  }

  /** The kept entries in rank order. */
  entries(): { rank: Rank; value: T }[] {
    return [...this.heap].sort((a, b) => compareRank(a.rank, b.rank));
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareRank(h[i]!.rank, h[parent]!.rank) <= 0) return;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let top = i;
      if (l < h.length && compareRank(h[l]!.rank, h[top]!.rank) > 0) top = l;
      if (r < h.length && compareRank(h[r]!.rank, h[top]!.rank) > 0) top = r;
      if (top === i) return;
      [h[i], h[top]] = [h[top]!, h[i]!];
      i = top;
    }
  }
}
