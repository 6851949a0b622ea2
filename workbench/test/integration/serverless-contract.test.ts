/**
 * Contract tests of the EMR Serverless executor, clean-up and --create-roles against moto in server mode on
 * 127.0.0.1, through the real @aws-sdk/client-emr-serverless, client-s3 and client-iam with an endpoint override.
 *
 * moto answers CreateApplication, GetApplication, ListApplications, StartJobRun, GetJobRun, ListJobRuns,
 * CancelJobRun, StopApplication, DeleteApplication, the S3 calls and the IAM calls itself. Where moto 5.1.22 has no
 * AWS-shaped answer, moto is started through workbench/test/helpers/moto_serverless.py, which patches exactly
 * that (its docstring lists each patch): AWS's new release-label shape emr-spark-8.1.0 (moto's regex rejects it),
 * applications CREATED then auto-started by the job run, and job runs that go through scripted states and write
 * the driver's stderr.gz to the log URI when they fail (moto records a SUCCESS at once and runs nothing).
 * The job itself never runs: its manifest.json is written to moto's S3 by the test, as the job would.
 * Time is a fake clock: polling and the bounded wait take no real time.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateApplicationCommand,
  GetApplicationCommand,
  GetJobRunCommand,
  ListApplicationsCommand,
  ListJobRunsCommand,
} from '@aws-sdk/client-emr-serverless';
import { GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, JobError, PlanRefusedError } from '../../src/errors.js';
import { ensureRoles } from '../../src/iam/create-roles.js';
import { emrRoles, runBucketScope } from '../../src/iam/policies.js';
import { ResourceStack, type Scope } from '../../src/lifecycle.js';
import { cleanupApplications } from '../../src/serverless/cleanup.js';
import { createServerlessClients, type ServerlessClients } from '../../src/serverless/clients.js';
import { driverStderrUri, executeServerlessPlan } from '../../src/serverless/executor.js';
import { buildServerlessPlan, type ServerlessPlan } from '../../src/serverless/plan.js';
import { billedCost, estimatedUsage } from '../../src/serverless/prices.js';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import { serverlessTarget } from '../../src/targets/serverless.js';
import { baseRun, writeRun } from '../fixtures/parity/synthetic-run.js';
import { describeFile, scanImageFolder } from '../../src/storage/local-folder.js';
import { linesOutput } from '../../src/terminal/index.js';
import { fakeClock, imageFolder } from '../helpers/emr-fixtures.js';
import { MOTO_ENV, motoPython, startMoto, type MotoServer } from '../helpers/moto.js';
import { serverlessConfig } from '../helpers/serverless-fixtures.js';

const moto = motoPython();
const REGION = 'eu-west-3';
const BUCKET = 'fruits-sls-contract';
/** moto's default account: StartJobRun refuses an execution role of another account, as AWS does. */
const ACCOUNT = '123456789012';
const WRAPPER = path.resolve(import.meta.dirname, '../helpers/moto_serverless.py');

