/**
 * Contract tests of the promote executor against moto in server mode on 127.0.0.1, through the real
 * @aws-sdk/client-s3 and @aws-sdk/client-emr with an endpoint override.
 *
 * What moto covers (real requests, real moto state): bucket creation with LocationConstraint, public access
 * block, default encryption, object uploads and ETags, ListObjectsV2, RunJobFlow (cluster, tags, steps),
 * ListSteps, DescribeCluster, DescribeStep, TerminateJobFlows -> TERMINATED, ListClusters for --cleanup.
 * What moto does not do, and how each test stands in for it:
 *   - it does not store AutoTerminationPolicy: the RunJobFlow request is captured on the wire (SDK middleware,
 *     finalizeRequest step) and compared with the plan;
 *   - its steps never complete or fail: where a test needs that, a middleware replaces the DescribeStep
 *     response with one shaped like AWS's (State COMPLETED / FAILED with FailureDetails); the cluster itself
 *     stays moto's and is terminated through moto;
 *   - no job runs: the job's manifest.json and the step's stderr.gz are written to moto's S3 by the test.
 * Time is a fake clock: polling and the bounded wait take no real time.
 */
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeClusterCommand, ListClustersCommand, RunJobFlowCommand, type EMRClient } from '@aws-sdk/client-emr';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkbenchConfig } from '../../src/config/schema.js';
import { cleanupClusters } from '../../src/emr/cleanup.js';
import { createAwsClients, type AwsClients } from '../../src/emr/clients.js';
import { executePromotePlan, type ExecutorDeps } from '../../src/emr/executor.js';
import { describeFile, scanImageFolder } from '../../src/storage/local-folder.js';
import { buildPromotePlan, type PromotePlan } from '../../src/emr/plan.js';
import { uploadRequestOf } from '../../src/emr/uploads.js';
import { listObjects } from '../../src/storage/listing.js';
import { syncUploads } from '../../src/storage/uploader.js';
import { AbortedError, CleanupError, CloudError, JobError, PlanRefusedError } from '../../src/errors.js';
import { ResourceStack, withScope } from '../../src/lifecycle.js';
import { answerWith, emrConfig, fakeClock, imageFolder, recordingOutput } from '../helpers/emr-fixtures.js';
import { MOTO_ENV, motoPython, startMoto, type MotoServer } from '../helpers/moto.js';
import { DEFAULT_RELEASE } from '../../src/config/releases.js';

const moto = motoPython();
const REGION = 'eu-west-3';
const BUCKET = 'fruits-contract';

