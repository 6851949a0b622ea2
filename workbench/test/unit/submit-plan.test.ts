import { describe, expect, it } from 'vitest';
import { JobSchema, type ClusterProfile, type LocalProfile } from '../../src/config/schema.js';
import { buildSubmitPlan, C2_FROM_IMAGES, childEnv, formatSubmitPlan, localJvmOptions, REDACTED, type SubmitPlanInput } from '../../src/job/submit-plan.js';

const SECRET = 'S3cr3t-generated-xyz';
const ACCESS = 'AKgeneratedkey';
const local: LocalProfile = { kind: 'local', region: 'eu-west-3', release: 'emr-7.13.0', spark: { master: 'local[*]', driverMemory: '4g' } };
const cluster: ClusterProfile = {
  kind: 'cluster',
  region: 'eu-west-3',
  release: 'emr-7.13.0',
  spark: { workers: 2, workerCores: 1, workerMemory: '3g', driverMemory: '2g' },
};

function input(over: Partial<SubmitPlanInput> = {}): SubmitPlanInput {
  return {
    tools: {
      python: '/c/venv/bin/python',
      sparkHome: '/c/venv/lib/python3.11/site-packages/pyspark',
      sparkSubmit: '/c/venv/lib/python3.11/site-packages/pyspark/bin/spark-submit',
      s3aJars: ['/c/jars/hadoop-aws-3.3.4.jar', '/c/jars/aws-java-sdk-bundle-1.12.262.jar'],
      s3aCredentialsProvider: 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
      release: { label: 'emr-7.13.0' },
      javaHome: '/usr/lib/jvm/java-17',
    },
    master: 'local[*]',
    profile: local,
    s3: { endpoint: 'http://127.0.0.1:9123', region: 'eu-west-3', accessKeyId: ACCESS, secretAccessKey: SECRET },
    artifact: { zip: '/t/a/fruits_pipeline.zip', entrypoint: '/t/a/entrypoint.py', sha256: 'abc123' },
    job: JobSchema.parse({}),
    input: 's3a://fruits-workbench/inputs/fruits-synthetic/',
    output: 's3a://fruits-workbench/runs/r1/',
    weights: 'random:0',
    runId: 'r1',
    ...over,
  };
}

describe('buildSubmitPlan', () => {
  it('builds the exact spark-submit command line for the local profile', () => {
    const plan = buildSubmitPlan(input());
    expect(plan.command).toBe('/c/venv/lib/python3.11/site-packages/pyspark/bin/spark-submit');
    expect(plan.args).toEqual([
      '--master', 'local[*]',
      '--deploy-mode', 'client',
      '--name', 'fruits-r1',
      '--driver-memory', '4g',
      '--jars', '/c/jars/hadoop-aws-3.3.4.jar,/c/jars/aws-java-sdk-bundle-1.12.262.jar',
      '--conf', 'spark.driver.host=127.0.0.1',
      '--conf', 'spark.driver.bindAddress=127.0.0.1',
      '--conf', 'spark.pyspark.python=/c/venv/bin/python',
      '--conf', 'spark.pyspark.driver.python=/c/venv/bin/python',
      '--conf', 'spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9123',
      '--conf', 'spark.hadoop.fs.s3a.endpoint.region=eu-west-3',
      '--conf', 'spark.hadoop.fs.s3a.path.style.access=true',
      '--conf', 'spark.hadoop.fs.s3a.connection.ssl.enabled=false',
      '--conf', 'spark.hadoop.fs.s3a.aws.credentials.provider=com.amazonaws.auth.EnvironmentVariableCredentialsProvider',
      '--conf', 'spark.sql.execution.arrow.pyspark.enabled=true',
      '--conf', 'spark.sql.execution.arrow.maxRecordsPerBatch=64',
      '--conf', 'spark.ui.showConsoleProgress=false',
      '--conf', 'spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1',
      '--conf', 'spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1',
      '--py-files', '/t/a/fruits_pipeline.zip',
      '/t/a/entrypoint.py',
      '--input', 's3a://fruits-workbench/inputs/fruits-synthetic/',
      '--output', 's3a://fruits-workbench/runs/r1/',
      '--weights', 'random:0',
      '--pca-variance', '0.95',
      '--image-size', '224',
      '--interpolation', 'bilinear',
      '--arrow-batch-size', '64',
      '--partitions', '0',
      '--images-per-task', '6300',
      '--engine', 'onnxruntime',
      '--precision', 'f32',
      '--run-id', 'r1',
      '--artifact-sha256', 'abc123',
      '--release', 'emr-7.13.0',
    ]);
  });

  it('runs the JVM with C1 only for a small or unknown input, with its default JIT from C2_FROM_IMAGES images', () => {
    const javaOptions = (images?: number) => buildSubmitPlan(input({ images })).args.filter((a) => a.includes('extraJavaOptions'));
    const c1 = ['spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1', 'spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1'];
    expect(javaOptions()).toEqual(c1);
    expect(javaOptions(C2_FROM_IMAGES - 1)).toEqual(c1);
    expect(javaOptions(C2_FROM_IMAGES)).toEqual([]);
    expect(localJvmOptions(99_840)).toBeUndefined();
  });

  it('keeps credentials out of the arguments and puts them in the environment', () => {
    const plan = buildSubmitPlan(input());
    expect(plan.args.join(' ')).not.toContain(SECRET);
    expect(plan.args.join(' ')).not.toContain(ACCESS);
    expect(plan.env).toMatchObject({
      AWS_ACCESS_KEY_ID: ACCESS,
      AWS_SECRET_ACCESS_KEY: SECRET,
      PYSPARK_PYTHON: '/c/venv/bin/python',
      PYSPARK_DRIVER_PYTHON: '/c/venv/bin/python',
      SPARK_LOCAL_IP: '127.0.0.1',
      JAVA_HOME: '/usr/lib/jvm/java-17',
    });
    expect(plan.redactedEnvKeys).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']));
  });

  it('sizes executors to the workers on the cluster profile and changes nothing the job computes', () => {
    const l = buildSubmitPlan(input());
    const c = buildSubmitPlan(input({ profile: cluster, master: 'spark://127.0.0.1:7077' }));
    expect(c.args.slice(0, 2)).toEqual(['--master', 'spark://127.0.0.1:7077']);
    expect(c.args).toEqual(expect.arrayContaining(['spark.executor.cores=1', 'spark.executor.memory=3g', 'spark.cores.max=2'].flatMap((v) => ['--conf', v])));
    expect(c.args[c.args.indexOf('--driver-memory') + 1]).toBe('2g');
    const jobArgs = (args: string[]) => args.slice(args.indexOf('/t/a/entrypoint.py'));
    expect(jobArgs(c.args)).toEqual(jobArgs(l.args));
  });

  it('passes a fixed k and standardization through to the job', () => {
    const plan = buildSubmitPlan(input({ job: JobSchema.parse({ pca: { k: 7, standardize: true } }) }));
    expect(plan.args).toEqual(expect.arrayContaining(['--pca-k', '7', '--pca-standardize']));
    expect(plan.args).not.toContain('--pca-variance');
  });

  it('refuses to build a plan without the s3a jars', () => {
    const base = input();
    expect(() => buildSubmitPlan({ ...base, tools: { ...base.tools, s3aJars: [] } })).toThrow(/s3a jars/);
  });
});

