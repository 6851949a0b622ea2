/**
 * The environment of a rehearsal's spark-submit on the local YARN, the same for the EMR step and the Serverless
 * job run (pure): MinIO's credentials and the region for S3A, the local node's Hadoop/YARN conf, the pinned Java
 * and Spark, the driver on loopback, and the Pythons. The credentials are redacted wherever the plan is shown.
 */
import type { SubmitPlan } from '../../job/submit-plan.js';

export interface RehearsalSubmitEnvInput {
  s3: { region: string; accessKeyId: string; secretAccessKey: string };
  hadoopConfDir: string;
  javaHome: string;
  sparkHome: string;
  /** PYSPARK_PYTHON (the executors') and PYSPARK_DRIVER_PYTHON. */
  python: string;
  driverPython: string;
}

export function rehearsalSubmitEnv(i: RehearsalSubmitEnvInput): Pick<SubmitPlan, 'env' | 'redactedEnvKeys'> {
  return {
    env: {
      AWS_ACCESS_KEY_ID: i.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: i.s3.secretAccessKey,
      AWS_REGION: i.s3.region,
      HADOOP_CONF_DIR: i.hadoopConfDir,
      YARN_CONF_DIR: i.hadoopConfDir,
      JAVA_HOME: i.javaHome,
      SPARK_HOME: i.sparkHome,
      SPARK_LOCAL_IP: '127.0.0.1',
      PYSPARK_PYTHON: i.python,
      PYSPARK_DRIVER_PYTHON: i.driverPython,
      PYTHONUNBUFFERED: '1',
    },
    redactedEnvKeys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
  };
}
