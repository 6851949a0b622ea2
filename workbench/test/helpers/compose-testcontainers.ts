/**
 * docker-compose.yml's services as testcontainers, for the Docker integration tests.
 *
 * A service's container comes from `containerSpec` (stack/docker/compose-engine.ts), the function the Docker
 * backend realises docker-compose.yml with, applied to a testcontainers `GenericContainer` (or `MinioContainer` for
 * the minio service): the compose file stays the one description of what runs, and testcontainers only starts,
 * waits for and stops it. The image is the workbench's locally built Spark image; testcontainers' default pull
 * policy uses a local image as it is, so nothing is pulled.
 *
 * Reaping: testcontainers' Ryuk reaper is an image from Docker Hub. Where it is neither present nor pullable, Ryuk
 * is turned off for this process (TESTCONTAINERS_RYUK_DISABLED=true, said on stderr), and the reaper is the one the
 * workbench itself relies on: the com.fruits-workbench.* labels containerSpec puts on every container, removed by
 * `removeLabelled`; the tests check that nothing labelled is left.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { MinioContainer } from '@testcontainers/minio';
import { GenericContainer, Wait, type PortWithOptionalBinding } from 'testcontainers';
// The Ryuk image testcontainers would start (honours RYUK_CONTAINER_IMAGE); not re-exported by the package index.
import { REAPER_IMAGE } from 'testcontainers/build/reaper/reaper.js';
import type { StackCredentials } from '../../src/stack/credentials.js';
import { loadCompose, type ComposeModel } from '../../src/stack/docker/compose-file.js';
import { containerSpec, type ComposeProject, type CreateOverrides } from '../../src/stack/docker/compose-engine.js';
import { hasImage } from '../../src/stack/docker/engine.js';
import { composeEnv } from '../../src/stack/docker/env-file.js';
import type { StackShape } from '../../src/stack/state.js';

/**
 * Makes testcontainers fit this engine, before any container starts: Ryuk off when its image can be neither found
 * nor pulled (an explicit TESTCONTAINERS_RYUK_DISABLED wins), and the host override 127.0.0.1 because every port
 * is published on 127.0.0.1 only (`localhost` may resolve to ::1 first). Returns what it decided, to print.
 */
export async function prepareTestcontainers(docker: Docker, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const notes: string[] = [];
  env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  if (env.TESTCONTAINERS_RYUK_DISABLED === undefined && !(await hasImage(docker, REAPER_IMAGE))) {
    const pulled = await pullQuietly(docker, REAPER_IMAGE, 30_000);
    if (!pulled.ok) {
      env.TESTCONTAINERS_RYUK_DISABLED = 'true';
      notes.push(`testcontainers: Ryuk off (its image ${REAPER_IMAGE} is not here and cannot be pulled: ${pulled.reason}); the com.fruits-workbench.* labels and removeLabelled reap`);
    }
  }
  if (env.TESTCONTAINERS_RYUK_DISABLED === 'true' && notes.length === 0) notes.push('testcontainers: Ryuk off (TESTCONTAINERS_RYUK_DISABLED=true); the com.fruits-workbench.* labels and removeLabelled reap');
  return notes;
}

async function pullQuietly(docker: Docker, image: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        const stream = await docker.pull(image);
        await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
      })(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs))),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: ((err as Error).message ?? String(err)).split('\n')[0]! };
  } finally {
    clearTimeout(timer);
  }
}

/** docker-compose.yml as the Docker backend reads it (same variables, same parser), for a test stack. */
export interface TestCompose {
  project: ComposeProject;
  model: ComposeModel;
  /** The create options of one replica of a service: containerSpec, as `composeUp`/`composeRunOnce` use it. */
  spec(service: string, n?: number, overrides?: CreateOverrides): Docker.ContainerCreateOptions;
}

