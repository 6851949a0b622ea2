/**
 * The short summary `npm run local` prints at the end of a run. Pure: the manifest and a few facts the
 * workbench knows in, lines out.
 */
import type { JobManifest } from '../job/manifest.js';

export interface RunSummaryFacts {
  profile: string;
  /** s3:// URI of the job's outputs (the bucket on the stack). */
  outputUri: string;
  /** The S3 endpoint the outputs live on (MinIO on loopback). */
  endpoint: string;
  /** Whether the stack stays up after the command (--keep): then the endpoint can be browsed. */
  stackKept: boolean;
  /** Local run folder, as it should be shown (relative to the cwd when inside it). */
  runDir: string;
  /** The workbench's own steps, seconds each, in order (setup, stack, upload, job, download). */
  workbenchTimings: [string, number][];
  /** What resolveWeights said about the weights (e.g. "ImageNet weights converted from ..."). */
  weightsDescription: string;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return `${m} min ${String(rest).padStart(2, '0')} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatRunSummary(m: JobManifest, facts: RunSummaryFacts): string[] {
  const total = facts.workbenchTimings.reduce((sum, [, s]) => sum + s, 0);
  const kRule =
    m.pca.k_mode === 'variance' && typeof m.pca.variance_threshold === 'number'
      ? `smallest k reaching ${m.pca.variance_threshold} explained variance`
      : 'fixed';
  const jobStages = Object.entries(m.timings_s)
    .filter(([name]) => name !== 'total')
    .map(([name, s]) => `${name} ${formatSeconds(s)}`);
  if (m.timings_s.total !== undefined) jobStages.push(`total ${formatSeconds(m.timings_s.total)}`);
  const weights = m.weights.meaningful
    ? `${m.weights.spec} (${facts.weightsDescription})`
    : `${m.weights.spec}: NOT MEANINGFUL (${m.weights.source} weights: the features and PCA only exercise the pipeline)`;
  const lines = [
    `run ${m.run_id} ${m.status} in ${formatSeconds(total)} (profile ${facts.profile})`,
    `  images     ${m.counts.inputs} read, ${m.counts.features} featurized, ${plural(m.counts.errors, 'error')}` +
      (m.counts.errors > 0 ? ` (keys and reasons in errors/)` : ''),
    `  features   ${m.feature_dim} per image`,
    `  PCA        k = ${m.pca.k} (${kRule}${m.pca.standardize ? ', standardized' : ''}), variance kept ${(m.pca.variance_kept * 100).toFixed(1)}%`,
    `  job        ${jobStages.join(', ')}`,
    `  workbench  ${facts.workbenchTimings.map(([name, s]) => `${name} ${formatSeconds(s)}`).join(', ')}`,
    `  weights    ${weights}`,
    `  outputs    ${facts.outputUri} ` +
      (facts.stackKept ? `(MinIO at ${facts.endpoint})` : `(in the stack's MinIO data; --keep leaves MinIO up to browse it)`),
    `  local      ${facts.runDir}/ (manifest.json, pca.csv, explained_variance.json, driver.log, Parquet parts)`,
  ];
  return lines;
}
