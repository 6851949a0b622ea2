/**
 * What `npm run parity` needs from the rest of the workbench, as injected functions: producing a run (only for
 * the no-operand default, which runs the job on the local and the cluster profile) and an S3 client for reading
 * s3:// outputs. Tests pass fakes; parity-runs.ts holds the real ones.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunContext as CommandContext } from '../context.js';
import type { WorkbenchConfig } from '../config/schema.js';
import type { S3Location } from '../outputs/source.js';

/** The two profiles parity's default compares: one process (`local[*]`), and a standalone master with workers. */
export type RunProfileName = 'local' | 'cluster';

export interface ProduceRunContext {
  /** The loaded config; the run must use `cfg.profiles[profile]` and the job settings in `cfg.job`. */
  cfg: WorkbenchConfig;
  /** Signal, resource stack and output of the parity command: a started stack registers its cleanup here. */
  command: CommandContext;
}

/** Runs the job once on `profile` (same input, same settings) and returns its local run folder `runs/<id>/`. */
export type ProduceRun = (profile: RunProfileName, ctx: ProduceRunContext) => Promise<{ runDir: string }>;

/** An S3 client able to read `where` for the selected profile (MinIO for local/cluster, AWS for emr). */
export type S3ClientFor = (cfg: WorkbenchConfig, where: S3Location, command: CommandContext) => S3Client;

export interface ParityDeps {
  produceRun: ProduceRun;
  s3ClientFor: S3ClientFor;
}
