/**
 * The Docker backend for real, when a Docker engine is reachable: the stack from docker-compose.yml (built Spark
 * image, MinIO with its bucket, master and two workers), the job run by the driver container against it, and
 * nothing left behind after stop. Also docker-compose.yml on its own through testcontainers' compose support.
 * Without an engine (as on the development machine) every test reports itself skipped with the reason.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetBucketLocationCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { Output } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import { packArtifact } from '../../src/job/artifact.js';
import { extractSummaryJson } from '../../src/job/progress.js';
import { buildSubmitPlan } from '../../src/job/submit-plan.js';
import { withScope } from '../../src/lifecycle.js';
import { sharedSampleImagesDir } from '../../src/setup/shared.js';
import { dockerProbe } from '../../src/stack/backend-select.js';
import { generateCredentials } from '../../src/stack/credentials.js';
import { dockerSubmitArgs, IN_NETWORK } from '../../src/stack/docker/driver.js';
import { connectDocker, findLabelled, removeLabelled } from '../../src/stack/docker/engine.js';
import { composeEnv, renderEnvFile, writeEnvFile } from '../../src/stack/docker/env-file.js';
import { startDockerStack } from '../../src/stack/docker/index.js';
import { checkoutId, shapeHash, stackName } from '../../src/stack/docker/names.js';
import { readDockerPins, sparkImageTagOf } from '../../src/stack/docker/pins.js';
import { shapeOf } from '../../src/stack/index.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { linesOutput } from '../../src/terminal/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const probe = await dockerProbe(process.env, 3000)();
const skipReason = probe.ok ? '' : ` — skipped: no usable Docker engine (${probe.reason})`;

const lines: string[] = [];
const out: Output = linesOutput((l) => lines.push(l));
const stateDirs: string[] = [];
const tempStateDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-docker-'));
  stateDirs.push(d);
  return d;
};

afterAll(async () => {
  if (probe.ok) {
    // Whatever a failed test left: everything of this checkout, data volume included.
    const docker = await connectDocker(process.env);
    await removeLabelled(docker, { checkout: checkoutId(ROOT) }, { volumes: true }).catch(() => {});
  }
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
});

/** Two images per class of the shared sample, when it is there. */
function sampleImages(): { key: string; file: string }[] {
  const dir = sharedSampleImagesDir(ROOT, process.env);
  try {
    return readdirSync(dir).flatMap((cls) =>
      readdirSync(path.join(dir, cls))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(0, 2)
        .map((f) => ({ key: `${cls}/${f}`, file: path.join(dir, cls, f) })),
    );
  } catch {
    return [];
  }
}

