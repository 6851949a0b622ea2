/**
 * The job's manifest.json (schema_version 1, docs/job-contract.md), as the workbench reads it: from the
 * FRUITS_JOB_SUMMARY line on stdout and from the run folder. Only the fields the workbench relies on are
 * checked; unknown fields pass through, so the job may add fields without breaking older workbenches.
 */
import { z } from 'zod';

const uri = z.string();

export const ManifestSchema = z
  .object({
    schema_version: z.literal(1),
    run_id: z.string(),
    status: z.string(),
    input_uri: uri,
    output_uri: uri,
    started_at: z.string(),
    finished_at: z.string(),
    counts: z.looseObject({ inputs: z.number(), features: z.number(), errors: z.number(), featurized: z.number() }),
    feature_dim: z.number(),
    pca: z.looseObject({
      k: z.number(),
      k_mode: z.string(),
      variance_threshold: z.number().nullable().optional(),
      standardize: z.boolean(),
      explained_variance_ratio: z.array(z.number()),
      variance_kept: z.number(),
    }),
    weights: z.looseObject({
      spec: z.string(),
      source: z.string(),
      sha256: z.string().nullable().optional(),
      meaningful: z.boolean(),
      broadcast_bytes: z.number().optional(),
    }),
    artifact: z.looseObject({ sha256: z.string().nullable(), code_sha256: z.string().nullable().optional() }),
    settings: z.record(z.string(), z.unknown()),
    versions: z.record(z.string(), z.unknown()),
    spark: z.record(z.string(), z.unknown()),
    timings_s: z.record(z.string(), z.number()),
    outputs: z.record(z.string(), z.string()),
  })
  .loose();

export type JobManifest = z.infer<typeof ManifestSchema>;

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
