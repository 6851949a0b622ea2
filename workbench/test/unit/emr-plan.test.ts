import { describe, expect, it } from 'vitest';
import { jobArguments, URI_ARGUMENTS } from '../../src/job/args.js';
import { ACCOUNT_PLACEHOLDER, buildPromotePlan, stepJobArguments, type PromotePlan } from '../../src/emr/plan.js';
import { ConfigError, PlanRefusedError } from '../../src/errors.js';
import { emrConfig, fakeFile, planInputs } from '../helpers/emr-fixtures.js';
import { summarizePlan } from '../../src/emr/plan-summary.js';
import { DEFAULT_RELEASE } from '../../src/config/releases.js';

/** The fields a reviewer checks in a plan, in one readable object. */
function keyFields(p: PromotePlan) {
  const r = p.runJobFlow;
  return {
    region: p.region,
    bucket: p.bucket,
    release: r.ReleaseLabel,
    groups: r.Instances?.InstanceGroups?.map((g) => `${g.InstanceRole} ${g.InstanceCount}x${g.InstanceType} ${g.Market}`),
    keepAlive: r.Instances?.KeepJobFlowAliveWhenNoSteps,
    subnet: r.Instances?.Ec2SubnetId,
    idleTimeout: r.AutoTerminationPolicy?.IdleTimeout,
    logUri: r.LogUri,
    roles: [r.ServiceRole, r.JobFlowRole],
    bootstrap: r.BootstrapActions?.map((b) => [b.ScriptBootstrapAction?.Path, ...(b.ScriptBootstrapAction?.Args ?? [])]),
    tags: Object.fromEntries((r.Tags ?? []).map((t) => [t.Key, t.Value])),
    uploads: p.uploads.map((u) => `${u.role} ${u.key}`),
    totalEur: p.estimate.totalEur,
  };
}

