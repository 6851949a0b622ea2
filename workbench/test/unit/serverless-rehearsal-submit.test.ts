/** The Serverless job run as a spark-submit on the local YARN: what is kept as planned, what is swapped. */
import { describe, expect, it } from 'vitest';
import { PlanRefusedError } from '../../src/errors.js';
import { buildServerlessPlan } from '../../src/serverless/plan.js';
import { parseSparkSubmitParameters, pathWithout, serverlessRehearsalNode, serverlessRehearsalSubmit } from '../../src/targets/rehearsal/serverless-submit.js';
import { serverlessConfig, serverlessInputs } from '../helpers/serverless-fixtures.js';

const input = (plan: ReturnType<typeof buildServerlessPlan>) => ({
  sparkSubmitParameters: plan.startJobRun.jobDriver!.sparkSubmit!.sparkSubmitParameters!,
  entryPoint: plan.startJobRun.jobDriver!.sparkSubmit!.entryPoint!,
  entryPointArguments: plan.startJobRun.jobDriver!.sparkSubmit!.entryPointArguments!,
  archive: '/cache/serverless/venv-archives/emr-spark-8.1.0-abc.tar.gz',
  driverEnvironment: '/tmp/r/environment',
  sparkSubmit: '/spark/bin/spark-submit',
  sparkHome: '/spark',
  javaHome: '/jdk',
  s3aJars: ['/j/a.jar', '/j/b.jar'],
  hadoopConfDir: '/yarn/conf',
  yarnConf: { 'spark.yarn.jars': 'local:/spark/jars/*' },
  executorInstances: 2,
  s3: { region: 'eu-west-3', accessKeyId: 'AK', secretAccessKey: 'SK' },
});

describe('Serverless rehearsal submit', () => {
  const cfg = serverlessConfig();
  const plan = buildServerlessPlan(cfg, serverlessInputs(cfg, {}));

  it('parses the plan\'s sparkSubmitParameters back into its conf', () => {
    const conf = parseSparkSubmitParameters(plan.startJobRun.jobDriver!.sparkSubmit!.sparkSubmitParameters!);
    expect(conf['spark.archives']).toBe(`${plan.venv.uri}#environment`);
    for (const [k, v] of Object.entries(plan.sizing.sparkConf)) expect(conf[k]).toBe(v);
    expect(() => parseSparkSubmitParameters('--jars x')).toThrow(/--conf k=v/);
  });

  it('keeps the entry point, its arguments and the planned conf; the archive from this machine as #environment', () => {
    const s = serverlessRehearsalSubmit(input(plan));
    const args = s.args;
    const entry = args.indexOf(plan.startJobRun.jobDriver!.sparkSubmit!.entryPoint!);
    expect(args.slice(entry + 1)).toEqual(plan.startJobRun.jobDriver!.sparkSubmit!.entryPointArguments);
    expect(args.slice(0, 4)).toEqual(['--master', 'yarn', '--deploy-mode', 'client']);
    expect(args[args.indexOf('--archives') + 1]).toBe('/cache/serverless/venv-archives/emr-spark-8.1.0-abc.tar.gz#environment');
    const conf = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--conf' ? [[a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]] : [])));
    expect(conf['spark.archives']).toBeUndefined();
    expect(conf['spark.submit.pyFiles']).toBe(parseSparkSubmitParameters(input(plan).sparkSubmitParameters)['spark.submit.pyFiles']);
    expect(conf['spark.executor.memory']).toBe(plan.sizing.sparkConf['spark.executor.memory']);
    expect(conf['spark.executor.instances']).toBe('2');
    expect(conf['spark.pyspark.python']).toBe('./environment/bin/python');
    expect(conf['spark.executorEnv.PYSPARK_PYTHON']).toBe('./environment/bin/python');
    expect(conf['spark.pyspark.driver.python']).toBe('/tmp/r/environment/bin/python');
    expect(s.env.PYSPARK_PYTHON).toBe('./environment/bin/python');
    expect(s.redactedEnvKeys).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(args.join(' ')).not.toContain('SK');
  });

  it('refuses a job run without the archive', () => {
    const i = input(plan);
    expect(() => serverlessRehearsalSubmit({ ...i, sparkSubmitParameters: i.sparkSubmitParameters.replace(/--conf spark\.archives=\S+/, '') })).toThrow(/spark\.archives/);
  });

  it('a node of executors of the planned size, as many as the host budget holds', () => {
    const w = (memoryGb: number) => ({ vcpu: 4 as const, memoryGb, diskGb: 20, heapMb: 1, overheadMb: 1 });
    expect(serverlessRehearsalNode({ executors: 4, executor: w(12) }, 16384)).toEqual({ nodeManagerMemoryMb: 1024 + 12288, nodeManagerVcores: 5, maxAllocationMb: 12288, executorInstances: 1, scaledDown: true });
    expect(serverlessRehearsalNode({ executors: 1, executor: w(8) }, 16384)).toMatchObject({ executorInstances: 1, scaledDown: false, nodeManagerMemoryMb: 1024 + 8192 });
    expect(() => serverlessRehearsalNode({ executors: 4, executor: w(16) }, 16384)).toThrow(PlanRefusedError);
  });
});

describe('PATH without the project venv', () => {
  it('drops the venv folders and keeps the rest', () => {
    expect(pathWithout('/c/venvs/x/bin:/usr/bin:/c/venvs:/bin', ['/c/venvs/x/bin', '/c/venvs'])).toBe('/usr/bin:/bin');
  });
});
