/**
 * Key sets of two runs (or two tables of one run) compared in bounded memory. Equality is decided over ALL
 * rows by the order-independent digests the reader kept; which keys differ is listed from the kept keys, within
 * the comparable region (every key ranked at or below both sides' bounds, where both hold all their keys). When
 * both tables are whole (small runs) the region is everything and the listing is exact, as it always was.
 */
import type { KeptKey, TableSummary } from '../outputs/run-data.js';
import { minBound, withinBound, type Rank, type SetDigest } from '../outputs/sample.js';

export interface KeyView {
  digest: SetDigest;
  keys: Map<string, KeptKey>;
  /** Undefined: every key is in `keys`. */
  bound: Rank | undefined;
}

export const viewOf = (t: TableSummary): KeyView => ({ digest: t.keyDigest, keys: t.keys, bound: t.keysBound });

/** Two disjoint tables as one key set (features + errors = every input the job saw). */
export function unionOf(x: TableSummary, y: TableSummary): KeyView {
  return { digest: x.keyDigest.plus(y.keyDigest), keys: new Map([...y.keys, ...x.keys]), bound: minBound(x.keysBound, y.keysBound) };
}

export interface KeyDiff {
  /** Both sides whole: the listing below is every difference. */
  whole: boolean;
  /** Equal key sets: by exact comparison when whole, else by the digests of all rows. */
  equal: boolean;
  /** Sorted keys found only on one side (within the comparable region). */
  onlyA: string[];
  onlyB: string[];
  /** Keys of A looked at (the comparable region). */
  compared: number;
}

export function diffKeys(a: KeyView, b: KeyView): KeyDiff {
  const bound = minBound(a.bound, b.bound);
  const region = (v: KeyView) => [...v.keys.values()].filter((k) => withinBound(k.rank, bound)).map((k) => k.rank.key);
  const [ra, rb] = [region(a), region(b)];
  const onlyA = ra.filter((k) => !b.keys.has(k)).sort();
  const onlyB = rb.filter((k) => !a.keys.has(k)).sort();
  const whole = bound === undefined;
  const equal = whole ? onlyA.length === 0 && onlyB.length === 0 : a.digest.equals(b.digest) && onlyA.length === 0 && onlyB.length === 0;
  return { whole, equal, onlyA, onlyB, compared: ra.length };
}

