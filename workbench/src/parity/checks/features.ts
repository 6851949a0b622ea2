/**
 * Layer 4, features: per image, the largest absolute difference and the cosine similarity of the two 1280-d
 * vectors. TensorFlow on different CPUs (or batch compositions) differs in the last bits, so both are held to
 * named tolerances; a different resize or different weights moves them by orders of magnitude more. A large run
 * is compared on the seeded sample of keys both readers kept (outputs/sample.ts), and the checks say so.
 */
import type { ParityTolerances } from '../../config/schema.js';
import { fmt, sampleText, type CheckResult, type CheckSample } from '../check-result.js';
import { cosine, maxAbsDiff } from '../linalg.js';
import type { RunData } from '../../outputs/run-data.js';

const layer = 4 as const;

/**
 * An absolute tolerance above this fraction of the data's own scale cannot see a real difference (random weights
 * give features around 1e-8): the check then warns instead of passing, and the cosine carries the comparison.
 */
export const BLIND_FRACTION = 0.01;

/** The largest absolute value over all vectors: the scale an absolute tolerance should be judged against. */
export function scaleOf(vectors: Iterable<ArrayLike<number>>): number {
  let m = 0;
  for (const v of vectors) for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

/** pass / fail against an absolute tolerance, or warn when the tolerance is too coarse for the data's scale. */
export function absoluteStatus(measured: number, tolerance: number, scale: number): { status: 'pass' | 'fail' | 'warn'; note: string } {
  if (!(measured <= tolerance)) return { status: 'fail', note: '' };
  // Exactly equal is equal at any scale; only a small non-zero difference may hide behind a coarse tolerance.
  if (measured > 0 && tolerance > BLIND_FRACTION * scale) {
    return { status: 'warn', note: `; tolerance is coarse for values up to ${fmt(scale)}: this check cannot tell runs apart here` };
  }
  return { status: 'pass', note: '' };
}

/**
 * Undefined when every row of `table` was compared; else what was: the rows both samples share (both are the
 * lowest-ranked keys of the same seed, so they are the same keys wherever the key sets agree).
 */
export function valueSample(a: RunData, b: RunData, table: 'features' | 'pca', compared: number): CheckSample | undefined {
  const [ta, tb] = [a.tables[table], b.tables[table]];
  if (ta.valuesBound === undefined && tb.valuesBound === undefined) return undefined;
  return { rows: compared, of: ta.rows, seed: a.limits.seed };
}

export function featureChecks(a: RunData, b: RunData, tol: ParityTolerances): CheckResult[] {
  let worstAbs = { value: 0, key: '' };
  let worstCos = { value: 1, key: '' };
  // A cosine of exactly 1 (identical vectors) names no worst image; anything below does.
  let compared = 0;
  const beyond = { abs: 0, cos: 0 };
  for (const [key, row] of a.features) {
    const other = b.features.get(key);
    if (!other) continue;
    if (other.features.length !== row.features.length) {
      const detail = `feature dimensions differ: ${row.features.length} vs ${other.features.length} (${key})`;
      return [
        { name: 'features.max-abs', layer, status: 'fail', measured: null, tolerance: `<= ${fmt(tol.featureMaxAbs)}`, detail },
        { name: 'features.cosine', layer, status: 'fail', measured: null, tolerance: `>= ${fmt(tol.featureCosineMin)}`, detail },
      ];
    }
    compared++;
    const d = maxAbsDiff(row.features, other.features);
    const c = cosine(row.features, other.features);
    if (d > worstAbs.value) worstAbs = { value: d, key };
    if (c < worstCos.value) worstCos = { value: c, key };
    if (d > tol.featureMaxAbs) beyond.abs++;
    if (c < tol.featureCosineMin) beyond.cos++;
  }
  const sample = valueSample(a, b, 'features', compared);
  const scope = sample ? `; ${sampleText(sample)}` : '';
  const where = (w: { key: string }, n: number) =>
    (w.key ? `${compared} images; ${n > 0 ? `${n} beyond tolerance, ` : ''}worst ${w.key}` : `${compared} images, all identical`) + scope;
  const abs = absoluteStatus(worstAbs.value, tol.featureMaxAbs, scaleOf([...a.features.values()].map((r) => r.features)));
  return [
    {
      name: 'features.max-abs', layer, status: abs.status,
      measured: worstAbs.value, tolerance: `<= ${fmt(tol.featureMaxAbs)}`, detail: where(worstAbs, beyond.abs) + abs.note, sample,
    },
    {
      name: 'features.cosine', layer, status: worstCos.value >= tol.featureCosineMin ? 'pass' : 'fail',
      measured: worstCos.value, tolerance: `>= ${fmt(tol.featureCosineMin)}`, detail: where(worstCos, beyond.cos), sample,
    },
  ];
}
