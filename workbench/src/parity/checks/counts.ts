/**
 * Layer 3, counts, on each side: the manifest's books balance (inputs = features + errors, the UDF ran once per
 * image) and the Parquet tables hold exactly what the manifest says, one row per key, a projection per feature row.
 */
import type { CheckResult } from '../check-result.js';
import type { RunData } from '../../outputs/run-data.js';

const layer = 3 as const;

function countsOf(side: 'A' | 'B', run: RunData): CheckResult {
  const c = run.manifest.counts;
  const problems: string[] = [];
  if (c.inputs !== c.features + c.errors) problems.push(`manifest: inputs ${c.inputs} != features ${c.features} + errors ${c.errors}`);
  if (c.featurized !== undefined && c.featurized !== c.inputs) {
    problems.push(`manifest: featurized ${c.featurized} != inputs ${c.inputs} (the feature UDF did not run exactly once per image)`);
  }
  if (run.rows.features !== c.features) problems.push(`features/ has ${run.rows.features} rows, the manifest says ${c.features}`);
  if (run.rows.errors !== c.errors) problems.push(`errors/ has ${run.rows.errors} rows, the manifest says ${c.errors}`);
  if (run.rows.pca !== run.rows.features) problems.push(`pca/ has ${run.rows.pca} rows for ${run.rows.features} feature rows`);
  for (const [table, map, rows] of [['features', run.features, run.rows.features], ['errors', run.errors, run.rows.errors], ['pca', run.pca, run.rows.pca]] as const) {
    if (map.size !== rows) problems.push(`${table}/ repeats ${rows - map.size} key(s)`);
  }
  const noProjection = [...run.features.keys()].filter((k) => !run.pca.has(k));
  if (noProjection.length > 0) problems.push(`${noProjection.length} feature key(s) without a pca row (first: ${noProjection.sort()[0]})`);
  const measured = `${c.inputs} = ${c.features} + ${c.errors}`;
  const name = `counts.${side}`;
  return problems.length === 0
    ? { name, layer, status: 'pass', measured, tolerance: 'inputs = features + errors', detail: `rows match the manifest (${run.location})` }
    : { name, layer, status: 'fail', measured, tolerance: 'inputs = features + errors', detail: problems[0]!, items: problems };
}

export function countChecks(a: RunData, b: RunData): CheckResult[] {
  return [countsOf('A', a), countsOf('B', b)];
}
