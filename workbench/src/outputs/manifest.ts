/**
 * A run's manifest.json (schema_version 1, the one schema in job/manifest.ts) and explained_variance.json as
 * parity and the report read them, validated at the edge (docs/job-contract.md). Unknown fields are ignored so
 * the job can add fields without breaking parity; a missing or mistyped field is a RunOutputError naming it.
 */
import { z } from 'zod';
import { ManifestSchema, type JobManifest } from '../job/manifest.js';
import { RunOutputError } from './run-output-error.js';

/** The one manifest schema (job/manifest.ts), shared with the runner and the promote pre-check. */
export { ManifestSchema };
export type Manifest = JobManifest;

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
