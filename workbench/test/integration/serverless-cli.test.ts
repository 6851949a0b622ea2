/**
 * `npm run promote -- --profile serverless` as a user runs it: the real CLI in a child process (node + tsx). The
 * dry run and the saved plan make no AWS call; --cleanup and --create-roles go to moto in server mode on
 * 127.0.0.1 (through test/helpers/moto_serverless.py: epoch timestamps and AWS's application states, see there).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateApplicationCommand, EMRServerlessClient, GetApplicationCommand } from '@aws-sdk/client-emr-serverless';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { imageFolder } from '../helpers/emr-fixtures.js';
import { MOTO_ENV, motoPython, startMoto, type MotoServer } from '../helpers/moto.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REGION = 'eu-west-3';
const moto = motoPython();
const WRAPPER = path.resolve(import.meta.dirname, '../helpers/moto_serverless.py');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'workbench/src/cli.ts'), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials', AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** The job-run arguments with the values that differ per run (its id and output folder) blanked. */
const stable = (args: string[]) => args.map((a, i) => (args[i - 1] === '--run-id' || args[i - 1] === '--output' ? '<per run>' : a));

describe.skipIf(!moto.python)(`npm run promote --profile serverless (${moto.reason ?? moto.python})`, () => {
  let server: MotoServer;
  let tmp: string;
  let configPath: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startMoto({ python: moto.python, script: WRAPPER, env: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } });
  });
  afterAll(async () => server?.stop());

  beforeEach(async () => {
    await server.reset();
    tmp = mkdtempSync(path.join(tmpdir(), 'wb-sls-cli-'));
    configPath = path.join(tmp, 'workbench.yaml');
    writeFileSync(
      configPath,
      stringify({
        job: { input: imageFolder(tmp), weights: 'random:0' },
        profiles: {
          local: { kind: 'local' },
          emr: { kind: 'emr', region: REGION, bucket: 'fruits-cli-test', plannedMinutes: 30 },
          serverless: { kind: 'serverless', region: REGION, bucket: 'fruits-cli-test' },
        },
      }),
    );
    env = { HOME: tmp, WORKBENCH_CACHE_DIR: loadConfig({ root: REPO, env: process.env }).cacheDir };
  });

  it('--dry-run prints the application and job-run requests, the sizes and the estimate, with the EC2 step\'s arguments, and calls nothing', async () => {
    const sls = await cli(['promote', '--config', configPath, '--profile', 'serverless', '--dry-run'], env);
    expect(sls.code, sls.stderr).toBe(0);
    const plan = JSON.parse(sls.stdout);
    expect(plan).toMatchObject({ format: 'fruits-workbench/serverless-plan@1', region: REGION, bucket: 'fruits-cli-test' });
    expect(plan.createApplication).toMatchObject({ type: 'SPARK', architecture: 'X86_64', autoStopConfiguration: { enabled: true } });
    expect(plan.startJobRun.jobDriver.sparkSubmit.sparkSubmitParameters).toMatch(/spark\.archives=s3:\/\/fruits-cli-test\/artifacts\/[0-9a-f]{64}\/environment\.tar\.gz#environment/);
    expect(sls.stderr).toMatch(/driver +1 worker: 2 vCPU, \d+ GB/);
    expect(sls.stderr).toMatch(/executors 4 workers: 4 vCPU, \d+ GB/);
    expect(sls.stderr).toMatch(/capacity +maximumCapacity 18 vCPU/);
    expect(sls.stderr).toMatch(/cost +~\d+\.\d\d EUR for [\d.]+ billed min/);
    expect(sls.stderr).toContain('dry run: nothing was sent to AWS');
    const emr = await cli(['promote', '--config', configPath, '--profile', 'emr', '--dry-run'], env);
    expect(emr.code, emr.stderr).toBe(0);
    const step: string[] = JSON.parse(emr.stdout).runJobFlow.Steps[0].HadoopJarStep.Args;
    const entry = step.findIndex((a) => a.endsWith('/entrypoint.py'));
    expect(plan.startJobRun.jobDriver.sparkSubmit.entryPoint).toBe(step[entry]);
    expect(stable(plan.startJobRun.jobDriver.sparkSubmit.entryPointArguments)).toEqual(stable(step.slice(entry + 1)));
  });

  it('--plan-out then --plan: the saved plan is loaded and checked again; without a venv archive it is refused before any AWS call', async () => {
    const planFile = path.join(tmp, 'sls-plan.json');
    const out = await cli(['promote', '--config', configPath, '--profile', 'serverless', '--dry-run', '--plan-out', planFile], env);
    expect(out.code, out.stderr).toBe(0);
    const run = await cli(['promote', '--config', configPath, '--plan', planFile, '--yes'], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('refused: the plan has no venv archive');
  });

  it('--cleanup stops and deletes this clone\'s workbench applications only; --create-roles makes the scoped role (moto)', async () => {
    const emrs = new EMRServerlessClient({ region: REGION, endpoint: server.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const iam = new IAMClient({ region: REGION, endpoint: server.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    try {
      // The clone is the repository the command runs from (cli.ts: root = the checkout, whatever --config names).
      const clone = createHash('sha256').update(path.resolve(REPO)).digest('hex').slice(0, 12);
      const make = async (name: string, tags: Record<string, string>) =>
        (await emrs.send(new CreateApplicationCommand({ name, releaseLabel: 'emr-7.13.0', type: 'SPARK', clientToken: name, tags }))).applicationId!;
      const mine = await make('mine', { 'fruits-workbench': 'true', 'fruits-workbench:clone': clone });
      const other = await make('other', { 'fruits-workbench': 'true', 'fruits-workbench:clone': 'elsewhere' });
      const withMoto = { ...env, ...MOTO_ENV };
      const clean = await cli(['promote', '--config', configPath, '--profile', 'serverless', '--cleanup', '--endpoint-url', server.endpoint], withMoto);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stderr, clean.stdout).toContain(`application ${mine} stopped and deleted`);
      const state = async (id: string) => (await emrs.send(new GetApplicationCommand({ applicationId: id }))).application?.state;
      expect([await state(mine), await state(other)]).toEqual(['TERMINATED', 'CREATED']);

      const roles = await cli(['promote', '--config', configPath, '--profile', 'serverless', '--create-roles', '--endpoint-url', server.endpoint], withMoto);
      expect(roles.code, roles.stderr).toBe(0);
      expect(roles.stderr).toContain('role fruits-wb-serverless-fruits-cli-test: created');
      const role = (await iam.send(new GetRoleCommand({ RoleName: 'fruits-wb-serverless-fruits-cli-test' }))).Role!;
      expect(role.Tags).toContainEqual({ Key: 'fruits-workbench', Value: 'true' });
      const again = await cli(['promote', '--config', configPath, '--profile', 'serverless', '--create-roles', '--endpoint-url', server.endpoint], withMoto);
      expect(again.stderr).toContain('role fruits-wb-serverless-fruits-cli-test: up to date');

      // EMR on EC2: the service role and the nodes' role with its instance profile, scoped to the same bucket.
      const ec2 = await cli(['promote', '--config', configPath, '--profile', 'emr', '--create-roles', '--endpoint-url', server.endpoint], withMoto);
      expect(ec2.code, ec2.stderr).toBe(0);
      expect(ec2.stderr).toContain('role fruits-wb-emr-service-fruits-cli-test: created');
      expect(ec2.stderr).toContain('role fruits-wb-emr-nodes-fruits-cli-test: created (with its instance profile)');
      expect(ec2.stdout).toContain('serviceRole: fruits-wb-emr-service-fruits-cli-test and instanceProfile: fruits-wb-emr-nodes-fruits-cli-test');
    } finally {
      emrs.destroy();
      iam.destroy();
    }
  });
});
