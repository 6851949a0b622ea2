/**
 * Layer 2, keys: the same images were featurized on both sides, the same images were rejected, and every image
 * carries the same label. Equality is decided over all rows (digests of keys and of key-label pairs); missing
 * and extra keys and differing labels are listed so the user can look at the images themselves: every one for a
 * small run, those in the seeded sample for a large one (and the check says so).
 */
import { listed, sampleText, type CheckResult, type CheckSample } from '../check-result.js';
import type { KeptKey, RunData, TableSummary } from '../../outputs/run-data.js';
import { minBound, withinBound } from '../../outputs/sample.js';
import { diffKeys, viewOf } from '../key-sets.js';

const layer = 2 as const;

function sameKeys(name: string, what: string, ta: TableSummary, tb: TableSummary, a: RunData): CheckResult {
  const d = diffKeys(viewOf(ta), viewOf(tb));
  const differ = d.onlyA.length + d.onlyB.length;
  const keys = (n: number) => `${n} ${what} key${n === 1 ? '' : 's'}`;
  const sample: CheckSample | undefined = d.whole ? undefined : { rows: d.compared, of: ta.rows, seed: a.limits.seed };
  const scope = sample ? ` (digest of all rows; listed from a ${sampleText(sample, 'keys')})` : '';
  if (d.equal) return { name, layer, status: 'pass', measured: 0, tolerance: 'equal', detail: `${keys(d.whole ? ta.keys.size : ta.rows)} on both sides${scope}`, sample };
  if (differ === 0) {
    return {
      name, layer, status: 'fail', measured: 'digest differs', tolerance: 'equal', sample,
      detail: `the ${what} keys differ (${ta.rows} vs ${tb.rows} rows, digests of all keys differ), but no key in the ${sampleText(sample!, 'keys')} differs: a key outside the sample, or a repeated key`,
    };
  }
  return {
    name, layer, status: 'fail', measured: differ, tolerance: 'equal', sample,
    detail: `${keys(d.onlyA.length)} only in A, ${d.onlyB.length} only in B${sample ? ` in the ${sampleText(sample, 'keys')}` : ''} (first: ${d.onlyA[0] ?? d.onlyB[0]})`,
    items: listed([...d.onlyA.map((k) => `${what} only in A: ${k}`), ...d.onlyB.map((k) => `${what} only in B: ${k}`)]),
  };
}

function labels(a: RunData, b: RunData): CheckResult {
  const name = 'keys.labels';
  // A key with a feature row takes that row's label (as when the maps were merged errors first).
  const keysOf = (r: RunData) => new Map<string, KeptKey>([...r.tables.errors.keys, ...r.tables.features.keys]);
  const [ka, kb] = [keysOf(a), keysOf(b)];
  const bound = minBound(a.tables.features.keysBound, a.tables.errors.keysBound, b.tables.features.keysBound, b.tables.errors.keysBound);
  const differ: string[] = [];
  let compared = 0;
  for (const [key, row] of ka) {
    if (!withinBound(row.rank, bound)) continue;
    const other = kb.get(key);
    if (!other) continue;
    compared++;
    if (other.label !== row.label) differ.push(`${key}: ${row.label} vs ${other.label}`);
  }
  differ.sort();
  const rowsOf = (r: RunData) => r.tables.features.rows + r.tables.errors.rows;
  const sample: CheckSample | undefined = bound === undefined ? undefined : { rows: compared, of: rowsOf(a), seed: a.limits.seed };
  if (differ.length > 0) {
    return {
      name, layer, status: 'fail', measured: differ.length, tolerance: 'equal', sample,
      detail: `${differ.length} of ${compared} labels differ${sample ? ` in the ${sampleText(sample, 'keys')}` : ''} (first: ${differ[0]})`, items: listed(differ),
    };
  }
  if (!sample) return { name, layer, status: 'pass', measured: 0, tolerance: 'equal', detail: `${compared} labels equal` };
  // Same keys on both sides: then equal key-label pair digests mean every label is equal, over all rows.
  const keysEqual = a.tables.features.keyDigest.plus(a.tables.errors.keyDigest).equals(b.tables.features.keyDigest.plus(b.tables.errors.keyDigest));
  const pairsEqual = a.tables.features.pairDigest.plus(a.tables.errors.pairDigest).equals(b.tables.features.pairDigest.plus(b.tables.errors.pairDigest));
  if (keysEqual && !pairsEqual) {
    return {
      name, layer, status: 'fail', measured: 'digest differs', tolerance: 'equal', sample,
      detail: `labels differ (digests of all ${rowsOf(a)} key-label pairs differ), but none in the ${sampleText(sample, 'keys')}`,
    };
  }
  return {
    name, layer, status: 'pass', measured: 0, tolerance: 'equal', sample,
    detail: keysEqual ? `${rowsOf(a)} labels equal (digest of all key-label pairs)` : `${compared} labels equal in the ${sampleText(sample, 'keys')}`,
  };
}

export function keyChecks(a: RunData, b: RunData): CheckResult[] {
  return [
    sameKeys('keys.features', 'feature', a.tables.features, b.tables.features, a),
    sameKeys('keys.errors', 'error', a.tables.errors, b.tables.errors, a),
    labels(a, b),
  ];
}
