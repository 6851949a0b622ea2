import { describe, expect, it } from 'vitest';
import { buildPromotePlan, stepJobArguments } from '../../src/emr/plan.js';
import { ConfigError, PlanRefusedError } from '../../src/errors.js';
import { APPLICATION_ID_PLACEHOLDER, buildServerlessPlan, jobRunArguments } from '../../src/serverless/plan.js';
import { emrConfig, fakeFile, planInputs } from '../helpers/emr-fixtures.js';
import { serverlessConfig, serverlessInputs } from '../helpers/serverless-fixtures.js';
import { testProfile } from './forecast-fixtures.js';

const conf = (params: string | undefined) => Object.fromEntries((params ?? '').split(' --conf ').map((p) => p.replace(/^--conf /, '').split(/=(.*)/s).slice(0, 2)));

describe('buildServerlessPlan', () => {
  it('the entry point and its arguments are byte-identical to the EC2 step\'s for the same run', () => {
    const emr = buildPromotePlan(emrConfig(), planInputs());
    const cfg = serverlessConfig();
    const sls = buildServerlessPlan(cfg, serverlessInputs(cfg));
    const stepArgs = emr.runJobFlow.Steps![0]!.HadoopJarStep!.Args!;
    const entry = stepArgs.findIndex((a) => a.endsWith('/entrypoint.py'));
    expect(sls.startJobRun.jobDriver?.sparkSubmit?.entryPoint).toBe(stepArgs[entry]);
    expect(jobRunArguments(sls)).toEqual(stepJobArguments(emr));
    expect(JSON.stringify(jobRunArguments(sls))).toBe(JSON.stringify(stepJobArguments(emr)));
    // --py-files on EC2 is spark.submit.pyFiles here: the same zip.
    expect(conf(sls.startJobRun.jobDriver?.sparkSubmit?.sparkSubmitParameters)['spark.submit.pyFiles']).toBe(stepArgs[stepArgs.indexOf('--py-files') + 1]);
  });

  it('application request: the release, x86_64, maximumCapacity = the planned workers, autoStop, workbench tags', () => {
    const cfg = serverlessConfig({ profile: { tags: { team: 'data', 'fruits-workbench': 'false' }, idleTimeoutMinutes: 3 } });
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg, { owner: { clone: 'clone-1', identity: 'arn:aws:iam::1:user/me' } }));
    const a = p.createApplication;
    expect(a).toMatchObject({ type: 'SPARK', architecture: 'X86_64', releaseLabel: cfg.release.label, autoStartConfiguration: { enabled: true }, autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 3 } });
    expect(a.maximumCapacity).toEqual({ cpu: `${p.sizing.capacity.vcpu} vCPU`, memory: `${p.sizing.capacity.memoryGb} GB`, disk: `${p.sizing.capacity.diskGb} GB` });
    expect(a.tags).toMatchObject({ 'fruits-workbench': 'true', team: 'data', 'fruits-workbench:run-id': p.runId, 'fruits-workbench:clone': 'clone-1', 'fruits-workbench:started-by': 'arn:aws:iam::1:user/me' });
    expect(p.startJobRun.tags).toEqual(a.tags);
  });

  it('job-run request: venv archive as #environment, PYSPARK_PYTHON into it for driver and executors, sizes, log URI, timeout', () => {
    const cfg = serverlessConfig();
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg, { accountId: '123456789012' }));
    const r = p.startJobRun;
    expect(r.applicationId).toBe(APPLICATION_ID_PLACEHOLDER);
    const c = conf(r.jobDriver?.sparkSubmit?.sparkSubmitParameters);
    expect(c['spark.archives']).toBe(`s3://fruits-test-bucket/artifacts/${'f'.repeat(64)}/environment.tar.gz#environment`);
    expect(c['spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON']).toBe('./environment/bin/python');
    expect(c['spark.emr-serverless.driverEnv.PYSPARK_PYTHON']).toBe('./environment/bin/python');
    expect(c['spark.executorEnv.PYSPARK_PYTHON']).toBe('./environment/bin/python');
    for (const [k, v] of Object.entries(p.sizing.sparkConf)) expect(c[k]).toBe(v);
    expect(r.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri).toBe('s3://fruits-test-bucket/logs/');
    expect(r.executionTimeoutMinutes).toBe(p.executionTimeoutMinutes);
    expect(r.executionRoleArn).toBe('arn:aws:iam::123456789012:role/fruits-wb-serverless-fruits-test-bucket');
    expect(p.uploads.map((u) => `${u.role} ${u.key}`)).toEqual([
      'input inputs/fruits-sample/Apple/1_100.jpg',
      'input inputs/fruits-sample/Banana/2_100.jpg',
      `artifact artifacts/${'f'.repeat(64)}/fruits_pipeline.zip`,
      `artifact artifacts/${'f'.repeat(64)}/entrypoint.py`,
      `artifact artifacts/${'f'.repeat(64)}/requirements.lock`,
      `venv artifacts/${'f'.repeat(64)}/environment.tar.gz`,
    ]);
    const venv = p.uploads.find((u) => u.role === 'venv')!;
    expect(venv).toMatchObject({ source: '/cache/venvs/env.tar.gz', bytes: 5_000_000 });
    expect(p.venv).toEqual({ uri: `s3://fruits-test-bucket/artifacts/${'f'.repeat(64)}/environment.tar.gz`, sha256: 'e'.repeat(64), python: cfg.release.python });
  });

  it('the archive URI is the artifact\'s: the same with or without the archive built (a dry run shows the real request)', () => {
    const cfg = serverlessConfig();
    const built = buildServerlessPlan(cfg, serverlessInputs(cfg, {}));
    const shown = buildServerlessPlan(cfg, serverlessInputs(cfg, { venv: undefined }));
    expect(shown.venv.uri).toBe(built.venv.uri);
    expect(shown.startJobRun.jobDriver?.sparkSubmit?.sparkSubmitParameters).toBe(built.startJobRun.jobDriver?.sparkSubmit?.sparkSubmitParameters);
    expect(shown.uploads.some((u) => u.role === 'venv')).toBe(false);
  });

  it('the execution role is scoped to the bucket: read inputs/artifacts/weights, write runs/ and logs/', () => {
    const cfg = serverlessConfig();
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg));
    expect(p.roles).toHaveLength(1);
    const role = p.roles[0]!;
    expect(role.trust.Statement[0]!.Principal.Service).toBe('emr-serverless.amazonaws.com');
    const byId = Object.fromEntries(role.inline!.document.Statement.map((s) => [s.Sid, s]));
    expect(byId.ReadInputsArtifactWeights!.Resource).toEqual(['inputs/', 'artifacts/', 'weights/'].map((x) => `arn:aws:s3:::fruits-test-bucket/${x}*`));
    expect(byId.WriteRunsAndLogs!.Resource).toEqual(['arn:aws:s3:::fruits-test-bucket/runs/*', 'arn:aws:s3:::fruits-test-bucket/logs/*']);
    expect(JSON.stringify(role.inline!.document)).not.toMatch(/arn:aws:s3:::\*|"s3:\*"/);
    // A role given as an ARN is the user's: nothing to create.
    const own = serverlessConfig({ profile: { executionRole: 'arn:aws:iam::1:role/theirs' } });
    expect(buildServerlessPlan(own, serverlessInputs(own)).roles).toEqual([]);
  });

  it('with a throughput profile: forecast priced, timeout = forecast x 1.5 + 10 within the budget', () => {
    const cfg = serverlessConfig();
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg, { throughput: testProfile }));
    expect(p.forecast).not.toBeNull();
    expect(p.estimate.minutes).toBe(p.forecast!.billedMinutes);
    expect(p.executionTimeoutMinutes).toBe(Math.ceil(p.forecast!.billedMinutes * 1.5 + 10));
  });

  it('without a forecast: plannedMinutes priced and the timeout; over the budget refused', () => {
    const cfg = serverlessConfig({ profile: { plannedMinutes: 45 } });
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg));
    expect(p.forecast).toBeNull();
    expect(p.executionTimeoutMinutes).toBe(45);
    expect(p.estimate.minutes).toBe(45);
    const big = serverlessConfig({ profile: { executors: 100, executorVcpu: 16, plannedMinutes: 600, budgetEur: 5 } });
    expect(() => buildServerlessPlan(big, serverlessInputs(big))).toThrow(PlanRefusedError);
  });

  it('no venv archive: the plan says so (shown, not executable); a wrong Python is refused', () => {
    const cfg = serverlessConfig();
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg, { venv: undefined }));
    expect(p.venv.sha256).toBeNull();
    expect(p.warnings.join('\n')).toMatch(/venv archive .* not in this plan/);
    expect(() => buildServerlessPlan(cfg, serverlessInputs(cfg, { venv: { file: fakeFile('/x.tar.gz'), sha256: 'a'.repeat(64), python: '2.7' } }))).toThrow(ConfigError);
  });

  it('a region without a Serverless price is refused; a non-EU region never gets this far', () => {
    expect(() => serverlessConfig({ profile: { region: 'us-east-1' } })).toThrow(ConfigError);
    const cfg = serverlessConfig({ profile: { region: 'eu-south-2' } });
    expect(() => buildServerlessPlan(cfg, serverlessInputs(cfg))).toThrow(/no EMR Serverless price known for eu-south-2/);
  });

  it('an s3:// input elsewhere is read in place and the role may read it', () => {
    const cfg = serverlessConfig();
    const p = buildServerlessPlan(cfg, serverlessInputs(cfg, { input: { kind: 's3', uri: 's3a://other-bucket/big/' } }));
    expect(p.inputUri).toBe('s3://other-bucket/big/');
    expect(p.uploads.some((u) => u.role === 'input')).toBe(false);
    expect(JSON.stringify(p.roles[0]!.inline!.document)).toContain('arn:aws:s3:::other-bucket/big/*');
  });
});
