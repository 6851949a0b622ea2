/**
 * The parts of a run's manifest.json (schema_version 1) and explained_variance.json that parity reads, validated
 * at the edge (docs/job-contract.md). Unknown fields are ignored so the job can add fields without breaking parity;
 * a missing or mistyped field is a RunOutputError naming the field.
 */
import { z } from 'zod';
import { ManifestSchema as JobManifestSchema } from '../job/manifest.js';
import { RunOutputError } from './run-output-error.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/i, 'must be a sha256 in hex');
const count = z.number().int().nonnegative();

/**
 * The job's manifest schema (job/manifest.ts, shared with the runner) narrowed to what parity compares: the
 * settings field by field, the weights' sha256 (required: parity compares weights by it) and a sha256-shaped
 * artifact hash.
 */
export const ManifestSchema = JobManifestSchema.extend({
  schema_version: z.literal(1, { message: 'this workbench reads manifest schema_version 1' }),
  counts: z.looseObject({ inputs: count, features: count, errors: count, featurized: count.optional() }),
  feature_dim: z.number().int().positive(),
  pca: z.looseObject({
    k: z.number().int().positive(),
    k_mode: z.string(),
    variance_threshold: z.number().nullable().optional(),
    standardize: z.boolean(),
    explained_variance_ratio: z.array(z.number()),
  }),
  weights: z.looseObject({ spec: z.string(), source: z.string(), sha256, meaningful: z.boolean().optional() }),
  artifact: z.looseObject({ sha256: sha256.nullable(), code_sha256: z.string().nullable().optional() }),
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
  /** What ran the model on the executors (absent in manifests from before engines: Keras, f32). */
  engine: z.looseObject({ name: z.string(), precision: z.string(), parity_safe: z.boolean() }).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const ExplainedVarianceSchema = z.object({
  k: z.number().int().positive(),
  /** Every fitted component's ratio, in order; the first k are kept. */
  ratios: z.array(z.number()),
  cumulative: z.array(z.number()).optional(),
  kept: z.number().optional(),
});
export type ExplainedVariance = z.infer<typeof ExplainedVarianceSchema>;

function parseJson<T>(schema: z.ZodType<T>, text: string, file: string, location: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunOutputError(
      location,
      `${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}): the file is corrupted or truncated`,
      'rerun the job for this output, or restore the file from the bucket the run wrote to',
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new RunOutputError(
      location,
      `${file} does not match the job contract (docs/job-contract.md): ${problems.join('; ')}`,
      'rerun the job with the pipeline of this workbench version, or restore the file',
    );
  }
  return parsed.data;
}

export function parseManifest(text: string, location: string): Manifest {
  const manifest = parseJson(ManifestSchema, text, 'manifest.json', location);
  if (manifest.status !== 'succeeded') {
    throw new RunOutputError(location, `the run did not succeed (manifest status "${manifest.status}")`, 'compare completed runs only');
  }
  return manifest;
}

export function parseExplainedVariance(text: string, location: string): ExplainedVariance {
  return parseJson(ExplainedVarianceSchema, text, 'explained_variance.json', location);
}