describe.skipIf(!probe.ok)(`docker backend: cluster profile${skipReason}`, () => {
  it('starts the stack, runs the job in the driver container, and leaves no container or network after stop', async () => {
    const cfg = loadConfig({ root: ROOT, env: process.env, flags: { profile: 'cluster' } });
    const stateDir = tempStateDir();
    const shape = shapeOf(cfg);
    const images = sampleImages();
    await withScope(
      async (scope) => {
        const stack = await startDockerStack({ cfg, shape, stateDir, credentials: generateCredentials(), scope, keep: false, out, env: process.env });
        expect(stack.backend).toBe('docker');
        expect(stack.sparkMaster).toBe(IN_NETWORK.clusterMaster);
        expect(stack.s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(stack.sparkUi).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

        const s3 = createS3Client(stack.s3);
        await s3.send(new HeadBucketCommand({ Bucket: stack.s3.bucket }));
        const loc = await s3.send(new GetBucketLocationCommand({ Bucket: stack.s3.bucket }));
        expect(loc.LocationConstraint).toBe(shape.region);

        if (images.length === 0) {
          out.warn(`job part skipped: no sample images under ${sharedSampleImagesDir(ROOT, process.env)} (set FRUITS_SHARED_DIR)`);
          return;
        }
        for (const img of images) {
          await s3.send(new PutObjectCommand({ Bucket: stack.s3.bucket, Key: `inputs/docker-test/${img.key}`, Body: readFileSync(img.file) }));
        }
        const artifact = await packArtifact(ROOT, path.join(stateDir, 'artifact'));
        const runId = `docker-it-${Date.now()}`;
        if (cfg.profile.kind !== 'cluster') throw new Error('expected the cluster profile');
        const plan = buildSubmitPlan({
          tools: { python: '/unused', sparkHome: '/unused', sparkSubmit: '/unused', s3aJars: ['/unused.jar'], javaHome: '/unused' },
          master: stack.sparkMaster,
          profile: cfg.profile,
          s3: stack.s3,
          artifact,
          job: cfg.job,
          input: `s3a://${stack.s3.bucket}/inputs/docker-test/`,
          output: `s3a://${stack.s3.bucket}/runs/${runId}/`,
          weights: 'random:0',
          runId,
        });
        const cmd = stack.driver.command(dockerSubmitArgs(plan.args), { runId, mounts: [{ host: artifact.dir }], env: process.env });
        scope.stack.defer(() => stack.driver.kill(cmd.containerName), 'driver');
        const run = await execa(cmd.file, cmd.args, { env: cmd.env, extendEnv: false, reject: false, cancelSignal: scope.signal, all: true });
        expect(run.exitCode, run.all?.split('\n').slice(-30).join('\n')).toBe(0);
        const summary = JSON.parse(extractSummaryJson(run.stdout.split('\n'))!) as { counts: { inputs: number; featurized: number }; spark: { master: string } };
        expect(summary.counts.inputs).toBe(images.length);
        expect(summary.counts.featurized).toBe(images.length);
        expect(summary.spark.master).toBe(IN_NETWORK.clusterMaster);
      },
      { handleSignals: false },
    );
    const docker = await connectDocker(process.env);
    const left = await findLabelled(docker, { stack: stackName(ROOT) });
    expect(left.containers).toEqual([]);
    expect(left.networks).toEqual([]);
  });
});

describe.skipIf(!probe.ok)(`docker-compose.yml through testcontainers${skipReason}`, () => {
  it('brings MinIO up healthy on 127.0.0.1 and creates the bucket', async () => {
    const { DockerComposeEnvironment, Wait } = await import('testcontainers');
    const stateDir = tempStateDir();
    const envFile = path.join(stateDir, 'compose.env');
    const pins = readDockerPins(ROOT);
    const shape = { kind: 'local' as const, region: 'eu-west-3', bucket: 'fruits-tc', workers: 0, workerCores: 0, workerMemory: '' };
    const credentials = generateCredentials();
    writeEnvFile(
      envFile,
      renderEnvFile(composeEnv({ stack: `${stackName(ROOT)}-tc`, checkout: checkoutId(ROOT), profileName: 'local', shape, shapeHash: shapeHash(shape), kept: false, ownerPid: process.pid, pins, sparkImage: sparkImageTagOf(ROOT, pins.spark), credentials, minioPort: 0 })),
    );
    const env = await new DockerComposeEnvironment(ROOT, 'docker-compose.yml')
      .withEnvironmentFile(envFile)
      .withProjectName(`${stackName(ROOT)}-tc`)
      .withWaitStrategy('minio-1', Wait.forHealthCheck())
      .up(['minio']);
    try {
      const minio = env.getContainer('minio-1');
      const endpoint = `http://${minio.getHost()}:${minio.getMappedPort(9000)}`;
      const bucket = await execa('docker', ['compose', '--file', path.join(ROOT, 'docker-compose.yml'), '--env-file', envFile, '--project-name', `${stackName(ROOT)}-tc`, 'run', '--rm', '--no-TTY', 'create-bucket'], { reject: false, all: true });
      expect(bucket.exitCode, bucket.all).toBe(0);
      const s3 = createS3Client({ region: shape.region, endpoint, ...credentials });
      await s3.send(new HeadBucketCommand({ Bucket: shape.bucket }));
    } finally {
      await env.down({ removeVolumes: true });
    }
  });
});
