/**
 * The one reader of run outputs: a `runs/<id>/` folder, a run id under runs/, or an `s3://` / `s3a://` output
 * (MinIO or AWS) becomes typed RunData: manifest, explained variance, features, errors, PCA scores and
 * components. Parity, the report, the slides and the notebook read runs through here, never through a stack
 * or a target.
 */
import { loadRun } from './load-run.js';
import { openRunSource, type OpenOptions } from './source.js';
import type { RunData } from './run-data.js';

export type { RunData, FeatureRow, ErrorRow, PcaRow } from './run-data.js';
export type { Manifest, ExplainedVariance } from './manifest.js';
export { RunOutputError } from './run-output-error.js';
export { openRunSource, type RunSource, type OpenOptions } from './source.js';
export { loadRun } from './load-run.js';

/** Reads a whole run from what the user typed (folder, run id, s3:// URI). */
export async function readRunOutputs(location: string, opts: OpenOptions = {}): Promise<RunData> {
  return loadRun(openRunSource(location, opts));
}
