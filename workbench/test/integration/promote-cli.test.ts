/**
 * `npm run promote` as a user runs it: the real CLI in a child process (node + tsx), against moto in server
 * mode on 127.0.0.1 through --endpoint-url. The artifact is packed from this repo's pipeline/.
 *
 * moto covers: the bucket and uploads, RunJobFlow, ListSteps/DescribeCluster/DescribeStep, TerminateJobFlows
 * (-> TERMINATED). moto never completes the step, so the run is interrupted with SIGINT while it waits, which
 * is the point of the first test: Ctrl-C must still terminate the cluster and say so. The other tests make
 * no AWS call at all (dry run without credentials, refusals).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeClusterCommand, EMRClient, ListClustersCommand } from '@aws-sdk/client-emr';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { imageFolder } from '../helpers/emr-fixtures.js';
import { baseRun } from '../fixtures/parity/synthetic-run.js';
import { packArtifact } from '../../src/job/artifact.js';
import { runRecord } from '../../src/run/run-record.js';
import { MOTO_ENV, motoPython, startMoto, type MotoServer } from '../helpers/moto.js';
import { DEFAULT_RELEASE } from '../../src/config/releases.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REGION = 'eu-west-3';
const moto = motoPython();
const artifactSources = ['pipeline/src/fruits_pipeline', 'pipeline/entrypoint.py', loadConfig({ root: REPO, env: process.env }).release.locks.runtime, 'pipeline/emr/bootstrap.sh'];
const missing = artifactSources.filter((p) => !existsSync(path.join(REPO, p)));
const skipReason = moto.reason ?? (missing.length ? `the job artifact sources are missing: ${missing.join(', ')}` : undefined);

interface Child {
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(sig: NodeJS.Signals): void;
  /** Resolves with the first match of `re` in stderr. */
  waitFor(re: RegExp): Promise<RegExpExecArray>;
}

/** Runs the workbench CLI with a clean env: no AWS credentials unless given, nothing from the user's config. */
function cli(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'workbench/src/cli.ts'), ...args], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: env.HOME ?? tmpdir(),
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c: Child = {
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: (sig) => child.kill(sig),
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(c.stderr);
          if (m) {
            child.stderr!.off('data', check);
            resolve(m);
          }
        };
        child.stderr!.on('data', check);
        void c.exit.then(() => {
          const m = re.exec(c.stderr);
          if (m) resolve(m);
          else reject(new Error(`exited before ${re}:\n${c.stderr}`));
        });
      }),
  };
  child.stdout!.on('data', (d: Buffer) => (c.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (c.stderr += d.toString()));
  return c;
}

/**
 * A completed local run of `fruits-mini` as `npm run local` leaves it (manifest.json and run.json), made with this
 * repo's artifact, the default engine and the given weights: what promote checks its plan against.
 */
function localRun(dir: string, artifactSha256: string, weights: { spec: string; source: string; sha256: string }): string {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    ...baseRun().manifest,
    run_id: path.basename(dir),
    input_uri: 's3a://fruits-workbench/inputs/fruits-mini/',
    artifact: { sha256: artifactSha256, code_sha256: null },
    weights: { ...weights, meaningful: weights.source !== 'random' },
    engine: { name: 'onnxruntime', precision: 'f32', parity_safe: true, broadcast_bytes: 1 },
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(runRecord(path.basename(dir), 'local', 'local')));
  return dir;
}

