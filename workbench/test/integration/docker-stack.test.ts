/**
 * The Docker backend for real, with a Docker engine: `npm run local -- --backend docker --profile cluster` as a
 * user runs it (the base image, the wheelhouse and the Spark image built or reused, MinIO with its bucket, a
 * master and two workers, the driver in a container), with one worker container killed while the job runs; the
 * job still succeeds, and `npm run parity` passes against a native run of the same input. Afterwards nothing
 * with the workbench's labels is left (no container, network or volume: the run was not --keep).
 *
 * Then docker-compose.yml's services one by one through testcontainers (GenericContainer, and @testcontainers/minio's
 * MinioContainer for MinIO) on that locally built image, nothing pulled. Each container's create options come from
 * containerSpec, the function the backend realises the compose file with (../helpers/compose-testcontainers.ts):
 * MinIO healthy and reachable on 127.0.0.1 only, the bucket job run to exit 0 twice (idempotent) through the
 * network alias `minio`, a master and a worker that registers with it. Ryuk is off where its image cannot be
 * pulled; the com.fruits-workbench.* labels are the reaper, and nothing labelled is left at the end.
 *
 * No engine: outside CI the tests report themselves skipped with the reason; under CI=true that is a failure
 * (.ci/docker-engine.sh starts one).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetBucketLocationCommand, S3Client } from '@aws-sdk/client-s3';
import type Docker from 'dockerode';
import { Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerProbe } from '../../src/stack/backend-select.js';
import { generateCredentials } from '../../src/stack/credentials.js';
import { connectDocker, findLabelled, removeLabelled } from '../../src/stack/docker/engine.js';
import { ensureNetworkAndVolumes, SERVICE } from '../../src/stack/docker/compose-engine.js';
import { SPARK_IMAGE_REPOSITORY } from '../../src/stack/docker/image.js';
import { demuxDockerLog } from '../../src/stack/docker/logs.js';
import { checkoutId, LABEL, stackName } from '../../src/stack/docker/names.js';
import { fetchMasterJson } from '../../src/stack/native/spark-master.js';
import type { StackShape } from '../../src/stack/state.js';
import { minioServiceContainer, prepareTestcontainers, serviceContainer, testCompose, type TestCompose } from '../helpers/compose-testcontainers.js';
import { cli, ROOT, RUNS_DIR, runCli, sampleInput, subsetOf, testEnv } from './local-harness.js';
import { DEFAULT_RELEASE } from '../../src/config/releases.js';

const probe = await dockerProbe(process.env, 3000)();
const inCi = process.env.CI === 'true';
const skipReason = probe.ok ? '' : ` — skipped: no usable Docker engine (${probe.reason})`;

if (!probe.ok && inCi) {
  describe('docker backend', () => {
    it('has a Docker engine under CI=true', () => {
      throw new Error(`CI=true but no Docker engine answers (${probe.reason}): .ci/docker-engine.sh starts one`);
    });
  });
}

const env = testEnv();
afterAll(async () => {
  if (probe.ok) {
    // Whatever a failed test left: everything of this checkout, data volume included.
    const docker = await connectDocker(process.env);
    await removeLabelled(docker, { checkout: checkoutId(ROOT) }, { volumes: true }).catch(() => {});
  }
  await env.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!probe.ok)(`docker backend: npm run local on the cluster profile${skipReason}`, () => {
  it('runs the job in containers, survives a killed worker, matches a native run, and leaves nothing labelled', async () => {
    const input = subsetOf(sampleInput().dir, 6, 4);
    const dockerRun = env.newRunId('docker');
    const nativeRun = env.newRunId('native');
    const common = ['--config', env.configPath, '--input', input, '--weights', 'random:0'];

    const run = runCli(['local', ...common, '--backend', 'docker', '--profile', 'cluster', '--run-id', dockerRun]);
    // Once the featurize stage has tasks running, kill one of the two worker containers.
    const docker = await connectDocker(process.env);
    const driverLog = path.join(RUNS_DIR, dockerRun, 'driver.log');
    let killed: string | undefined;
    let exited = false;
    void run.done.then(() => (exited = true));
    while (!exited && !killed) {
      let log = '';
      try {
        log = readFileSync(driverLog, 'utf8');
      } catch {
        // not started yet
      }
      if (/fruits-job: weights/.test(log) && /Starting task/.test(log.slice(log.indexOf('fruits-job: weights')))) {
        const workers = await docker.listContainers({ filters: { label: [`${LABEL.stack}=${stackName(ROOT)}`, `${LABEL.role}=spark-worker`] } });
        expect(workers.length).toBe(2);
        await docker.getContainer(workers[0]!.Id).kill();
        killed = workers[0]!.Names?.[0];
      }
      await sleep(300);
    }
    const code = await run.done;
    expect(code, `${run.stdout()}\n${run.stderr()}`).toBe(0);
    expect(killed, 'the job ended before a worker could be killed').toBeDefined();
    expect(run.stderr()).toMatch(/docker backend \(requested\)/);
    const manifest = JSON.parse(readFileSync(path.join(RUNS_DIR, dockerRun, 'manifest.json'), 'utf8')) as { counts: { inputs: number; featurized: number }; versions: { pyspark?: string } };
    // The default release's image ran the job: its tag names the release, its Spark is the release's, and the
    // multi-stage build left no builder stage behind.
    const built = await builtSparkImage(docker);
    expect(built).toMatch(new RegExp(`^${SPARK_IMAGE_REPOSITORY}:${DEFAULT_RELEASE.label.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    expect(manifest.versions.pyspark).toBe(DEFAULT_RELEASE.spark);
    expect(await docker.listImages({ filters: { dangling: ['true'], label: [`${LABEL.image}=spark-builder`] } })).toEqual([]);
    expect(manifest.counts.inputs).toBe(24);
    expect(manifest.counts.featurized).toBe(24);

    // Nothing labelled is left by a run without --keep: no container, no network, no volume.
    const left = await findLabelled(docker, { checkout: checkoutId(ROOT) });
    expect(left.containers.map((c) => c.Names?.[0])).toEqual([]);
    expect(left.networks.map((n) => n.Name)).toEqual([]);
    expect(left.volumes.map((v) => v.Name)).toEqual([]);

    await cli(['local', ...common, '--backend', 'native', '--profile', 'local', '--run-id', nativeRun]);
    const parity = await cli(['parity', path.join(RUNS_DIR, dockerRun), path.join(RUNS_DIR, nativeRun)]);
    expect(`${parity.stdout}\n${parity.stderr}`).toMatch(/pass/i);
    // From a new machine the first run also builds the base image, the wheelhouse and the Spark image.
  }, 30 * 60_000);
});

/** The newest Spark image of the default release the workbench built here (by the test above, or an earlier run of this checkout). */
async function builtSparkImage(docker: Docker): Promise<string | undefined> {
  const images = await docker.listImages({ filters: { label: [`${LABEL.image}=spark`, `${LABEL.release}=${DEFAULT_RELEASE.label}`] } });
  return images.sort((a, b) => b.Created - a.Created).flatMap((i) => i.RepoTags ?? []).find((t) => t.startsWith(`${SPARK_IMAGE_REPOSITORY}:`));
}