describe('formatSubmitPlan', () => {
  it('prints the command with the secrets redacted', () => {
    const text = formatSubmitPlan(buildSubmitPlan(input()));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(ACCESS);
    expect(text).toContain(`AWS_SECRET_ACCESS_KEY=${REDACTED}`);
    expect(text).toContain("--master 'local[*]'");
    expect(text).toContain('--input s3a://fruits-workbench/inputs/fruits-synthetic/');
  });
});

describe('childEnv', () => {
  it('drops inherited AWS, Spark and Python redirections and adds the plan env', () => {
    const plan = buildSubmitPlan(input());
    const env = childEnv(
      { PATH: '/usr/bin', HOME: '/h', AWS_SESSION_TOKEN: 'tok', AWS_PROFILE: 'prod', SPARK_CONF_DIR: '/etc/spark', PYTHONPATH: '/x', LANG: 'C' },
      plan,
    );
    expect(env.PATH).toBe('/usr/bin');
    expect(env.LANG).toBe('C');
    expect(env).not.toHaveProperty('AWS_SESSION_TOKEN');
    expect(env).not.toHaveProperty('AWS_PROFILE');
    expect(env).not.toHaveProperty('SPARK_CONF_DIR');
    expect(env).not.toHaveProperty('PYTHONPATH');
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(SECRET);
  });
});

describe('job.inputFormat on the command line', () => {
  it('packed adds exactly --input-format packed, after --input; nothing else changes', () => {
    const images = buildSubmitPlan(input()).args;
    const packed = buildSubmitPlan(input({ job: JobSchema.parse({ inputFormat: 'packed' }), input: 's3a://fruits-workbench/inputs/fruits-synthetic.packed/' })).args;
    const at = packed.indexOf('--input-format');
    expect(packed.slice(at - 2, at + 2)).toEqual(['--input', 's3a://fruits-workbench/inputs/fruits-synthetic.packed/', '--input-format', 'packed']);
    const withoutFlag = [...packed.slice(0, at), ...packed.slice(at + 2)];
    expect(withoutFlag).toEqual(images.map((a) => (a === 's3a://fruits-workbench/inputs/fruits-synthetic/' ? 's3a://fruits-workbench/inputs/fruits-synthetic.packed/' : a)));
  });

  it('images (the default, or set) passes no --input-format at all', () => {
    expect(buildSubmitPlan(input()).args).not.toContain('--input-format');
    expect(buildSubmitPlan(input({ job: JobSchema.parse({ inputFormat: 'images' }) })).args).toEqual(buildSubmitPlan(input()).args);
  });
});
