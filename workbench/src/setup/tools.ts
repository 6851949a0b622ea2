import type { Release } from '../config/releases.js';

/** What set-up hands to the rest of the workbench: absolute paths of every tool a run needs, for one release. */
export interface ToolPaths {
  /** The release these tools run (its Spark is sparkHome's). */
  release: Release;
  /** The venv python (created from pipeline/requirements.lock, cached outside the repo). */
  python: string;
  /** The pip pyspark package dir (has bin/spark-submit, bin/spark-class, jars/). */
  sparkHome: string;
  /** <sparkHome>/bin/spark-submit */
  sparkSubmit: string;
  /** <sparkHome>/bin/spark-class */
  sparkClass: string;
  /** Absolute paths of the release's s3a jars: hadoop-aws and the AWS SDK it needs (checksum-verified, cached). */
  s3aJars: string[];
  /** The release's fs.s3a.aws.credentials.provider (the SDK those jars carry). */
  s3aCredentialsProvider: string;
  /** MinIO server binary built by `go install` (cached). */
  minio: string;
  javaHome: string;
  /** The system python3.11 the venv was made from (the rehearsal makes a fresh environment from it). */
  python311: string;
}