async function containerLogs(docker: Docker, id: string): Promise<string> {
  const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true })) as unknown as Buffer;
  return demuxDockerLog(Buffer.from(raw)).toString('utf8');
}

describe.skipIf(!probe.ok)(`docker-compose.yml's services in testcontainers, on the Spark image${skipReason}`, () => {
  const stack = `${stackName(ROOT)}-tc`;
  const shape: StackShape = { kind: 'cluster', region: 'eu-west-3', bucket: 'fruits-testcontainers', release: DEFAULT_RELEASE.label, workers: 1, workerCores: 1, workerMemory: '1g' };
  let docker: Docker;
  let compose: TestCompose;

  beforeAll(async () => {
    docker = await connectDocker(process.env);
    for (const note of await prepareTestcontainers(docker)) console.error(note);
    const image = await builtSparkImage(docker);
    if (!image) throw new Error('no Spark image built by the workbench: the test above builds it (npm run local -- --backend docker)');
    compose = testCompose({ root: ROOT, stack, checkout: checkoutId(ROOT), image, credentials: generateCredentials(), shape });
    // The project's labelled network and MinIO volume, exactly as `composeUp` creates them.
    await ensureNetworkAndVolumes(docker, compose.project, compose.model);
  });
  afterAll(async () => {
    if (docker) await removeLabelled(docker, { stack }, { volumes: true }).catch(() => {});
  });

  it('MinIO from the compose spec is healthy and on 127.0.0.1 only; the bucket job exits 0 twice and the bucket is in the region', async () => {
    const minio = await minioServiceContainer(compose.spec(SERVICE.minio)).start();
    try {
      const info = await docker.getContainer(minio.getId()).inspect();
      expect(info.Config.Labels[LABEL.stack]).toBe(stack);
      expect(info.Config.Labels[LABEL.role]).toBe('minio');
      expect(info.Config.Labels['com.docker.compose.service']).toBe('minio');
      expect(info.HostConfig.Init).toBe(true);
      expect(info.State.Health?.Status).toBe('healthy');
      const published = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []);
      expect(published.length).toBeGreaterThan(0);
      expect(published.map((b) => b.HostIp)).toEqual(published.map(() => '127.0.0.1'));

      for (let i = 0; i < 2; i++) {
        // A one-off of the service, named as composeRunOnce names it; it reaches MinIO by the network alias `minio`.
        const job = await serviceContainer(compose.spec(SERVICE.createBucket, 1, { oneoff: true, name: `${stack}-create-bucket-run` }))
          .withWaitStrategy(Wait.forOneShotStartup())
          .start();
        try {
          const state = (await docker.getContainer(job.getId()).inspect()).State;
          const logs = await containerLogs(docker, job.getId());
          expect(state.ExitCode, logs).toBe(0);
          expect(logs).toMatch(new RegExp(`create-bucket: ${shape.bucket} ready in ${shape.region}`));
        } finally {
          await job.stop();
        }
      }

      // From the host, through the published port, with the real S3 client.
      const s3 = new S3Client({
        endpoint: minio.getConnectionUrl(),
        region: shape.region,
        forcePathStyle: true,
        credentials: { accessKeyId: minio.getUsername(), secretAccessKey: minio.getPassword() },
      });
      try {
        const location = await s3.send(new GetBucketLocationCommand({ Bucket: shape.bucket }));
        expect(location.LocationConstraint).toBe(shape.region);
      } finally {
        s3.destroy();
      }
    } finally {
      await minio.stop();
    }
  }, 5 * 60_000);

  it('a Spark master and a worker from the compose spec: the worker registers with its cores and memory', async () => {
    const master = await serviceContainer(compose.spec(SERVICE.master)).start();
    try {
      const worker = await serviceContainer(compose.spec(SERVICE.worker, 1)).start();
      try {
        const json = await fetchMasterJson(`http://127.0.0.1:${master.getMappedPort(8080)}`, new AbortController().signal);
        expect(json?.status).toBe('ALIVE');
        const alive = (json?.workers ?? []).filter((w) => w.state === 'ALIVE');
        expect(alive.map((w) => ({ cores: w.cores, memory: w.memory }))).toEqual([{ cores: shape.workerCores, memory: 1024 }]);
      } finally {
        await worker.stop();
      }
    } finally {
      await master.stop();
    }
  }, 5 * 60_000);

  it('leaves nothing labelled once the stack is removed by label', async () => {
    // testcontainers removed the containers it stopped; the network and the volume are the labels' to reap.
    const before = await findLabelled(docker, { stack });
    expect(before.containers.map((c) => c.Names?.[0])).toEqual([]);
    await removeLabelled(docker, { stack }, { volumes: true });
    const left = await findLabelled(docker, { checkout: checkoutId(ROOT) });
    expect(left.containers.map((c) => c.Names?.[0])).toEqual([]);
    expect(left.networks.map((n) => n.Name)).toEqual([]);
    expect(left.volumes.map((v) => v.Name)).toEqual([]);
  });
});