describe.skipIf(!moto.python)(`promote against moto (${moto.reason ?? moto.python})`, () => {
  let server: MotoServer;
  let root: string;
  let cfg: WorkbenchConfig;
  let clients: AwsClients;
  let sentRunJobFlow: Record<string, unknown>[];
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // The SDK's default credential chain reads these: moto accepts any.
    for (const [k, v] of Object.entries(MOTO_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    server = await startMoto({ python: moto.python });
  });

  afterAll(async () => {
    await server?.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  beforeEach(async () => {
    await server.reset();
    root = mkdtempSync(path.join(tmpdir(), 'wb-promote-'));
    imageFolder(root);
    cfg = emrConfig({ root, job: { input: 'fruits-mini' }, profile: { region: REGION, bucket: BUCKET, plannedMinutes: 20 } });
    clients = createAwsClients({ region: REGION, endpoint: server.endpoint });
    sentRunJobFlow = [];
    // Capture what RunJobFlow sends on the wire (moto does not keep AutoTerminationPolicy).
    clients.emr.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers?: Record<string, string>; body?: string | Uint8Array };
        if (req.headers?.['x-amz-target'] === 'ElasticMapReduce.RunJobFlow') {
          sentRunJobFlow.push(JSON.parse(typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body)));
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureRunJobFlow' },
    );
  });

  afterEach(() => clients.destroy());

  async function makePlan(): Promise<PromotePlan> {
    const art = path.join(root, 'artifact');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(art, { recursive: true });
    const files = { zip: 'fruits_pipeline.zip', entrypoint: 'entrypoint.py', lock: 'requirements.lock', release: 'release.json', bootstrap: 'bootstrap.sh', filter: 'runtime-lock-filter.sh' } as const;
    for (const f of Object.values(files)) writeFileSync(path.join(art, f), `content of ${f}`);
    const wheel = path.join(art, 'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl');
    writeFileSync(wheel, 'a wheel');
    const d = async (f: string) => describeFile(path.join(art, f));
    const { images: inputFiles } = await scanImageFolder(path.join(root, 'fruits-mini'));
    return buildPromotePlan(cfg, {
      artifact: {
        sha256: 'a'.repeat(64),
        files: { zip: await d(files.zip), entrypoint: await d(files.entrypoint), lock: await d(files.lock), release: await d(files.release), bootstrap: await d(files.bootstrap), filter: await d(files.filter) },
        wheels: [await describeFile(wheel, `wheels/${path.basename(wheel)}`)],
      },
      input: { kind: 'local', dir: path.join(root, 'fruits-mini'), files: inputFiles },
      runId: '20261125T200102Z-c0ffee',
      weights: { spec: 'random:0' },
      createdAt: '2026-11-25T20:01:02.000Z',
    });
  }

  function deps(over: Partial<ExecutorDeps> = {}): ExecutorDeps & { out: ReturnType<typeof recordingOutput>; stack: ResourceStack } {
    const stack = new ResourceStack();
    const out = recordingOutput();
    return {
      s3: clients.s3,
      emr: clients.emr,
      out,
      stack,
      scope: { signal: new AbortController().signal, stack },
      clock: fakeClock(),
      timing: { pollIntervalMs: 30_000, logAttempts: 3, logIntervalMs: 30_000, terminateWaitMs: 60_000, terminateIntervalMs: 1_000 },
      ...over,
    } as ExecutorDeps & { out: ReturnType<typeof recordingOutput>; stack: ResourceStack };
  }

  async function clusterState(emr: EMRClient, id: string): Promise<string | undefined> {
    return (await emr.send(new DescribeClusterCommand({ ClusterId: id }))).Cluster?.Status?.State;
  }

  /** Make DescribeStep answer like AWS would once the step ended (moto keeps it RUNNING forever). */
  function stepEndsAs(status: Record<string, unknown>, onAnswer?: (input: Record<string, unknown>) => Promise<void>) {
    let polls = 0;
    const pending: Promise<void>[] = [];
    answerWith(clients.emr, {
      DescribeStepCommand: (input) => {
        polls++;
        if (onAnswer) pending.push(onAnswer(input));
        // First poll: still running, as moto reports; then ended.
        return { Step: { Id: input.StepId, Name: 'fruits-job', Status: polls === 1 ? { State: 'RUNNING' } : status } };
      },
    });
    return { pending };
  }

  it('success path: private encrypted bucket, uploads, the planned RunJobFlow, manifest, cluster TERMINATED', async () => {
    const plan = await makePlan();
    // The job's last write (no job runs in moto).
    const manifest = JSON.stringify({ schema_version: 1, run_id: plan.runId, status: 'succeeded' });
    // (The bucket exists already, unencrypted and not blocked: the executor must make it private and encrypted.)
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `runs/${plan.runId}/manifest.json`, Body: manifest }));
    stepEndsAs({ State: 'COMPLETED', StateChangeReason: {}, Timeline: {} });

    const d = deps();
    const outcome = await executePromotePlan(plan, d);

    // Bucket: in the region, all public access blocked, SSE-S3 by default.
    expect((await clients.s3.send(new GetBucketLocationCommand({ Bucket: BUCKET }))).LocationConstraint).toBe(REGION);
    expect((await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
    });
    const enc = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');

    // Every planned object is there with the planned bytes (ETag = MD5 of a single-part upload).
    expect(plan.uploads.map((u) => u.role).sort()).toEqual(['artifact', 'artifact', 'artifact', 'artifact', 'artifact', 'artifact', 'artifact', 'input', 'input', 'input']);
    for (const u of plan.uploads) {
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: u.key }));
      expect(head.ETag?.replace(/"/g, '')).toBe(u.md5);
      expect(head.ContentLength).toBe(u.bytes);
    }

    // The request on the wire is the plan's request, field for field (incl. AutoTerminationPolicy).
    expect(sentRunJobFlow).toHaveLength(1);
    expect(sentRunJobFlow[0]).toEqual(JSON.parse(JSON.stringify(plan.runJobFlow)));
    expect(sentRunJobFlow[0]!.AutoTerminationPolicy).toEqual({ IdleTimeout: 1800 });

    // What moto kept of it.
    const c = (await clients.emr.send(new DescribeClusterCommand({ ClusterId: outcome.clusterId }))).Cluster!;
    expect(c.ReleaseLabel).toBe(DEFAULT_RELEASE.label); // the new label shape (emr-spark-X.Y.Z) is stored as sent
    expect(c.LogUri).toBe(`s3://${BUCKET}/logs/`);
    expect(c.Tags).toEqual(expect.arrayContaining([{ Key: 'fruits-workbench', Value: 'true' }, { Key: 'fruits-workbench:run-id', Value: plan.runId }]));
    expect(c.Status?.State).toBe('TERMINATED');

    expect(outcome.manifestText).toBe(manifest);
    expect(d.out.lines).toContain(`cluster ${outcome.clusterId} terminated (TERMINATED)`);
  });

  it('skips unchanged objects on a second upload', async () => {
    const plan = await makePlan();
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const upload = (p: PromotePlan) => syncUploads(clients.s3, uploadRequestOf(p), { out: recordingOutput(), label: 'upload' });
    const first = await upload(plan);
    const again = await upload(plan);
    expect(first).toMatchObject({ uploaded: 10, unchanged: 0 });
    expect(again).toMatchObject({ uploaded: 0, unchanged: 10 });
    writeFileSync(path.join(root, 'fruits-mini', 'Apple', '1_100.jpg'), 'a changed image');
    const changed = await makePlan();
    expect(await upload(changed)).toMatchObject({ uploaded: 1, unchanged: 9 });
  });

  it('mirrors the input folder: an image deleted locally is removed from the bucket before the cluster starts', async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const upload = (p: PromotePlan) => syncUploads(clients.s3, uploadRequestOf(p), { out: recordingOutput(), label: 'upload' });
    const before = await makePlan();
    await upload(before);
    const prefix = before.mirror[0]!;
    const inputKeys = async () => (await listObjects(clients.s3, BUCKET, prefix)).map((o) => o.key).sort();
    const all = await inputKeys();
    const removed = all[0]!;
    rmSync(path.join(root, 'fruits-mini', removed.slice(prefix.length)));
    const after = await makePlan();
    expect(await upload(after)).toMatchObject({ uploaded: 0, deleted: 1 });
    // The job reads the whole prefix: it now holds exactly the folder's images (provenance.input-set holds).
    expect(await inputKeys()).toEqual(all.filter((k) => k !== removed));
    // The artifact's content-addressed prefix is not mirrored: nothing else was removed.
    expect((await listObjects(clients.s3, BUCKET, 'artifacts/')).length).toBe(7);
  });

  it('failed step: prints the tail of the step stderr from the log URI and the cluster ends TERMINATED', async () => {
    const plan = await makePlan();
    const stderr = ['25/11/25 20:03:01 INFO SparkContext: Running Spark version 3.5.6-amzn-2', 'Traceback (most recent call last):', 'fruits-job: error: no images under s3://fruits-contract/inputs/fruits-mini/'].join('\n');
    // Shaped like AWS: FailureDetails names the log folder; EMR copies stderr.gz there (here: the test does).
    const { pending } = stepEndsAs(
      { State: 'FAILED', FailureDetails: { Reason: 'Unknown Error.', Message: 'fruits-job: error: no images', LogFile: '' } },
      async (input) => {
        await clients.s3.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: `logs/${input.ClusterId}/steps/${input.StepId}/stderr.gz`, Body: gzipSync(stderr) }),
        );
      },
    );
    const d = deps();
    const err = await executePromotePlan(plan, d).catch((e: unknown) => e);
    await Promise.all(pending);
    expect(err).toBeInstanceOf(JobError);
    expect((err as Error).message).toMatch(/FAILED: Unknown Error\.: fruits-job: error: no images/);
    const log = d.out.lines.join('\n');
    expect(log).toMatch(/--- last 3 lines of s3:\/\/fruits-contract\/logs\/j-\w+\/steps\/s-\w+\/stderr\.gz ---/);
    expect(log).toContain('fruits-job: error: no images under s3://fruits-contract/inputs/fruits-mini/');
    const id = sentClusterId(d.out.lines);
    expect(await clusterState(clients.emr, id)).toBe('TERMINATED');
    expect(log).toContain(`cluster ${id} terminated`);
  });

  it('a terminate that fails after a failed step: the step failure is the error, the terminate failure comes after it with --cleanup as its fix', async () => {
    const plan = await makePlan();
    stepEndsAs({ State: 'FAILED', FailureDetails: { Reason: 'Unknown Error.', Message: 'fruits-job: error: boom', LogFile: '' } });
    answerWith(clients.emr, {
      TerminateJobFlowsCommand: () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    });
    const d = deps({ timing: { pollIntervalMs: 30_000, logAttempts: 1, logIntervalMs: 30_000, terminateWaitMs: 60_000, terminateIntervalMs: 1_000 } });
    const failed = await withScope(
      async (scope) => executePromotePlan(plan, { ...d, scope }),
      { handleSignals: false, log: () => {} },
    ).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CleanupError);
    const c = failed as CleanupError;
    expect(c.original).toBeInstanceOf(JobError);
    expect((c.original as Error).message).toMatch(/fruits-job: error: boom/);
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]!.label).toMatch(/^EMR cluster j-/);
    expect(c.failures[0]!.fix).toContain('npm run promote -- --cleanup --region eu-west-3');
    expect(c.exitCode).toBe(new JobError('x').exitCode);
  });

  it('bootstrap failure: detected from the state-change reason, the node\'s bootstrap stderr shown, no wait for a step log', async () => {
    const plan = await makePlan();
    const instance = 'i-0123456789abcdef0';
    const stderr = ['Processing ./wheels/tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_17_x86_64.whl', 'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.'].join('\n');
    let stepPolls = 0;
    // The cluster is reported ended only once the test has put the stderr in the bucket: the executor's log fetch
    // retries on the fake clock (no real time), so without this it could look before the upload (a flaky test).
    let stderrUploaded!: () => void;
    const uploaded = new Promise<void>((resolve) => (stderrUploaded = resolve));
    // Shaped like AWS: the cluster ends TERMINATED_WITH_ERRORS with BOOTSTRAP_FAILURE; the step never starts.
    answerWith(clients.emr, {
      DescribeClusterCommand: async (input) => {
        await uploaded;
        return {
          Cluster: {
            Id: input.ClusterId,
            LogUri: `s3n://${BUCKET}/logs/`,
            Status: {
              State: 'TERMINATED_WITH_ERRORS',
              StateChangeReason: { Code: 'BOOTSTRAP_FAILURE', Message: `On the master instance (${instance}), bootstrap action 1 returned a non-zero return code` },
            },
          },
        };
      },
      DescribeStepCommand: (input) => {
        stepPolls++;
        return { Step: { Id: input.StepId, Status: { State: 'CANCELLED', StateChangeReason: {} } } };
      },
    });
    const d = deps();
    const run = executePromotePlan(plan, d).catch((e: unknown) => e);
    // EMR copies the node's bootstrap stderr to the log URI (here: the test does, as soon as the run is under way).
    const id = await (async () => {
      for (;;) {
        const found = d.out.lines.map((l) => /^cluster (j-\w+) started/.exec(l)?.[1]).find(Boolean);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `logs/${id}/node/${instance}/bootstrap-actions/1/stderr.gz`, Body: gzipSync(stderr) }));
    stderrUploaded();
    const err = await run;
    expect(err).toBeInstanceOf(JobError);
    expect((err as Error).message).toMatch(new RegExp(`a bootstrap action failed on ${instance}, so the job never started`));
    const log = d.out.lines.join('\n');
    expect(log).toContain(`--- last 2 lines of s3://${BUCKET}/logs/${id}/node/${instance}/bootstrap-actions/1/stderr.gz ---`);
    expect(log).toContain('THESE PACKAGES DO NOT MATCH THE HASHES');
    // Never went looking for a step log that cannot exist.
    expect(log).not.toContain('/steps/');
    expect(stepPolls).toBeLessThanOrEqual(1);
  });

  it('wait time-out: moto keeps the step RUNNING; after plannedMinutes the run gives up and the cluster ends TERMINATED', async () => {
    const plan = await makePlan();
    const d = deps();
    const err = await executePromotePlan(plan, d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect((err as Error).message).toMatch(/gave up after 20m00s \(plannedMinutes = 20\) with cluster WAITING, step RUNNING/);
    const id = sentClusterId(d.out.lines);
    expect(await clusterState(clients.emr, id)).toBe('TERMINATED');
  });

  it('an exception while waiting (AWS error) still ends with the cluster TERMINATED', async () => {
    const plan = await makePlan();
    answerWith(clients.emr, {
      DescribeStepCommand: () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    });
    const d = deps();
    const err = await executePromotePlan(plan, d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(await clusterState(clients.emr, sentClusterId(d.out.lines))).toBe('TERMINATED');
  });

  it('abort (Ctrl-C in-process) while waiting: AbortedError, cluster TERMINATED, stack cleanup idempotent', async () => {
    const plan = await makePlan();
    const ac = new AbortController();
    const clock = fakeClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      ac.abort(new Error('received SIGINT'));
      return sleep(ms, signal);
    };
    const d = deps({ clock });
    d.scope = { signal: ac.signal, stack: d.stack };
    const err = await executePromotePlan(plan, d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    const id = sentClusterId(d.out.lines);
    expect(await clusterState(clients.emr, id)).toBe('TERMINATED');
    await d.stack.dispose();
    expect(d.out.lines.filter((l) => l.startsWith(`cluster ${id} terminated`))).toHaveLength(1);
  });

  it('refuses an existing bucket in another region before starting anything', async () => {
    const plan = await makePlan();
    const frankfurt = createAwsClients({ region: 'eu-central-1', endpoint: server.endpoint });
    await frankfurt.s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    frankfurt.destroy();
    await expect(executePromotePlan(plan, deps())).rejects.toThrow(PlanRefusedError);
    expect((await clients.emr.send(new ListClustersCommand({}))).Clusters ?? []).toEqual([]);
  });

  it('--cleanup terminates active clusters tagged as ours and leaves the others', async () => {
    const base = { ReleaseLabel: 'emr-7.13.0', ServiceRole: 'EMR_DefaultRole', JobFlowRole: 'EMR_EC2_DefaultRole', Instances: { KeepJobFlowAliveWhenNoSteps: true, InstanceGroups: [{ InstanceRole: 'MASTER' as const, InstanceType: 'm5.xlarge', InstanceCount: 1 }] } };
    const me = { clone: 'clone-a', identity: 'arn:aws:iam::123456789012:user/alice' };
    const tagged = (clone: string, identity?: string) => [
      { Key: 'fruits-workbench', Value: 'true' },
      { Key: 'fruits-workbench:clone', Value: clone },
      ...(identity ? [{ Key: 'fruits-workbench:started-by', Value: identity }] : []),
    ];
    const ours = await clients.emr.send(new RunJobFlowCommand({ ...base, Name: 'ours', Tags: tagged('clone-a') }));
    const mineElsewhere = await clients.emr.send(new RunJobFlowCommand({ ...base, Name: 'mine, other clone', Tags: tagged('clone-b', me.identity) }));
    const colleague = await clients.emr.send(new RunJobFlowCommand({ ...base, Name: 'colleague', Tags: tagged('clone-c', 'arn:aws:iam::123456789012:user/bob') }));
    const theirs = await clients.emr.send(new RunJobFlowCommand({ ...base, Name: 'theirs', Tags: [{ Key: 'team', Value: 'x' }] }));
    expect(await clusterState(clients.emr, ours.JobFlowId!)).toBe('WAITING');
    const out = recordingOutput();
    const done = await cleanupClusters(clients.emr, { region: REGION, out, clock: fakeClock(), me });
    expect(done.map((c) => c.id).sort()).toEqual([ours.JobFlowId, mineElsewhere.JobFlowId].sort());
    // Listed before anything is terminated.
    expect(out.lines.indexOf(`  ${ours.JobFlowId}  WAITING  ours`)).toBeLessThan(out.lines.indexOf(`cluster ${ours.JobFlowId} terminated (TERMINATED)`));
    expect(await clusterState(clients.emr, ours.JobFlowId!)).toBe('TERMINATED');
    expect(await clusterState(clients.emr, mineElsewhere.JobFlowId!)).toBe('TERMINATED');
    // A colleague's run in progress is left alone, and said so.
    expect(await clusterState(clients.emr, colleague.JobFlowId!)).toBe('WAITING');
    expect(out.lines.some((l) => l.includes('1 other workbench cluster(s) started elsewhere left running (--all ends them too)'))).toBe(true);
    expect(await clusterState(clients.emr, theirs.JobFlowId!)).toBe('WAITING');
    expect(out.lines).toContain(`cluster ${ours.JobFlowId} terminated (TERMINATED)`);
    // A second cleanup finds none of mine; --all widens to the colleague's, never to untagged clusters.
    expect(await cleanupClusters(clients.emr, { region: REGION, out, clock: fakeClock(), me })).toEqual([]);
    const all = await cleanupClusters(clients.emr, { region: REGION, out, clock: fakeClock(), me, all: true });
    expect(all.map((c) => c.id)).toEqual([colleague.JobFlowId]);
    expect(await clusterState(clients.emr, theirs.JobFlowId!)).toBe('WAITING');
  });
});

function sentClusterId(lines: string[]): string {
  const id = lines.map((l) => /^cluster (j-\w+) started/.exec(l)?.[1]).find(Boolean);
  if (!id) throw new Error(`no "cluster j-... started" line in:\n${lines.join('\n')}`);
  return id;
}
