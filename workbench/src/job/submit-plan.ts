/**
 * The spark-submit command line for a local or local-cluster run. Pure: config, tool paths, stack endpoints and
 * the artifact in; a command, its arguments and its environment out. `--dry-run` prints it (secrets redacted),
 * job/runner.ts executes it, tests check it.
 *
 * What the job computes comes from job/args.ts only (the same arguments on every profile); where it runs (master,
 * memory, s3a endpoint) is Spark configuration. Credentials are only ever in the environment: a command line is
 * visible to every user of the machine in `ps`.
 */
import type { ClusterProfile, Job, LocalProfile } from '../config/schema.js';
import { childEnvFrom } from '../host/child-env.js';
import { jobArguments } from './args.js';

/** The tool paths the plan needs (a subset of setup/tools.ts ToolPaths). */
export interface SubmitTools {
  python: string;
  sparkHome: string;
  sparkSubmit: string;
  s3aJars: string[];
  /** The release's fs.s3a.aws.credentials.provider (v1 SDK class on Hadoop 3.3, v2 on Hadoop 3.4). */
  s3aCredentialsProvider: string;
  javaHome: string;
  /** The release whose Spark these tools are (its label goes to the job's --release). */
  release: { label: string };
}

/** The S3 endpoint and credentials of the stack (a subset of stack/types.ts S3Access). */
export interface SubmitS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SubmitPlanInput {
  tools: SubmitTools;
  /** The stack's master: 'local[*]' or 'spark://127.0.0.1:PORT'. */
  master: string;
  profile: LocalProfile | ClusterProfile;
  s3: SubmitS3;
  artifact: { zip: string; entrypoint: string; sha256: string };
  job: Omit<Job, 'input' | 'weights'>;
  /** s3a:// URI of the input folder. */
  input: string;
  /** s3a:// URI of the output folder. */
  output: string;
  /** Resolved weights spec (never 'auto'). */
  weights: string;
  runId: string;
  /**
   * Driver-local folder for the job's converted-model cache (--model-cache), when the driver runs on this
   * machine (native backend): repeated local runs then skip TensorFlow and the conversion. Absent: no cache.
   */
  modelCache?: string;
  /** Images in the input when known (a local folder mirrored to the bucket); it picks the JVM's JIT (localJvmOptions). */
  images?: number;
}

export interface SubmitPlan {
  command: string;
  args: string[];
  /** Set on top of the parent environment (see childEnv). */
  env: Record<string, string>;
  /** Keys of `env` whose values must never be printed. */
  redactedEnvKeys: string[];
}

export const REDACTED = '<redacted>';

/**
 * JVM options for the local profiles' driver and executors: C1 only (no C2) for a small input. A short local run is
 * a short-lived JVM on a few cores, where C2's background compilation competes with the Python workers for those
 * cores: measured on 2 cores, 3,120 images, C2 compiler threads used 26 CPU-s of a 55 s job; with C1 only, 3.5
 * CPU-s and the job took 46 to 50 s instead of 55 (bench-results/end-to-end.json); again on 2026-12-05, job step
 * 44 and 46 s with C1 only, 55 and 49 s with C2. A long run repays C2: at 24,960 images the job took 213 s with C1
 * only and 199 / 207 s with C2 (its write stage 24 s against 10 / 13 s: Parquet and CSV encoding is JVM work).
 * Hence C1 only below C2_FROM_IMAGES images or when the count is unknown (an s3:// input used in place), the
 * JVM's default above. EMR's long-lived executors keep the JVM's default.
 */
export const LOCAL_JVM_OPTIONS = '-XX:TieredStopAtLevel=1';
export const C2_FROM_IMAGES = 10_000;

export function localJvmOptions(images: number | undefined): string | undefined {
  return images !== undefined && images >= C2_FROM_IMAGES ? undefined : LOCAL_JVM_OPTIONS;
}