describe.skipIf(skipReason !== undefined)(`npm run promote, end to end against moto (${skipReason ?? moto.python})`, () => {
  let server: MotoServer;
  let tmp: string;
  let configPath: string;
  let emr: EMRClient;
  let artifactSha256: string;
  /** A local run of the same input with random:0 (the config's weights): the plan compares equal to it. */
  let matching: string;

  beforeAll(async () => {
    artifactSha256 = (await packArtifact(REPO, mkdtempSync(path.join(tmpdir(), 'wb-promote-art-')), loadConfig({ root: REPO, env: process.env }).release)).sha256;
    server = await startMoto({ python: moto.python });
    emr = new EMRClient({ region: REGION, endpoint: server.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  afterAll(async () => {
    emr?.destroy();
    await server?.stop();
  });

  beforeEach(async () => {
    await server.reset();
    tmp = mkdtempSync(path.join(tmpdir(), 'wb-promote-cli-'));
    const input = imageFolder(tmp);
    configPath = path.join(tmp, 'workbench.yaml');
    writeFileSync(
      configPath,
      stringify({
        job: { input, weights: 'random:0' },
        profiles: { local: { kind: 'local' }, emr: { kind: 'emr', region: REGION, bucket: 'fruits-cli-test', plannedMinutes: 30 } },
      }),
    );
    matching = localRun(path.join(tmp, 'runs', 'local-random'), artifactSha256, { spec: 'random:0', source: 'random', sha256: 'a'.repeat(64) });
  });

  // The real cache (what `make test` set up): planning builds on it (venv, wheelhouse, converted weights).
  const baseEnv = () => ({ HOME: tmp, WORKBENCH_CACHE_DIR: loadConfig({ root: REPO, env: process.env }).cacheDir });

  it('SIGINT while waiting for the cluster: exits 130, the cluster is TERMINATED and the command says so', async () => {
    const run = cli(['promote', '--config', configPath, '--yes', '--endpoint-url', server.endpoint, '--local-run', matching], { ...baseEnv(), ...MOTO_ENV });
    const [, id] = await run.waitFor(/cluster (j-\w+) started/);
    // Wait for the first progress line: the command is now in its bounded wait.
    await run.waitFor(new RegExp(`EMR ${id}: cluster \\w+, step \\w+`));
    run.kill('SIGINT');
    const { code } = await run.exit;
    expect(code, run.stderr).toBe(130);
    expect(run.stderr).toContain(`cluster ${id} terminated (TERMINATED)`);
    const state = (await emr.send(new DescribeClusterCommand({ ClusterId: id! }))).Cluster?.Status?.State;
    expect(state).toBe('TERMINATED');
    // Credentials never appear in the output.
    expect(run.stderr + run.stdout).not.toContain(MOTO_ENV.AWS_SECRET_ACCESS_KEY + '"');
  });

  it('--dry-run prints the whole plan as JSON and makes no AWS call (no credentials, no endpoint)', async () => {
    const run = cli(['promote', '--config', configPath, '--dry-run'], baseEnv());
    const { code } = await run.exit;
    expect(code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan).toMatchObject({ format: 'fruits-workbench/promote-plan@1', region: REGION, bucket: 'fruits-cli-test' });
    expect(plan.runJobFlow.ReleaseLabel).toBe(DEFAULT_RELEASE.label);
    expect(plan.uploads.filter((u: { role: string }) => u.role === 'input')).toHaveLength(3);
    // Priced from the forecast of these 3 images (not the profile's fixed plannedMinutes: 30), with the size table.
    expect(run.stderr).toMatch(/forecast +.*3 images/);
    expect(run.stderr).toMatch(/cost +~\d+\.\d\d EUR for \d+ min/);
    expect(run.stderr).not.toMatch(/EUR for 30 min/);
    expect(run.stderr).toMatch(/10,000,000 +\d+ x m5/);
    expect(run.stderr).toContain('dry run: nothing was sent to AWS');
  });

  it('--dry-run --plan-out writes the plan without any AWS call: explicit executor and Python memory, no maximizeResourceAllocation, weights in the bucket', async () => {
    const planFile = path.join(tmp, 'dry-plan.json');
    const run = cli(['promote', '--config', configPath, '--dry-run', '--plan-out', planFile], baseEnv());
    expect((await run.exit).code, run.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    const args: string[] = plan.runJobFlow.Steps[0].HadoopJarStep.Args;
    const conf = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--conf' ? [a.split('=')] : [])));
    expect(conf['spark.executor.memory']).toMatch(/^\d+m$/);
    // The Python workers' memory is in the overhead, explicitly: JVM overhead + workers x peak x margin.
    expect(Number.parseInt(conf['spark.executor.memoryOverhead'], 10)).toBe(plan.sizing.jvmOverheadMb + plan.sizing.pythonMb);
    expect(plan.sizing.pythonMb).toBeGreaterThan(0);
    expect(JSON.stringify(plan)).not.toContain('maximizeResourceAllocation');
    expect(run.stderr).toMatch(/sizing {4}per m5\.xlarge core node/);
    // No node needs PyPI: the bootstrap gets the artifact prefix (its wheels/ folder travels with it).
    expect(plan.runJobFlow.BootstrapActions[0].ScriptBootstrapAction.Args[0]).toMatch(new RegExp(`^s3://${plan.bucket}/artifacts/[0-9a-f]{64}/$`));
    expect(run.stderr).toContain('dry run: nothing was sent to AWS');
  });

  it('--dry-run with a weights file: the exact file is uploaded and the job gets its URI in the bucket', async () => {
    const weightsFile = path.join(tmp, 'mine.weights.h5');
    writeFileSync(weightsFile, 'the bytes the local run used');
    const run = cli(['promote', '--config', configPath, '--dry-run'], { ...baseEnv(), WORKBENCH_WEIGHTS: weightsFile });
    expect((await run.exit).code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan.weightsSpec).toMatch(new RegExp(`^s3://${plan.bucket}/weights/[0-9a-f]{32}/mine\\.weights\\.h5$`));
    expect(plan.uploads.filter((u: { role: string; source: string }) => u.role === 'weights').map((u: { source: string }) => u.source)).toEqual([weightsFile]);
  });

  it('--plan-out writes a plan; a tampered copy is refused by --plan before any cluster starts', async () => {
    const planFile = path.join(tmp, 'plan.json');
    const out = cli(['promote', '--config', configPath, '--plan-out', planFile, '--local-run', matching], { ...baseEnv(), ...MOTO_ENV });
    expect((await out.exit).code, out.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    plan.runJobFlow.Instances.InstanceGroups[1].InstanceCount = 10;
    const tampered = path.join(tmp, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(plan));
    const run = cli(['promote', '--config', configPath, '--plan', tampered, '--yes', '--endpoint-url', server.endpoint, '--local-run', matching], { ...baseEnv(), ...MOTO_ENV });
    expect((await run.exit).code).toBe(7);
    expect(run.stderr).toMatch(/refused plan .*tampered\.json: it was changed after it was written/);
    expect((await emr.send(new ListClustersCommand({}))).Clusters ?? []).toEqual([]);
  });

  it('no local run of the input: refused with the fix before any AWS call (no bucket, no cluster)', async () => {
    const run = cli(['promote', '--config', configPath, '--yes', '--endpoint-url', server.endpoint], { ...baseEnv(), ...MOTO_ENV });
    expect((await run.exit).code, run.stderr).toBe(7);
    expect(run.stderr).toMatch(/no local run of the input inputs\/fruits-mini in .* to check the cloud run against/);
    expect(run.stderr).toMatch(new RegExp(`fix: run \`npm run local -- --input .*fruits-mini --engine onnxruntime --release ${DEFAULT_RELEASE.label.replace(/\./g, '\\.')}\` first`));
    expect((await emr.send(new ListClustersCommand({}))).Clusters ?? []).toEqual([]);
    expect(run.stderr).not.toMatch(/bucket|upload/i);
  });

  it('a local run made with other weights: refused before any AWS call, naming both sha256', async () => {
    const theirs = path.join(tmp, 'theirs.weights.h5');
    writeFileSync(theirs, 'the bytes the local run used');
    const mine = path.join(tmp, 'mine.weights.h5');
    writeFileSync(mine, 'other bytes');
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const local = localRun(path.join(tmp, 'runs', 'local-theirs'), artifactSha256, { spec: theirs, source: 'file', sha256: sha(theirs) });
    const run = cli(['promote', '--config', configPath, '--yes', '--endpoint-url', server.endpoint, '--local-run', local], { ...baseEnv(), ...MOTO_ENV, WORKBENCH_WEIGHTS: mine });
    expect((await run.exit).code, run.stderr).toBe(7);
    expect(run.stderr).toContain(`weights sha256 ${sha(theirs).slice(0, 12)}… (local) vs ${sha(mine).slice(0, 12)}… (plan)`);
    expect(run.stderr).toMatch(/fix: drop job.weights/);
    expect((await emr.send(new ListClustersCommand({}))).Clusters ?? []).toEqual([]);
  });

  it('npm run local -- --weights X, then promote: the plan takes the local run\'s weights (job.weights auto)', async () => {
    const theirs = path.join(tmp, 'x.weights.h5');
    writeFileSync(theirs, 'weights X');
    const sha = createHash('sha256').update(readFileSync(theirs)).digest('hex');
    const local = localRun(path.join(tmp, 'runs', 'local-x'), artifactSha256, { spec: theirs, source: 'file', sha256: sha });
    const run = cli(['promote', '--config', configPath, '--dry-run', '--local-run', local], { ...baseEnv(), WORKBENCH_WEIGHTS: 'auto' });
    expect((await run.exit).code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan.uploads.filter((u: { role: string }) => u.role === 'weights').map((u: { source: string }) => u.source)).toEqual([theirs]);
    expect(run.stderr).toContain(`weights: the local run local-x's (${theirs})`);
    expect(run.stderr).not.toMatch(/would refuse/);
  });

  it.each(['us-east-1', 'eu-west-2', 'eu-central-2'])('--region %s is refused (GDPR) before any AWS client exists', async (region) => {
    const run = cli(['promote', '--config', configPath, '--dry-run', '--region', region], baseEnv());
    expect((await run.exit).code).toBe(7);
    expect(run.stderr).toMatch(/GDPR/);
    expect(run.stdout).toBe('');
  });
});
