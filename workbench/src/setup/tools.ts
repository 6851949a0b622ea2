/** What set-up hands to the rest of the workbench: absolute paths of every tool a run needs. */
export interface ToolPaths {
  /** The venv python (created from pipeline/requirements.lock, cached outside the repo). */
  python: string;
  /** The pip pyspark package dir (has bin/spark-submit, bin/spark-class, jars/). */
  sparkHome: string;
  /** <sparkHome>/bin/spark-submit */
  sparkSubmit: string;
  /** <sparkHome>/bin/spark-class */
  sparkClass: string;
  /** Absolute paths of hadoop-aws + aws-java-sdk-bundle (checksum-verified, cached). */
  s3aJars: string[];
  /** MinIO server binary built by `go install` (cached). */
  minio: string;
  javaHome: string;
  /** The system python3.11 the venv was made from (the rehearsal makes a fresh environment from it). */
  python311: string;
}
