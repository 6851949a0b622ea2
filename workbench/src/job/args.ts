/**
 * The job's own command line (everything after the entry point), built from the job settings. Pure.
 * Local, cluster and EMR runs all call this, so their arguments differ only in the URIs (docs/job-contract.md).
 */
import type { Job } from '../config/schema.js';

export interface JobArgsInput {
  /** What the job computes; input and weights come below, as the target names them. */
  job: Omit<Job, 'input' | 'weights'>;
  /** Folder of images (s3a:// locally, s3:// on EMR); with job.inputFormat packed, the folder of packed Parquet files. */
  input: string;
  /** Output folder. */
  output: string;
  /** The resolved weights spec (never 'auto'): imagenet | URI | random:SEED. */
  weights: string;
  runId: string;
  artifactSha256: string;
  /** The release label the artifact was packed for: recorded in the manifest, so parity tells releases apart. */
  release: string;
}

export function jobArguments(a: JobArgsInput): string[] {
  if (a.weights === 'auto') throw new Error("jobArguments: resolve the 'auto' weights spec before building arguments");
  const args = ['--input', a.input];
  // Only when packed: the images layout is the job's default, and its command line stays what it always was.
  if (a.job.inputFormat === 'packed') args.push('--input-format', 'packed');
  args.push('--output', a.output, '--weights', a.weights);
  if (a.job.pca.k === 'auto') args.push('--pca-variance', String(a.job.pca.varianceThreshold));
  else args.push('--pca-k', String(a.job.pca.k));
  if (a.job.pca.standardize) args.push('--pca-standardize');
  args.push(
    '--image-size', String(a.job.imageSize),
    '--interpolation', a.job.interpolation,
    '--arrow-batch-size', String(a.job.arrowBatchSize),
    '--partitions', String(a.job.partitions),
    '--images-per-task', String(a.job.imagesPerTask),
    '--engine', a.job.engine,
    '--precision', a.job.precision,
    '--run-id', a.runId,
    '--artifact-sha256', a.artifactSha256,
    '--release', a.release,
  );
  return args;
}

/** The argument names whose values are storage locations: the only ones allowed to differ between profiles. */
export const URI_ARGUMENTS = ['--input', '--output', '--weights'] as const;
