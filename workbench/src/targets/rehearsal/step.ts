/**
 * The planned EMR step, run on the local YARN: its `HadoopJarStep.Args` exactly, with only what names EMR's
 * machines swapped (pure, so a test checks the swap):
 * - `spark-submit` -> the pinned pyspark's spark-submit (EMR's is on its PATH);
 * - the s3a jars on the driver's and executors' class path (EMRFS is built into EMR's Spark);
 * - the YARN settings of a local node (`spark.yarn.jars` in place, the driver on loopback, a local staging dir);
 * - `spark.executor.instances` = as many executors of the planned shape as this machine holds;
 * - Python: the interpreter the bootstrap action installed into (PYSPARK_PYTHON on EMR comes from spark-env).
 * s3:// URIs stay as planned: core-site.xml maps s3:// to S3A against the local endpoint.
 */
import type { SubmitPlan } from '../../job/submit-plan.js';
import { rehearsalSubmitEnv } from './submit-env.js';

export interface RehearsalStepInput {
  /** The plan's step arguments, `spark-submit` first. */
  stepArgs: string[];
  sparkSubmit: string;
  sparkHome: string;
  javaHome: string;
  /** The Python the bootstrap action installed the runtime into. */
  python: string;
  s3aJars: string[];
  hadoopConfDir: string;
  /** yarnSubmitConf + the executor count the local node holds. */
  conf: Record<string, string>;
  s3: { region: string; accessKeyId: string; secretAccessKey: string };
}

export function rehearsalSubmitPlan(i: RehearsalStepInput): SubmitPlan {
  if (i.stepArgs[0] !== 'spark-submit') throw new Error(`the plan's step does not start with spark-submit: ${i.stepArgs.slice(0, 3).join(' ')}`);
  const rest = i.stepArgs.slice(1);
  const deploy = rest.indexOf('--deploy-mode');
  const at = deploy >= 0 ? deploy + 2 : 0;
  const cp = i.s3aJars.join(':');
  const extra = [
    '--driver-class-path', cp,
    ...Object.entries({ ...i.conf, 'spark.executor.extraClassPath': cp, 'spark.pyspark.python': i.python, 'spark.pyspark.driver.python': i.python }).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
  ];
  // Later --conf wins in spark-submit: the local node's values go after the plan's own.
  const lastConf = rest.lastIndexOf('--conf');
  const insertAt = lastConf >= 0 && lastConf < rest.indexOf('--py-files') ? lastConf + 2 : at;
  const args = [...rest.slice(0, insertAt), ...extra, ...rest.slice(insertAt)];
  return {
    command: i.sparkSubmit,
    args,
    ...rehearsalSubmitEnv({ s3: i.s3, hadoopConfDir: i.hadoopConfDir, javaHome: i.javaHome, sparkHome: i.sparkHome, python: i.python, driverPython: i.python }),
  };
}

/** What a rehearsal cannot prove: printed at the end of every rehearsal (docs/promote.md says the same). */
export const REHEARSAL_LIMITS = [
  'EMRFS: s3:// went through S3A against MinIO here; EMR reads it with EMRFS (consistency, retries, request rates differ)',
  'IAM: no role, no bucket policy, no KMS key was checked; the EMR service role and instance profile must allow the bucket',
  'the Amazon Linux 2023 image: python3.11 from dnf and the wheels were installed into a fresh Python on Debian, not on EMR\'s AMI',
  'prices and capacity: spot interruptions, instance availability in the region and the real bill',
  'scale: one local node of the planned shape, not the planned number of core nodes and their network',
];
