/**
 * Layer 2, keys: the same images were featurized on both sides, the same images were rejected, and every image
 * carries the same label. Missing and extra keys are listed so the user can look at the images themselves.
 */
import { listed, type CheckResult } from '../check-result.js';
import type { LabelledRow, RunData } from '../../outputs/run-data.js';
import { difference } from './provenance.js';

const layer = 2 as const;

function sameKeys(name: string, what: string, a: Map<string, unknown>, b: Map<string, unknown>): CheckResult {
  const [ka, kb] = [new Set(a.keys()), new Set(b.keys())];
  const missing = difference(ka, kb);
  const extra = difference(kb, ka);
  const differ = missing.length + extra.length;
  const keys = (n: number) => `${n} ${what} key${n === 1 ? '' : 's'}`;
  if (differ === 0) return { name, layer, status: 'pass', measured: 0, tolerance: 'equal', detail: `${keys(ka.size)} on both sides` };
  return {
    name, layer, status: 'fail', measured: differ, tolerance: 'equal',
    detail: `${keys(missing.length)} only in A, ${extra.length} only in B (first: ${missing[0] ?? extra[0]})`,
    items: listed([...missing.map((k) => `${what} only in A: ${k}`), ...extra.map((k) => `${what} only in B: ${k}`)]),
  };
}

function labels(a: RunData, b: RunData): CheckResult {
  const name = 'keys.labels';
  const rowsOf = (r: RunData) => new Map<string, LabelledRow>([...r.errors, ...r.features]);
  const [ra, rb] = [rowsOf(a), rowsOf(b)];
  const differ: string[] = [];
  let compared = 0;
  for (const [key, row] of ra) {
    const other = rb.get(key);
    if (!other) continue;
    compared++;
    if (other.label !== row.label) differ.push(`${key}: ${row.label} vs ${other.label}`);
  }
  differ.sort();
  if (differ.length === 0) return { name, layer, status: 'pass', measured: 0, tolerance: 'equal', detail: `${compared} labels equal` };
  return {
    name, layer, status: 'fail', measured: differ.length, tolerance: 'equal',
    detail: `${differ.length} of ${compared} labels differ (first: ${differ[0]})`, items: listed(differ),
  };
}

export function keyChecks(a: RunData, b: RunData): CheckResult[] {
  return [
    sameKeys('keys.features', 'feature', a.features, b.features),
    sameKeys('keys.errors', 'error', a.errors, b.errors),
    labels(a, b),
  ];
}
