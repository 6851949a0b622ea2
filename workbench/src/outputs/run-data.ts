/**
 * A run's outputs as parity sees them: the manifest, the explained variance and the four Parquet tables,
 * indexed by image key. Loaded once (load-run.ts) from any RunSource; the checks are pure functions of two of these.
 */
import type { ExplainedVariance, Manifest } from './manifest.js';

export interface LabelledRow {
  label: string;
}

export interface FeatureRow extends LabelledRow {
  /** The 1280-d MobileNetV2 feature vector (float32 in the job; kept as float32 here to halve memory). */
  features: Float32Array;
}

export interface ErrorRow extends LabelledRow {
  reason: string;
}

export interface PcaRow extends LabelledRow {
  /** The image's coordinates on the k principal axes. */
  pca: Float64Array;
}

export interface RunData {
  /** Where the run was read from, as the user named it (a folder or an s3:// URI). */
  location: string;
  manifest: Manifest;
  explainedVariance: ExplainedVariance;
  features: Map<string, FeatureRow>;
  errors: Map<string, ErrorRow>;
  pca: Map<string, PcaRow>;
  /** Principal axes in pc order (pc 1 first), each of length feature_dim. */
  components: Float64Array[];
  /** Rows read per table, before indexing by key (a duplicate key makes the map smaller than this). */
  rows: { features: number; errors: number; pca: number };
}
