/**
 * A run's outputs as parity and the report see them, in bounded memory (sample.ts says what is kept): the
 * manifest, the explained variance, the principal axes, and per keyed table its streamed row count, digests of
 * all its keys and key-label pairs, rows per label, its keys (all of them, or a seeded sample) and its values
 * (all of them, or the sample). Loaded once (load-run.ts) from any RunSource; the checks are pure functions of
 * two of these.
 */
import type { ExplainedVariance, Manifest } from './manifest.js';
import type { Rank, ReadLimits, SetDigest } from './sample.js';

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

/** A key kept by the reader: its label and its place in the sample order. */
export interface KeptKey {
  label: string;
  rank: Rank;
}

/** What was learnt about one keyed table (features/, errors/, pca/) from streaming all of its rows. */
export interface TableSummary {
  /** Rows read (a repeated key counts each time). */
  rows: number;
  /** Digest of every key (with repeats): equal key sets give equal digests. */
  keyDigest: SetDigest;
  /** Digest of every "key\0label" pair. */
  pairDigest: SetDigest;
  /** Rows per label, over all rows. */
  labels: Map<string, number>;
  /** Distinct keys kept: all of them when keysBound is undefined, else every key ranked at or below keysBound. */
  keys: Map<string, KeptKey>;
  keysBound: Rank | undefined;
  /** Repeated keys seen among the kept keys (exact when the keys are whole). */
  repeats: number;
  /** The highest rank whose row values are kept (undefined: every row's values are kept). */
  valuesBound: Rank | undefined;
}

export interface RunData {
  /** Where the run was read from, as the user named it (a folder or an s3:// URI). */
  location: string;
  manifest: Manifest;
  explainedVariance: ExplainedVariance;
  /** Feature rows kept: every row, or the seeded sample when the table is larger than limits.valuesWhole. */
  features: Map<string, FeatureRow>;
  /** Error rows kept: every row, or the seeded sample when there are more than limits.keysWhole. */
  errors: Map<string, ErrorRow>;
  /** PCA rows kept, as features. */
  pca: Map<string, PcaRow>;
  /** Principal axes in pc order (pc 1 first), each of length feature_dim. */
  components: Float64Array[];
  /** Rows read per table, before indexing by key (a duplicate key makes the map smaller than this). */
  rows: { features: number; errors: number; pca: number };
  /** Per keyed table: digests, label counts and kept keys over all rows. */
  tables: { features: TableSummary; errors: TableSummary; pca: TableSummary };
  /** The limits the run was read with (seed and sizes of the sample). */
  limits: ReadLimits;
}
