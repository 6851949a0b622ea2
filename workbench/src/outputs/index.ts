/**
 * The one reader of run outputs: a `runs/<id>/` folder, a run id under runs/, or an `s3://` / `s3a://` output
 * (MinIO or AWS) becomes typed RunData: manifest, explained variance, components, and per table its streamed
 * counts and digests with its rows (all of them, or a seeded sample for large runs: sample.ts). Tables are
 * streamed part file by part file, row group by row group (stream.ts), so memory is bounded at any n. Parity,
 * the report and the slides read runs through here, never through a stack or a target.
 */
import { loadRun } from './load-run.js';
import { openRunSource, type OpenOptions } from './source.js';
import type { RunData } from './run-data.js';
import type { ReadLimits } from './sample.js';

export type { RunData, FeatureRow, ErrorRow, PcaRow, TableSummary } from './run-data.js';
export { READ_LIMITS, keyRank, type ReadLimits } from './sample.js';
export { readBatches, type RowBatch } from './stream.js';
export type { Manifest, ExplainedVariance } from './manifest.js';
export { RunOutputError } from './run-output-error.js';
export { openRunSource, type RunSource, type OpenOptions } from './source.js';
export { loadRun } from './load-run.js';

/** Reads a whole run from what the user typed (folder, run id, s3:// URI). */
export async function readRunOutputs(location: string, opts: OpenOptions = {}, limits?: ReadLimits): Promise<RunData> {
  return loadRun(openRunSource(location, opts), limits);
}
