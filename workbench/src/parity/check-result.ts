/** The shape every parity check returns, and the helpers that keep their wording consistent. */

export const LAYER_NAMES = { 1: 'provenance', 2: 'keys', 3: 'counts', 4: 'features', 5: 'pca' } as const;
export type Layer = keyof typeof LAYER_NAMES;

/** pass; fail (parity broken); warn (shown, does not fail, e.g. library versions differ); skip (an earlier layer failed). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  /** `<layer>.<what>`, e.g. `features.max-abs`; stable, tests and scripts match on it. */
  name: string;
  layer: Layer;
  status: CheckStatus;
  /** The worst measured value (a number), or a short text for equality checks ('equal', '2 differ'). */
  measured: number | string | null;
  /** The tolerance it was held to, as text ('<= 0.001', '>= 0.9999', 'equal'); null for skipped checks. */
  tolerance: string | null;
  /** One line: where the worst value is (key, pc) or what differs. */
  detail: string;
  /** Longer listings (missing keys, differing settings, versions side by side), shown under the table. */
  items?: string[];
  /**
   * Set when the check looked at a seeded sample of the rows, not all of them (large runs; outputs/sample.ts):
   * how many rows it compared, of how many, and the seed that chose them.
   */
  sample?: CheckSample;
}

export interface CheckSample {
  rows: number;
  of: number;
  seed: number;
}

/** "sample of 5000 of 1000000 images (seed 20)". */
export function sampleText(s: CheckSample, what = 'images'): string {
  return `sample of ${s.rows} of ${s.of} ${what} (seed ${s.seed})`;
}

/** Lists at most `max` items, then says how many were left out. */
export function listed(items: string[], max = 20): string[] {
  return items.length <= max ? items : [...items.slice(0, max), `... and ${items.length - max} more`];
}

/** A short sha for details: the first 12 hex digits. */
export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '(none)';
}

/** Compact number for tables and details: 6 significant digits, no trailing zeros. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}
