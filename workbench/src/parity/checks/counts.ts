/**
 * Layer 3, counts, on each side: the manifest's books balance (inputs = features + errors, the UDF ran once per
 * image) and the Parquet tables hold exactly what the manifest says (rows counted over all rows, streamed), one
 * row per key, a projection per feature row (features/ and pca/ compared by the digests of all their keys).
 */
import { sampleText, type CheckResult } from '../check-result.js';
import type { RunData } from '../../outputs/run-data.js';
import { diffKeys, viewOf } from '../key-sets.js';

const layer = 3 as const;

function countsOf(side: 'A' | 'B', run: RunData): CheckResult {
  const c = run.manifest.counts;
  const t = run.tables;
  const problems: string[] = [];
  if (c.inputs !== c.features + c.errors) problems.push(`manifest: inputs ${c.inputs} != features ${c.features} + errors ${c.errors}`);
  if (c.featurized !== undefined && c.featurized !== c.inputs) {
    problems.push(`manifest: featurized ${c.featurized} != inputs ${c.inputs} (the feature UDF did not run exactly once per image)`);
  }
  if (run.rows.features !== c.features) problems.push(`features/ has ${run.rows.features} rows, the manifest says ${c.features}`);
  if (run.rows.errors !== c.errors) problems.push(`errors/ has ${run.rows.errors} rows, the manifest says ${c.errors}`);
  if (run.rows.pca !== run.rows.features) problems.push(`pca/ has ${run.rows.pca} rows for ${run.rows.features} feature rows`);
  for (const [table, s] of [['features', t.features], ['errors', t.errors], ['pca', t.pca]] as const) {
    const where = s.keysBound === undefined ? '' : ` in a ${sampleText({ rows: s.keys.size, of: s.rows, seed: run.limits.seed }, 'keys')}`;
    if (s.repeats > 0) problems.push(`${table}/ repeats ${s.repeats} key(s)${where}`);
  }
  const projected = diffKeys(viewOf(t.features), viewOf(t.pca));
  if (projected.onlyA.length > 0) {
    const where = projected.whole ? '' : ` in the sample (seed ${run.limits.seed})`;
    problems.push(`${projected.onlyA.length} feature key(s) without a pca row${where} (first: ${projected.onlyA[0]})`);
  } else if (!projected.equal && run.rows.pca === run.rows.features) {
    problems.push(`features/ and pca/ hold different keys (the digests of all their keys differ), none of them in the sample (seed ${run.limits.seed})`);
  }
  const measured = `${c.inputs} = ${c.features} + ${c.errors}`;
  const name = `counts.${side}`;
  return problems.length === 0
    ? { name, layer, status: 'pass', measured, tolerance: 'inputs = features + errors', detail: `rows match the manifest (${run.location})` }
    : { name, layer, status: 'fail', measured, tolerance: 'inputs = features + errors', detail: problems[0]!, items: problems };
}

export function countChecks(a: RunData, b: RunData): CheckResult[] {
  return [countsOf('A', a), countsOf('B', b)];
}
