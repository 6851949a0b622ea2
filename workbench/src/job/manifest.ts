/**
 * The job's manifest.json (schema_version 1, docs/job-contract.md): the one schema every reader uses. The runner
 * reads it from the FRUITS_JOB_SUMMARY line on stdout, the outputs reader (outputs/manifest.ts: parity and the
 * report) and the promote pre-check (emr/local-run.ts) from a run folder or S3. Only the fields the workbench
 * relies on are checked; unknown fields pass through, so the job may add fields without breaking older
 * workbenches.
 */
import { z } from 'zod';

const uri = z.string();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/i, 'must be a sha256 in hex');
const count = z.number().int().nonnegative();

export const ManifestSchema = z
  .object({
    schema_version: z.literal(1, { message: 'this workbench reads manifest schema_version 1' }),
    run_id: z.string(),
    status: z.string(),
    input_uri: uri,
    output_uri: uri,
    started_at: z.string(),
    finished_at: z.string(),
    counts: z.looseObject({ inputs: count, features: count, errors: count, featurized: count }),
    feature_dim: z.number().int().positive(),
    pca: z.looseObject({
      k: z.number().int().positive(),
      k_mode: z.string(),
      variance_threshold: z.number().nullable().optional(),
      standardize: z.boolean(),
      explained_variance_ratio: z.array(z.number()),
      variance_kept: z.number(),
    }),
    weights: z.looseObject({
      spec: z.string(),
      source: z.string(),
      /** The file's sha256 (random weights: the arrays'): parity and the promote pre-check compare weights by it. */
      sha256,
      meaningful: z.boolean(),
      /** Before issue 19 the manifest put the broadcast's size here; engine.broadcast_bytes now (old runs only). */
      broadcast_bytes: z.number().optional(),
    }),
    /** What ran the model on the executors (absent in manifests from before engines: Keras, f32). */
    engine: z
      .looseObject({
        name: z.string(),
        precision: z.string(),
        parity_safe: z.boolean(),
        /** The pickled converted model the driver broadcasts (ONNX bytes by default), what executors receive. */
        broadcast_bytes: z.number().optional(),
      })
      .optional(),
    artifact: z.looseObject({ sha256: sha256.nullable(), code_sha256: z.string().nullable().optional() }),
    /** The EMR release label the artifact was packed for (absent in manifests from before releases). */
    release: z.string().nullable().optional(),
    settings: z.looseObject({
      weights: z.string(),
      image_size: z.number().int(),
      interpolation: z.string(),
      arrow_batch_size: z.number().int(),
      partitions: z.number().int(),
      pca_k: z.number().int().nullable(),
      pca_variance: z.number().nullable(),
      pca_standardize: z.boolean(),
    }),
    versions: z.record(z.string(), z.string().nullable()),
    spark: z.record(z.string(), z.unknown()),
    timings_s: z.record(z.string(), z.number()),
    outputs: z.record(z.string(), z.string()),
  })
  .loose();

export type JobManifest = z.infer<typeof ManifestSchema>;

/** The bytes the broadcast carried and what they were: the converted model, or (older runs) the weights. */
export function broadcastOf(m: JobManifest): { bytes: number; what: string } | null {
  if (typeof m.engine?.broadcast_bytes === 'number') return { bytes: m.engine.broadcast_bytes, what: `the converted ${m.engine.name} model (engine.broadcast_bytes)` };
  if (typeof m.weights.broadcast_bytes === 'number') return { bytes: m.weights.broadcast_bytes, what: 'weights.broadcast_bytes, as an older run recorded it' };
  return null;
}

/** Parses and checks a manifest; the error names the first fields that do not match the contract. */
export function parseManifest(json: string, source: string): JobManifest {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = ManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source}: does not match the manifest contract (docs/job-contract.md): ${issues.join('; ')}`);
  }
  return parsed.data;
}
