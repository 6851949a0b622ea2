/**
 * The Docker backend for real, with a Docker engine: `npm run local -- --backend docker --profile cluster` as a
 * user runs it (the base image, the wheelhouse and the Spark image built or reused, MinIO with its bucket, a
 * master and two workers, the driver in a container), with one worker container killed while the job runs; the
 * job still succeeds, and `npm run parity` passes against a native run of the same input. Afterwards nothing
 * with the workbench's labels is left (no container, network or volume: the run was not --keep). Then the image
 * on its own: MinIO healthy and the bucket job idempotent (labelled, removed after; also by label in afterAll).
 *
 * No engine: outside CI the tests report themselves skipped with the reason; under CI=true that is a failure
 * (.ci/docker-engine.sh starts one).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerProbe } from '../../src/stack/backend-select.js';
import { generateCredentials } from '../../src/stack/credentials.js';
import { connectDocker, findLabelled, removeLabelled } from '../../src/stack/docker/engine.js';
import { waitHealthy } from '../../src/stack/docker/compose-engine.js';
import { SPARK_IMAGE_REPOSITORY } from '../../src/stack/docker/image.js';
import { demuxDockerLog } from '../../src/stack/docker/logs.js';
import { checkoutId, LABEL, stackName } from '../../src/stack/docker/names.js';
import { cli, ROOT, RUNS_DIR, runCli, sampleInput, subsetOf, testEnv } from './local-harness.js';

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
    const manifest = JSON.parse(readFileSync(path.join(RUNS_DIR, dockerRun, 'manifest.json'), 'utf8')) as { counts: { inputs: number; featurized: number } };
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

describe.skipIf(!probe.ok)(`the Spark image on its own${skipReason}`, () => {
  // testcontainers 12 cannot load on Node 20 (its undici 8 needs node:zlib zstd, Node >= 22): the engine directly.
  it('runs MinIO healthy and the bucket job to exit 0, twice (idempotent)', async () => {
    const docker = await connectDocker(process.env);
    const images = await docker.listImages({ filters: { label: [`${LABEL.image}=spark`] } });
    const image = images.sort((a, b) => b.Created - a.Created).flatMap((i) => i.RepoTags ?? []).find((t) => t.startsWith(`${SPARK_IMAGE_REPOSITORY}:`));
    expect(image, 'the Spark image is built by the test above').toBeDefined();
    const credentials = generateCredentials();
    // No published port (servers bind 127.0.0.1 only): checked from inside the container.
    const minio = await docker.createContainer({
      Image: image!,
      Cmd: ['minio', 'server', '/data'],
      Env: [`MINIO_ROOT_USER=${credentials.accessKeyId}`, `MINIO_ROOT_PASSWORD=${credentials.secretAccessKey}`, 'MINIO_SITE_REGION=eu-west-3', 'MINIO_BROWSER=off'],
      Labels: { [LABEL.stack]: `${stackName(ROOT)}-image`, [LABEL.checkout]: checkoutId(ROOT) },
      Healthcheck: { Test: ['CMD', 'python', '-c', "import urllib.request as u; u.urlopen('http://localhost:9000/minio/health/live', timeout=4)"], Interval: 1e9, Timeout: 5e9, Retries: 30, StartPeriod: 1e9 },
      HostConfig: { Init: true },
    });
    try {
      await minio.start();
      await waitHealthy(docker, minio.id, 'minio', 120_000, new AbortController().signal);
      const env = [`AWS_ACCESS_KEY_ID=${credentials.accessKeyId}`, `AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}`, 'AWS_REGION=eu-west-3', 'FRUITS_BUCKET=fruits-image-test', 'FRUITS_S3_ENDPOINT=localhost:9000'];
      for (let i = 0; i < 2; i++) {
        const exec = await minio.exec({ Cmd: ['python', '/opt/fruits/create-bucket.py'], Env: env, AttachStdout: true, AttachStderr: true });
        const stream = await exec.start({});
        const chunks: Buffer[] = [];
        await new Promise<void>((resolve, reject) => stream.on('data', (b: Buffer) => chunks.push(b)).on('end', resolve).on('error', reject));
        const output = demuxDockerLog(Buffer.concat(chunks)).toString('utf8');
        expect((await exec.inspect()).ExitCode, output).toBe(0);
        expect(output).toMatch(/create-bucket: fruits-image-test ready in eu-west-3/);
      }
    } finally {
      await minio.remove({ force: true, v: true });
    }
  });
});