describe.skipIf(!moto.python)(`EMR Serverless against moto (${moto.reason ?? moto.python})`, () => {
  let server: MotoServer;
  let root: string;
  let clients: ServerlessClients;
  let scriptFile: string;
  const saved: Record<string, string | undefined> = {};
  /** The config of the last plan() (its root holds runs/). */
  let planCfg: WorkbenchConfig;
  const script = (s: { states: string[]; stateDetails?: string; driverStderr?: string; billed?: Record<string, number> }) => writeFileSync(scriptFile, JSON.stringify(s));

  beforeAll(async () => {
    for (const [k, v] of Object.entries(MOTO_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    root = mkdtempSync(path.join(tmpdir(), 'wb-sls-contract-'));
    scriptFile = path.join(root, 'job-run-script.json');
    server = await startMoto({ python: moto.python, script: WRAPPER, env: { MOTO_SLS_SCRIPT: scriptFile, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
    clients = createServerlessClients({ region: REGION, endpoint: server.endpoint });
  });

  afterAll(async () => {
    clients?.destroy();
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  beforeEach(async () => {
    await server.reset();
    rmSync(scriptFile, { force: true });
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  });

  /** A real plan over real small files (images, artifact, venv archive), for moto's S3. */
  async function plan(profile: Record<string, unknown> = {}): Promise<ServerlessPlan> {
    const dir = imageFolder(root);
    const { images } = await scanImageFolder(dir);
    const art = (name: string) => {
      const p = path.join(root, 'art', name);
      writeFileSync(p, `artifact ${name}`, { flag: 'w' });
      return p;
    };
    mkdirSync(path.join(root, 'art'), { recursive: true });
    const files = { zip: await describeFile(art('fruits_pipeline.zip')), entrypoint: await describeFile(art('entrypoint.py')), lock: await describeFile(art('requirements.lock')) };
    const venvPath = path.join(root, 'environment.tar.gz');
    writeFileSync(venvPath, 'venv archive bytes');
    const cfg = serverlessConfig({ profile: { bucket: BUCKET, region: REGION, ...profile }, root: mkdtempSync(path.join(root, 'cfg-')) });
    planCfg = cfg;
    return buildServerlessPlan(cfg, {
      artifact: { sha256: 'a'.repeat(64), files: { ...files, bootstrap: files.lock, filter: files.lock } as never, wheels: [] },
      input: { kind: 'local', dir, files: images },
      runId: `20261204T150000Z-${Math.random().toString(16).slice(2, 8)}`,
      weights: { spec: 'random:0' },
      venv: { file: await describeFile(venvPath), sha256: 'b'.repeat(64), python: cfg.release.python },
      accountId: ACCOUNT,
      owner: { clone: 'this-clone' },
      createdAt: '2026-12-04T15:00:00.000Z',
    });
  }

  function scopeAndOut(onLine?: (line: string, abort: () => void) => void) {
    const controller = new AbortController();
    const lines: string[] = [];
    const out = linesOutput((l) => {
      lines.push(l);
      onLine?.(l, () => controller.abort(new Error('Ctrl-C')));
    });
    const scope: Scope = { signal: controller.signal, stack: new ResourceStack() };
    return { scope, out, lines };
  }

  const appState = async (id: string) => (await clients.emrs.send(new GetApplicationCommand({ applicationId: id }))).application?.state;
  const onlyApp = async () => {
    const apps = (await clients.emrs.send(new ListApplicationsCommand({}))).applications ?? [];
    expect(apps).toHaveLength(1);
    return apps[0]!.id!;
  };
  const onlyRun = async (applicationId: string) => (await clients.emrs.send(new ListJobRunsCommand({ applicationId }))).jobRuns![0]!;

  it('success: uploads, CreateApplication and StartJobRun exactly as planned, polled to SUCCESS, the manifest read, the application deleted', async () => {
    const p = await plan();
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `runs/${p.runId}/manifest.json`, Body: '{"run_id":"x"}' }));
    script({ states: ['PENDING', 'SCHEDULED', 'RUNNING', 'SUCCESS'] });
    const { scope, out, lines } = scopeAndOut();
    const outcome = await executeServerlessPlan(p, { emrs: clients.emrs, s3: clients.s3, out, scope, clock: fakeClock(), timing: { pollIntervalMs: 1000, stopIntervalMs: 10 } });
    expect(outcome.manifestText).toBe('{"run_id":"x"}');
    const app = (await clients.emrs.send(new GetApplicationCommand({ applicationId: outcome.applicationId }))).application!;
    expect(app.state).toBe('TERMINATED');
    expect(app.releaseLabel).toBe(p.createApplication.releaseLabel);
    expect(app.maximumCapacity).toEqual(p.createApplication.maximumCapacity);
    expect(app.autoStopConfiguration).toEqual({ enabled: true, idleTimeoutMinutes: p.idleTimeoutMinutes });
    expect(app.tags).toMatchObject({ 'fruits-workbench': 'true', 'fruits-workbench:clone': 'this-clone' });
    const run = (await clients.emrs.send(new GetJobRunCommand({ applicationId: outcome.applicationId, jobRunId: outcome.jobRunId }))).jobRun!;
    expect(run.jobDriver).toEqual(p.startJobRun.jobDriver);
    expect(run.executionRole).toBe(`arn:aws:iam::${ACCOUNT}:role/fruits-wb-serverless-${BUCKET}`);
    expect(run.configurationOverrides).toEqual(p.startJobRun.configurationOverrides);
    for (const u of p.uploads) await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: u.key }));
    expect(lines.join('\n')).toMatch(/RUNNING[\s\S]*SUCCESS[\s\S]*stopped and deleted/);
  });

  it('the target records what AWS billed (billedResourceUtilization) and its EUR in promote-outcome.json, and report.html shows it beside the estimate', async () => {
    const p = await plan();
    // The job's outputs, as the job run would write them (a synthetic run of real Parquet files), in moto's S3.
    const run = baseRun();
    run.manifest.run_id = p.runId;
    run.manifest.output_uri = p.outputUri;
    const outDir = writeRun(path.join(root, 'outputs', p.runId), run);
    for (const rel of readdirSync(outDir, { recursive: true }) as string[]) {
      const file = path.join(outDir, rel);
      if (statSync(file).isFile()) await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `runs/${p.runId}/${rel.split(path.sep).join('/')}`, Body: readFileSync(file) }));
    }
    const billed = { vCPUHour: 0.1867, memoryGBHour: 0.7467, storageGBHour: 0.25 };
    script({ states: ['PENDING', 'RUNNING', 'SUCCESS'], billed });
    const { scope, out } = scopeAndOut();
    const target = serverlessTarget(planCfg, { ...scope, out, env: {} }, { region: REGION, dryRun: false, noReference: true, clients: () => clients, timing: { pollIntervalMs: 10, stopIntervalMs: 10 } });
    const outcome = await target.execute(p);

    // GetJobRun answered the billed figures; they and their EUR at the plan's dated prices are recorded.
    const recorded = JSON.parse(readFileSync(path.join(outcome.runDir, 'promote-outcome.json'), 'utf8'));
    const cost = billedCost(REGION, billed);
    expect(cost.eur).toBeGreaterThan(0);
    expect(recorded.billed).toEqual(cost);
    expect(recorded.estimate).toEqual({ ...estimatedUsage(p.estimate), eur: p.estimate.totalEur });
    expect(outcome.summary.join('\n')).toContain(`billed     0.1867 vCPU-h, 0.7467 GB-h, 0.25 storage GB-h = ${cost.eur.toFixed(4)} EUR`);
    // The report (outputs read back from S3 through the manifest's output_uri) shows both, in the same units.
    const html = readFileSync(path.join(outcome.runDir, 'report.html'), 'utf8');
    expect(html).toContain('Cost (EMR Serverless)');
    expect(html).toContain(`<td>billed (AWS)</td><td>0.1867</td><td>0.7467</td><td>0.2500</td><td>${cost.eur.toFixed(4)} EUR</td>`);
    const e = recorded.estimate;
    expect(html).toContain(`<td>estimate (plan)</td><td>${e.vCPUHour.toFixed(4)}</td><td>${e.memoryGBHour.toFixed(4)}</td><td>${e.storageGBHour.toFixed(4)}</td><td>${e.eur.toFixed(4)} EUR</td>`);
  });

  it('AWS\'s new release label emr-spark-8.1.0 is accepted (moto\'s own check rejects it: patched in moto_serverless.py)', async () => {
    const res = await clients.emrs.send(new CreateApplicationCommand({ name: 'x', releaseLabel: 'emr-spark-8.1.0', type: 'SPARK', clientToken: 't' }));
    expect((await clients.emrs.send(new GetApplicationCommand({ applicationId: res.applicationId }))).application?.releaseLabel).toBe('emr-spark-8.1.0');
  });

  it('failure: the state details and the driver\'s stderr from the log URI (SPARK_DRIVER/stderr.gz), the application deleted', async () => {
    const p = await plan();
    script({ states: ['RUNNING', 'FAILED'], stateDetails: 'Job failed, please check complete logs in configured logging destination. ExitCode: 1.', driverStderr: 'line 1\nTraceback (most recent call last):\nfruits-job: error: no images under s3://x/\n' });
    const { scope, out, lines } = scopeAndOut();
    const err = await executeServerlessPlan(p, { emrs: clients.emrs, s3: clients.s3, out, scope, clock: fakeClock(), timing: { pollIntervalMs: 1000, logAttempts: 2, logIntervalMs: 10 } }).catch((e) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err.message).toMatch(/failed: Job failed, please check complete logs .* ExitCode: 1/);
    expect(err.fix).toBe('see the driver stderr above');
    const appId = await onlyApp();
    const run = await onlyRun(appId);
    expect(lines.join('\n')).toContain(`--- last 3 lines of ${driverStderrUri(p.logUri, appId, run.id!)} ---`);
    expect(lines.join('\n')).toContain('fruits-job: error: no images under s3://x/');
    expect(await appState(appId)).toBe('TERMINATED');
  });

  it('Ctrl-C while the job runs: the job run is cancelled and the application deleted', async () => {
    const p = await plan();
    script({ states: ['RUNNING'] });
    const { scope, out } = scopeAndOut((line, abort) => {
      if (/: RUNNING after/.test(line)) abort();
    });
    const err = await executeServerlessPlan(p, { emrs: clients.emrs, s3: clients.s3, out, scope, clock: fakeClock(), timing: { pollIntervalMs: 1000 } }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    const appId = await onlyApp();
    expect((await onlyRun(appId)).state).toBe('CANCELLED');
    expect(await appState(appId)).toBe('TERMINATED');
    // The scope's clean-up runs the same (idempotent) teardown again without failing.
    expect(await scope.stack.disposeAll(() => {})).toEqual([]);
  });

  it('past the bounded wait: the job run is cancelled and reported; a kept application is stopped, not deleted', async () => {
    const p = await plan({ keepApplication: true });
    script({ states: ['RUNNING'] });
    const { scope, out, lines } = scopeAndOut();
    const err = await executeServerlessPlan(p, { emrs: clients.emrs, s3: clients.s3, out, scope, clock: fakeClock(), timing: { pollIntervalMs: 10_000, waitLimitMs: 60_000 } }).catch((e) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err.message).toMatch(/was still RUNNING after 1m00s .*cancelled/);
    const appId = await onlyApp();
    expect((await onlyRun(appId)).state).toBe('CANCELLED');
    expect(await appState(appId)).toBe('STOPPED');
    expect(lines.join('\n')).toMatch(/kept, as the profile says/);
  });

  it('refuses a plan without a venv archive before anything is created', async () => {
    const p = await plan();
    const { scope, out } = scopeAndOut();
    const err = await executeServerlessPlan({ ...p, venv: { ...p.venv, sha256: null } }, { emrs: clients.emrs, s3: clients.s3, out, scope, clock: fakeClock() }).catch((e) => e);
    expect(err).toBeInstanceOf(PlanRefusedError);
    expect((await clients.emrs.send(new ListApplicationsCommand({}))).applications).toEqual([]);
  });

  it('--cleanup: only this clone\'s workbench applications; --all: every workbench one; untagged ones never', async () => {
    const make = async (name: string, tags: Record<string, string>) =>
      (await clients.emrs.send(new CreateApplicationCommand({ name, releaseLabel: 'emr-7.13.0', type: 'SPARK', clientToken: name, tags }))).applicationId!;
    const mine = await make('mine', { 'fruits-workbench': 'true', 'fruits-workbench:clone': 'this-clone' });
    const colleague = await make('colleague', { 'fruits-workbench': 'true', 'fruits-workbench:clone': 'other-clone' });
    const foreign = await make('foreign', { team: 'data' });
    const { out, lines } = scopeAndOut();
    const ended = await cleanupApplications(clients, { region: REGION, out, clock: fakeClock(), clone: 'this-clone', stopIntervalMs: 10 });
    expect(ended.map((a) => a.id)).toEqual([mine]);
    expect(lines.join('\n')).toMatch(/1 other workbench application\(s\) created elsewhere left alone/);
    expect([await appState(mine), await appState(colleague), await appState(foreign)]).toEqual(['TERMINATED', 'CREATED', 'CREATED']);
    const all = await cleanupApplications(clients, { region: REGION, out, clock: fakeClock(), clone: 'this-clone', all: true, stopIntervalMs: 10 });
    expect(all.map((a) => a.id)).toEqual([colleague]);
    expect([await appState(colleague), await appState(foreign)]).toEqual(['TERMINATED', 'CREATED']);
  });

  it('--create-roles: the execution role and the EC2 roles, scoped to the bucket, tagged, idempotent (moto IAM)', async () => {
    const p = await plan();
    const scope = runBucketScope(BUCKET, { inputsPrefix: 'inputs', runsPrefix: 'runs' });
    const specs = [...p.roles, ...emrRoles(scope)];
    const { out } = scopeAndOut();
    const first = await ensureRoles(clients.iam, specs, out);
    expect(first.map((r) => r.created)).toEqual([true, true, true]);
    const second = await ensureRoles(clients.iam, specs, out);
    expect(second.map((r) => r.created)).toEqual([false, false, false]);
    const job = (await clients.iam.send(new GetRoleCommand({ RoleName: p.roles[0]!.name }))).Role!;
    expect(job.Tags).toContainEqual({ Key: 'fruits-workbench', Value: 'true' });
    expect(JSON.parse(decodeURIComponent(job.AssumeRolePolicyDocument!)).Statement[0].Principal.Service).toBe('emr-serverless.amazonaws.com');
    const inline = await clients.iam.send(new GetRolePolicyCommand({ RoleName: p.roles[0]!.name, PolicyName: 'fruits-workbench-job-s3' }));
    const doc = JSON.parse(decodeURIComponent(inline.PolicyDocument!));
    expect(doc.Statement.flatMap((s: { Resource: string[] }) => s.Resource).every((r: string) => r.startsWith(`arn:aws:s3:::${BUCKET}`))).toBe(true);
    const [service, nodes] = emrRoles(scope);
    expect((await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: service!.name }))).AttachedPolicies?.map((a) => a.PolicyArn)).toEqual([
      'arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2',
    ]);
    const profile = (await clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: nodes!.name }))).InstanceProfile!;
    expect(profile.Roles?.map((r) => r.RoleName)).toEqual([nodes!.name]);
  });
});