describe('buildPromotePlan', () => {
  it('default emr profile: m5.xlarge 1+2 on demand in eu-west-3, every piece in the bucket', () => {
    const plan = buildPromotePlan(emrConfig(), planInputs());
    expect(keyFields(plan)).toMatchSnapshot();
    expect(plan.inputUri).toBe('s3://fruits-test-bucket/inputs/fruits-sample/');
    expect(plan.outputUri).toBe('s3://fruits-test-bucket/runs/20261125T200102Z-ab12cd/');
    expect(plan.runJobFlow.Applications).toEqual([{ Name: 'Spark' }]);
  });

  it('spot, another region, other types, a subnet and user tags', () => {
    const cfg = emrConfig({
      profile: {
        region: 'eu-central-1',
        spot: true,
        master: { instanceType: 'm5.2xlarge', count: 1 },
        core: { instanceType: 'r5.xlarge', count: 4 },
        subnetId: 'subnet-0abc',
        idleTimeoutMinutes: 15,
        plannedMinutes: 90,
        tags: { team: 'data', 'fruits-workbench': 'false' },
      },
    });
    const plan = buildPromotePlan(cfg, planInputs());
    expect(keyFields(plan)).toMatchSnapshot();
    // Spot on core only; our owner tag cannot be overridden by a user tag.
    expect(plan.runJobFlow.Instances?.InstanceGroups?.map((g) => g.Market)).toEqual(['ON_DEMAND', 'SPOT']);
    expect(plan.runJobFlow.Tags).toContainEqual({ Key: 'fruits-workbench', Value: 'true' });
    expect(plan.runJobFlow.Tags).not.toContainEqual({ Key: 'fruits-workbench', Value: 'false' });
    expect(plan.runJobFlow.Tags).toContainEqual({ Key: 'team', Value: 'data' });
  });

  it('default bucket name: <storage.bucket>-<account>-<region>, placeholder without the account', () => {
    const cfg = emrConfig({ profile: { bucket: '', region: 'eu-north-1' } });
    expect(buildPromotePlan(cfg, planInputs({ accountId: '123456789012' })).bucket).toBe('fruits-workbench-123456789012-eu-north-1');
    expect(buildPromotePlan(cfg, planInputs()).bucket).toBe(`fruits-workbench-${ACCOUNT_PLACEHOLDER}-eu-north-1`);
  });

  it('uploads a weights file and passes its s3:// URI; imagenet and s3a:// specs pass through', () => {
    const cfg = emrConfig();
    const withFile = buildPromotePlan(cfg, planInputs({ weights: { spec: '/cache/w.weights.h5', file: fakeFile('/cache/w.weights.h5', 'c') } }));
    expect(withFile.uploads.filter((u) => u.role === 'weights').map((u) => u.key)).toEqual([`weights/${'c'.repeat(32)}/w.weights.h5`]);
    expect(withFile.weightsSpec).toBe(`s3://fruits-test-bucket/weights/${'c'.repeat(32)}/w.weights.h5`);
    expect(buildPromotePlan(cfg, planInputs({ weights: { spec: 'imagenet' } })).weightsSpec).toBe('imagenet');
    expect(buildPromotePlan(cfg, planInputs({ weights: { spec: 's3a://b/w.h5' } })).weightsSpec).toBe('s3://b/w.h5');
  });

  it('uses an s3:// (or s3a://) input in place, uploading only the artifact', () => {
    const plan = buildPromotePlan(emrConfig(), planInputs({ input: { kind: 's3', uri: 's3a://fruits-test-bucket/big/' } }));
    expect(plan.inputUri).toBe('s3://fruits-test-bucket/big/');
    expect(plan.uploads.every((u) => u.role === 'artifact')).toBe(true);
  });

  it('sets PYSPARK_PYTHON to the release python for Spark and YARN, and the bootstrap gets the artifact, python and Spark versions', () => {
    const plan = buildPromotePlan(emrConfig(), planInputs());
    const conf = plan.runJobFlow.Configurations!;
    expect(conf.find((c) => c.Classification === 'spark-env')?.Configurations?.[0]?.Properties?.PYSPARK_PYTHON).toBe('/usr/bin/python3.11');
    expect(conf.find((c) => c.Classification === 'yarn-env')?.Configurations?.[0]?.Properties?.PYSPARK_PYTHON).toBe('/usr/bin/python3.11');
    expect(plan.runJobFlow.BootstrapActions?.[0]?.ScriptBootstrapAction?.Args).toEqual([`s3://fruits-test-bucket/artifacts/${'f'.repeat(64)}/`, '3.11', DEFAULT_RELEASE.spark]);
    // The runtime wheels travel in the artifact, under its content-addressed prefix: no node needs PyPI.
    expect(plan.uploads.filter((u) => u.key.includes('/wheels/')).map((u) => u.key)).toEqual([
      `artifacts/${'f'.repeat(64)}/wheels/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl`,
    ]);
  });

  it('is JSON-serializable as is', () => {
    const plan = buildPromotePlan(emrConfig(), planInputs());
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('refuses before building: non-EU region (via the guard), wrong release, over budget, bad master count', () => {
    // The schema already refuses a non-EU region in workbench.yaml; the guard refuses it for anything built by hand.
    const cfg = emrConfig();
    const london = { ...cfg, profile: { ...cfg.profile, region: 'eu-west-2' } } as typeof cfg;
    expect(() => buildPromotePlan(london, planInputs())).toThrow(/London/);
    expect(() => emrConfig({ profile: { release: 'emr-7.10.0' } })).toThrow(/must be a supported release/);
    expect(() => buildPromotePlan(emrConfig({ profile: { core: { instanceType: 'r5.xlarge', count: 20 }, plannedMinutes: 600 } }), planInputs())).toThrow(/above the budget/);
    expect(() => buildPromotePlan(emrConfig({ profile: { master: { instanceType: 'm5.xlarge', count: 2 } } }), planInputs())).toThrow(/master group/);
  });

  it('refuses a non-emr profile', () => {
    const cfg = emrConfig();
    const local = { ...cfg, profileName: 'local', profile: cfg.profiles.local! };
    expect(() => buildPromotePlan(local, planInputs())).toThrow(ConfigError);
  });
});

describe('the EMR step runs the same job as the local run', () => {
  const jobs = [
    {},
    { pca: { k: 12, standardize: true }, imageSize: 160, interpolation: 'lanczos', arrowBatchSize: 16, partitions: 8 },
    { pca: { varianceThreshold: 0.9 } },
  ];
  it.each(jobs)('identical arguments except the URIs (job %j)', (job) => {
    const cfg = emrConfig({ job });
    const plan = buildPromotePlan(cfg, planInputs({ weights: { spec: '/cache/w.h5', file: fakeFile('/cache/w.h5', 'd') } }));
    const emr = stepJobArguments(plan);
    const local = jobArguments({
      job: cfg.job,
      input: 's3a://fruits-workbench/inputs/fruits-sample/',
      output: 's3a://fruits-workbench/runs/20261125T200102Z-ab12cd/',
      weights: '/cache/w.h5',
      runId: '20261125T200102Z-ab12cd',
      artifactSha256: 'f'.repeat(64),
      release: cfg.release.label,
    });
    expect(emr).toHaveLength(local.length);
    for (let i = 0; i < local.length; i++) {
      if ((URI_ARGUMENTS as readonly string[]).includes(local[i - 1] ?? '')) {
        expect(emr[i]).toMatch(/^s3:\/\//);
        expect(local[i]).not.toBe(emr[i]);
      } else {
        expect(emr[i]).toBe(local[i]);
      }
    }
  });

  it('runs spark-submit through command-runner.jar in client mode with the artifact zip as --py-files', () => {
    const plan = buildPromotePlan(emrConfig(), planInputs());
    const step = plan.runJobFlow.Steps![0]!;
    expect(step.HadoopJarStep?.Jar).toBe('command-runner.jar');
    expect(step.ActionOnFailure).toBe('TERMINATE_CLUSTER');
    const args = step.HadoopJarStep!.Args!;
    const sha = 'f'.repeat(64);
    expect(args.slice(0, 5)).toEqual(['spark-submit', '--master', 'yarn', '--deploy-mode', 'client']);
    const pyFiles = args.indexOf('--py-files');
    expect(args.slice(pyFiles, pyFiles + 3)).toEqual([
      '--py-files', `s3://fruits-test-bucket/artifacts/${sha}/fruits_pipeline.zip`, `s3://fruits-test-bucket/artifacts/${sha}/entrypoint.py`,
    ]);
  });

  it('sizes executors explicitly for the core instance type, Python workers included, and never maximizes resources', () => {
    const plan = buildPromotePlan(emrConfig(), planInputs());
    const args = plan.runJobFlow.Steps![0]!.HadoopJarStep!.Args!;
    const conf = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--conf' ? [a.split('=') as [string, string]] : [])));
    expect(conf).toEqual(plan.sizing.sparkConf);
    expect(conf['spark.executor.memory']).toMatch(/^\d+m$/);
    expect(conf['spark.executor.memoryOverhead']).toMatch(/^\d+m$/);
    // The overhead holds the JVM's own plus every Python worker of the executor at its measured peak x margin.
    expect(parseInt(conf['spark.executor.memoryOverhead']!, 10)).toBe(plan.sizing.jvmOverheadMb + plan.sizing.workersPerExecutor * plan.sizing.perWorkerMb);
    expect(JSON.stringify(plan.runJobFlow)).not.toContain('maximizeResourceAllocation');
    expect(summarizePlan(plan).join('\n')).toMatch(/sizing {4}per m5\.xlarge core node \(YARN 12288 MB, 4 vcores\)/);
  });

  it('refuses a core instance type it has no sizing for, listing the supported ones', () => {
    expect(() => buildPromotePlan(emrConfig({ profile: { core: { instanceType: 't3.micro', count: 2 } } }), planInputs())).toThrow(/no YARN sizing known for core instance type "t3\.micro"/);
  });
});