export function testCompose(o: { root: string; stack: string; checkout: string; image: string; credentials: StackCredentials; shape: StackShape; profileName?: string }): TestCompose {
  const configFile = path.join(o.root, 'docker-compose.yml');
  const vars = composeEnv({
    stack: o.stack,
    checkout: o.checkout,
    profileName: o.profileName ?? 'test',
    shape: o.shape,
    shapeHash: 'testcontainers',
    kept: false,
    ownerPid: process.pid,
    sparkImage: o.image,
    credentials: o.credentials,
    minioPort: 0,
  });
  const model = loadCompose(readFileSync(configFile, 'utf8'), vars);
  const project: ComposeProject = { name: o.stack, workingDir: o.root, configFile };
  return {
    project,
    model,
    spec(service, n = 1, overrides) {
      const s = model.services.find((x) => x.name === service);
      if (!s) throw new Error(`docker-compose.yml has no service ${service}`);
      return containerSpec(project, s, n, overrides);
    },
  };
}

const STARTUP_TIMEOUT_MS = 3 * 60_000;

/** The fields of a GenericContainer that have no public setter for what containerSpec says (init, 127.0.0.1 bindings, network aliases). */
interface ContainerInternals {
  createOpts: Docker.ContainerCreateOptions;
  hostConfig: Docker.HostConfig;
  exposedPorts: PortWithOptionalBinding[];
}

/**
 * Applies containerSpec's create options to a testcontainers container, losslessly: name, command, entrypoint,
 * environment, labels, user, health check, init, named volumes, the project network with its aliases, and the
 * 127.0.0.1 port bindings (testcontainers' own `withExposedPorts` would bind every interface). Waits for the
 * compose health check when the service has one.
 */
export function applyContainerSpec<T extends GenericContainer>(container: T, spec: Docker.ContainerCreateOptions): T {
  const { HostConfig: hostConfig = {}, Env = [], Healthcheck, ExposedPorts = {}, ...rest } = spec;
  const internals = container as unknown as ContainerInternals;
  internals.createOpts = { ...internals.createOpts, ...rest, ExposedPorts };
  container.withEnvironment(Object.fromEntries(Env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
  // Only the spec's ports: a container class's own (MinioContainer exposes a console port the stack turns off).
  internals.exposedPorts = Object.keys(ExposedPorts).map((p) => Number(p.split('/')[0]));
  internals.hostConfig = { ...internals.hostConfig, ...hostConfig, PortBindings: hostConfig.PortBindings ?? {} };
  // testcontainers sets HostConfig.NetworkMode from its own field at start: give it the spec's network.
  if (hostConfig.NetworkMode) container.withNetworkMode(hostConfig.NetworkMode);
  if (Healthcheck?.Test) {
    container.withHealthCheck({
      test: Healthcheck.Test as ['CMD', ...string[]],
      interval: (Healthcheck.Interval ?? 0) / 1e6,
      timeout: (Healthcheck.Timeout ?? 0) / 1e6,
      retries: Healthcheck.Retries ?? 0,
      startPeriod: (Healthcheck.StartPeriod ?? 0) / 1e6,
    });
    container.withWaitStrategy(Wait.forHealthCheck());
  }
  // A JVM or MinIO on 2 busy cores can take longer than testcontainers' default minute to become healthy.
  return container.withStartupTimeout(STARTUP_TIMEOUT_MS);
}

/** A compose service's container on testcontainers' GenericContainer. */
export function serviceContainer(spec: Docker.ContainerCreateOptions): GenericContainer {
  if (!spec.Image) throw new Error('containerSpec gave no image');
  return applyContainerSpec(new GenericContainer(spec.Image), spec);
}

/**
 * The minio service on @testcontainers/minio's MinioContainer: the compose spec (our image's MinIO, its command,
 * volume, labels, health check), MinioContainer's root credentials taken from the spec's environment, and as wait
 * both the compose health check (inside) and MinioContainer's live check through the published port (the host's view).
 */
export function minioServiceContainer(spec: Docker.ContainerCreateOptions): MinioContainer {
  if (!spec.Image) throw new Error('containerSpec gave no image');
  const env = Object.fromEntries((spec.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (!env.MINIO_ROOT_USER || !env.MINIO_ROOT_PASSWORD) throw new Error('the minio service spec has no MINIO_ROOT_USER/MINIO_ROOT_PASSWORD');
  const minio = applyContainerSpec(new MinioContainer(spec.Image), spec).withUsername(env.MINIO_ROOT_USER).withPassword(env.MINIO_ROOT_PASSWORD);
  return minio.withWaitStrategy(Wait.forAll([Wait.forHealthCheck(), Wait.forHttp('/minio/health/live', 9000)]));
}