function sparkConf(input: SubmitPlanInput): [string, string][] {
  const { s3, tools, profile, job } = input;
  const conf: [string, string][] = [
    // Loopback only: the driver, its block manager and its UI (SPARK_LOCAL_IP below covers the UI).
    ['spark.driver.host', '127.0.0.1'],
    ['spark.driver.bindAddress', '127.0.0.1'],
    // The venv's Python (TensorFlow, Pillow, pyarrow) for the driver and every executor.
    ['spark.pyspark.python', tools.python],
    ['spark.pyspark.driver.python', tools.python],
    // S3A against the stack's MinIO: path-style, plain HTTP on loopback, credentials from the environment.
    ['spark.hadoop.fs.s3a.endpoint', s3.endpoint],
    ['spark.hadoop.fs.s3a.endpoint.region', s3.region],
    ['spark.hadoop.fs.s3a.path.style.access', 'true'],
    ['spark.hadoop.fs.s3a.connection.ssl.enabled', 'false'],
    ['spark.hadoop.fs.s3a.aws.credentials.provider', tools.s3aCredentialsProvider],
    // Arrow for the pandas UDF; the batch size is also the job's --arrow-batch-size, set here so it holds from
    // the session's first query.
    ['spark.sql.execution.arrow.pyspark.enabled', 'true'],
    ['spark.sql.execution.arrow.maxRecordsPerBatch', String(job.arrowBatchSize)],
    // The runner shows progress from the scheduler's log lines; the console bar would fill driver.log with \r.
    ['spark.ui.showConsoleProgress', 'false'],
  ];
  const jvmOptions = localJvmOptions(input.images);
  if (jvmOptions) conf.push(['spark.driver.extraJavaOptions', jvmOptions], ['spark.executor.extraJavaOptions', jvmOptions]);
  if (profile.kind === 'cluster') {
    // One executor per worker, using all of it: a bigger request than a worker offers would wait forever.
    conf.push(
      ['spark.executor.cores', String(profile.spark.workerCores)],
      ['spark.executor.memory', profile.spark.workerMemory],
      ['spark.cores.max', String(profile.spark.workers * profile.spark.workerCores)],
    );
  }
  return conf;
}

export function buildSubmitPlan(input: SubmitPlanInput): SubmitPlan {
  if (input.tools.s3aJars.length === 0) throw new Error('buildSubmitPlan: no s3a jars (setup must provide hadoop-aws and the AWS SDK jars of the release)');
  const args = [
    '--master', input.master,
    '--deploy-mode', 'client',
    '--name', `fruits-${input.runId}`,
    '--driver-memory', input.profile.spark.driverMemory,
    '--jars', input.tools.s3aJars.join(','),
  ];
  for (const [k, v] of sparkConf(input)) args.push('--conf', `${k}=${v}`);
  args.push('--py-files', input.artifact.zip, input.artifact.entrypoint);
  args.push(
    ...jobArguments({
      job: input.job,
      input: input.input,
      output: input.output,
      weights: input.weights,
      runId: input.runId,
      artifactSha256: input.artifact.sha256,
      release: input.tools.release.label,
    }),
  );
  // Not a job setting (it changes nothing in the result), so not in jobArguments: EMR runs never pass it.
  if (input.modelCache) args.push('--model-cache', input.modelCache);
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: input.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: input.s3.secretAccessKey,
    AWS_REGION: input.s3.region,
    JAVA_HOME: input.tools.javaHome,
    SPARK_HOME: input.tools.sparkHome,
    SPARK_LOCAL_IP: '127.0.0.1',
    PYSPARK_PYTHON: input.tools.python,
    PYSPARK_DRIVER_PYTHON: input.tools.python,
    // The summary line must reach us when printed, not when Python's buffer fills.
    PYTHONUNBUFFERED: '1',
  };
  return { command: input.tools.sparkSubmit, args, env, redactedEnvKeys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] };
}

/** The child's environment: the parent's, minus what would redirect Spark/Python/AWS, plus the plan's. Pure. */
export function childEnv(parent: Record<string, string | undefined>, plan: SubmitPlan): Record<string, string> {
  return childEnvFrom(parent, plan.env);
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A copy-pasteable rendering (secrets redacted): env assignments, then one option per line. */
export function formatSubmitPlan(plan: SubmitPlan): string {
  const redacted = new Set(plan.redactedEnvKeys);
  const lines = Object.entries(plan.env).map(([k, v]) => `${k}=${redacted.has(k) ? REDACTED : shellQuote(v)} \\`);
  const parts: string[] = [shellQuote(plan.command)];
  for (let i = 0; i < plan.args.length; i++) {
    const a = plan.args[i]!;
    const next = plan.args[i + 1];
    if (a.startsWith('--') && next !== undefined && !next.startsWith('--')) {
      parts.push(`${a} ${shellQuote(next)}`);
      i++;
    } else parts.push(shellQuote(a));
  }
  return [...lines, ...parts.map((p, i) => `  ${p}${i < parts.length - 1 ? ' \\' : ''}`)].join('\n');
}
