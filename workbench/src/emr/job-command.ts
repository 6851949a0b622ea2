/**
 * The job's command on a cloud target: the entry point, its arguments and the zip of the job's modules, all
 * in the run's bucket. EMR on EC2 (emr/plan.ts, the spark-submit step) and EMR Serverless (serverless/plan.ts,
 * StartJobRun's sparkSubmit) both take it from here, so their entry point and arguments are byte-identical:
 * the two targets differ in how Spark is started, never in what the job is told to do. Pure.
 */
import type { Job } from '../config/schema.js';
import { jobArguments } from '../job/args.js';

export interface CloudJobCommandInput {
  job: Omit<Job, 'input' | 'weights'>;
  /** s3:// URIs of the artifact's entry point and zip (content-addressed: artifacts/<sha256>/). */
  entrypointUri: string;
  zipUri: string;
  inputUri: string;
  outputUri: string;
  /** Resolved weights spec (never 'auto'). */
  weightsSpec: string;
  runId: string;
  artifactSha256: string;
  /** The release label the artifact was packed for (recorded in the manifest). */
  release: string;
}

export interface CloudJobCommand {
  entryPoint: string;
  entryPointArguments: string[];
  /** The job's modules, for --py-files (EC2) or spark.submit.pyFiles (Serverless). */
  pyFiles: string;
}

export function cloudJobCommand(c: CloudJobCommandInput): CloudJobCommand {
  return {
    entryPoint: c.entrypointUri,
    entryPointArguments: jobArguments({ job: c.job, input: c.inputUri, output: c.outputUri, weights: c.weightsSpec, runId: c.runId, artifactSha256: c.artifactSha256, release: c.release }),
    pyFiles: c.zipUri,
  };
}
