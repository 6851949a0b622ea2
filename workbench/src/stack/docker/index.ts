/**
 * The Docker backend: the same StartedStack as the native backend, from docker-compose.yml realised through the
 * Engine API (compose-file.ts, compose-engine.ts; no compose CLI). It builds what it needs first: the base image
 * (base-image.ts) and the chosen release's Spark image (image.ts; one per release, side by side) from the host
 * set-up it is given for that release (the tools and set-up's wheelhouse of the release's runtime lock). The
 * release is part of the stack's shape: a kept stack of another release is replaced, never reused. The engine's labels are its only state: what is running, where its ports are,
 * and removing everything by label on stop, on Ctrl-C and after a crash. The job's driver runs in a one-off container on the stack's network (driver.ts): `sparkMaster`
 * and `driver` are as seen from there, `s3.endpoint` is as seen from the host (uploads, downloads, parity).
 *
 * One stack per checkout (names.ts), like the native backend's one stack per state folder. Reuse or replace is
 * decided by the one kept-stack mechanism (../kept-stack.ts); this backend finds by labels and judges health. The MinIO
 * data volume outlives the stack only when it was started with --keep.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Output } from '../../terminal/index.js';
import type { WorkbenchConfig } from '../../config/schema.js';
import { ServiceError } from '../../errors.js';
import type { Scope } from '../../lifecycle.js';
import type { StackCredentials } from '../credentials.js';
import { decideFound, ownedElsewhereError, type FoundStack, type StackBackend } from '../kept-stack.js';
import { minioIsLive } from '../native/minio.js';
import { fetchMasterJson } from '../native/spark-master.js';
import type { StackShape } from '../state.js';
import type { StackTools, StartedService, StartedStack, Wheelhouse } from '../types.js';
import { ensureBaseImage } from './base-image.js';
import { loadCompose, type ComposeModel } from './compose-file.js';
import { composeRunOnce, composeUp, SERVICE, type ComposeProject } from './compose-engine.js';
import { dockerDriver, IN_NETWORK, type DockerDriver } from './driver.js';
import { connectDocker, findLabelled, isHealthy, pingDocker, publishedPort, removeLabelled } from './engine.js';
import { composeEnv, renderEnvFile, writeEnvFile } from './env-file.js';
import { ensureSparkImage } from './image.js';
import { containerLogFile, saveLogs } from './logs.js';
import { checkoutId, LABEL, shapeHash, stackName } from './names.js';
import { readDockerPins } from './pins.js';

export interface DockerStartedStack extends StartedStack {
  backend: 'docker';
  /** How the job's spark-submit runs inside the stack (the run engineer uses this instead of tools.sparkSubmit). */
  driver: DockerDriver;
}

export interface DockerStackOptions {
  cfg: WorkbenchConfig;
  shape: StackShape;
  stateDir: string;
  credentials: StackCredentials;
  scope: Scope;
  out: Output;
  env: Record<string, string | undefined>;
  /** The host set-up baked into the image: the verified s3a jars of cfg.release and MinIO. */
  tools: Pick<StackTools, 's3aJars' | 'minio'>;
  /** Set-up's wheelhouse of cfg.release's runtime lock (baked into the image), asked for once the base image is there. */
  wheelhouse: () => Promise<Wheelhouse>;
}

const PING_TIMEOUT_MS = 3000;

export function dockerPaths(stateDir: string, stack: string, release = '') {
  const dir = path.join(stateDir, 'docker');
  return {
    dir,
    envFile: path.join(dir, `${stack}.env`),
    /** Fingerprint of the credentials the MinIO volume was created with (not the credentials). */
    volumeCredentials: path.join(dir, `${stack}.volume-credentials`),
    /** One build log per release: building one release's image never overwrites the other's log. */
    buildLog: path.join(dir, release ? `build-${release}.log` : 'build.log'),
    baseLog: path.join(dir, 'base-image.log'),
    logDir: path.join(dir, 'logs'),
  };
}

/** A one-way fingerprint of the credentials, to tell whether a kept volume belongs to them. Pure. */
export function credentialsFingerprint(c: StackCredentials): string {
  return createHash('sha256').update(`${c.accessKeyId}\0${c.secretAccessKey}`).digest('hex').slice(0, 16);
}

function readFileOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function composeProject(cfg: WorkbenchConfig, stack: string): ComposeProject {
  return { name: stack, workingDir: cfg.root, configFile: path.join(cfg.root, 'docker-compose.yml') };
}

async function connected(env: Record<string, string | undefined>): Promise<Docker> {
  const docker = await connectDocker(env);
  const ping = await pingDocker(docker, PING_TIMEOUT_MS);
  if (!ping.ok) {
    throw new ServiceError(`the docker backend cannot reach a Docker engine: ${ping.reason}`, 'start Docker (Docker Desktop, colima start, or sudo systemctl start docker), or use --backend native');
  }
  return docker;
}

const role = (c: Docker.ContainerInfo) => c.Labels?.[LABEL.role];

/** Expected running services of a shape are all there and healthy (Docker's view). Pure. */
export function stackIsHealthy(containers: Docker.ContainerInfo[], shape: Pick<StackShape, 'kind' | 'workers'>): boolean {
  const healthy = (r: string) => containers.filter((c) => role(c) === r && isHealthy(c)).length;
  if (healthy(SERVICE.minio) !== 1) return false;
  if (shape.kind === 'local') return true;
  return healthy(SERVICE.master) === 1 && healthy(SERVICE.worker) === shape.workers;
}

/** The label value that says what a stack runs: its shape (the release included) and its image. Pure. */
export function stackShapeHash(shape: StackShape, sparkImage: string): string {
  return shapeHash({ ...shape, sparkImage });
}

/** What the engine has under this stack's name, for the kept-stack mechanism; undefined when nothing. Pure. */
export function foundDockerStack(found: { containers: Docker.ContainerInfo[]; networks: unknown[] }, shapeHash: string): DockerFound | undefined {
  const { containers } = found;
  if (containers.length === 0 && found.networks.length === 0) return undefined;
  const labels = containers[0]?.Labels ?? {};
  const owner = Number(labels[LABEL.owner]);
  return {
    containers,
    kept: labels[LABEL.kept] === 'true',
    ownerPid: Number.isInteger(owner) && owner > 0 ? owner : undefined,
    running: containers.length > 0,
    sameShape: containers.length > 0 && containers.every((c) => c.Labels?.[LABEL.shape] === shapeHash),
  };
}

export interface DockerFound extends FoundStack {
  containers: Docker.ContainerInfo[];
}

async function waitForWorkers(ui: string, workers: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const json = await fetchMasterJson(ui, signal);
    const alive = json?.workers?.filter((w) => w.state === 'ALIVE').length ?? 0;
    if (json?.status === 'ALIVE' && alive >= workers) return;
    if (signal.aborted || Date.now() > deadline) {
      throw new ServiceError(`the Spark master at ${ui} has ${alive} of ${workers} workers alive`, 'see the container logs in the state folder (docker/logs/), then rerun');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function toStarted(
  containers: Docker.ContainerInfo[],
  o: { docker: Docker; shape: StackShape; localMaster: string; credentials: StackCredentials; project: ComposeProject; model: ComposeModel; logDir: string; reused: boolean; stop: () => Promise<void>; modelCache: string },
): DockerStartedStack {
  const minio = containers.find((c) => role(c) === SERVICE.minio);
  const master = containers.find((c) => role(c) === SERVICE.master);
  const s3Port = minio && publishedPort(minio, 9000);
  if (!s3Port) throw new ServiceError('MinIO runs but Docker published no 127.0.0.1 port for it', 'check `docker ps` for the stack, then rerun');
  const uiPort = master && publishedPort(master, 8080);
  const endpoint = `http://127.0.0.1:${s3Port}`;
  const sparkUi = uiPort ? `http://127.0.0.1:${uiPort}` : undefined;
  const services: StartedService[] = containers
    .filter((c) => role(c) !== SERVICE.createBucket)
    .map((c) => {
      const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
      const endpoints: Record<string, string> =
        role(c) === SERVICE.minio ? { s3: endpoint, network: IN_NETWORK.s3aEndpoint } : role(c) === SERVICE.master ? { master: IN_NETWORK.clusterMaster, ...(sparkUi ? { ui: sparkUi } : {}) } : {};
      let stopping: Promise<void> | undefined;
      return {
        name,
        endpoints,
        logFile: containerLogFile(o.logDir, name),
        stop: () =>
          (stopping ??= saveLogs(o.docker, [c], o.logDir).then(() =>
            o.docker
              .getContainer(c.Id)
              .remove({ force: true, v: true })
              .catch((err: { statusCode?: number }) => {
                if (err.statusCode !== 404) throw err;
              }),
          )),
      };
    });
  return {
    backend: 'docker',
    s3: { endpoint, region: o.shape.region, bucket: o.shape.bucket, ...o.credentials },
    sparkMaster: o.shape.kind === 'cluster' ? IN_NETWORK.clusterMaster : o.localMaster,
    sparkUi,
    services,
    reused: o.reused,
    stop: o.stop,
    driver: dockerDriver(o.project, o.model, o.docker, { modelCache: o.modelCache }),
  };
}

/** Builds (or finds cached) what the stack runs, then the backend the kept-stack mechanism drives. */
export async function dockerBackend(o: DockerStackOptions): Promise<StackBackend<DockerFound, DockerStartedStack>> {
  const { cfg, shape, scope, out } = o;
  const docker = await connected(o.env);

  const stack = stackName(cfg.root);
  const checkout = checkoutId(cfg.root);
  const pins = readDockerPins(cfg.root);
  const release = cfg.release;
  const paths = dockerPaths(o.stateDir, stack, release.label);
  ensurePrivateDir(paths.dir);
  const signal = scope.signal;

  // What the stack runs: built once per change, reused otherwise (each step says "cached" or what it does).
  const base = await ensureBaseImage(docker, pins, { workDir: path.join(cfg.cacheDir, 'docker'), logFile: paths.baseLog, out, signal });
  const wheelhouse = await o.wheelhouse();
  const sparkImage = await ensureSparkImage(
    docker,
    { root: cfg.root, wheelhouse, jars: o.tools.s3aJars, minio: o.tools.minio, base, release },
    { contextDir: path.join(cfg.cacheDir, 'docker', `context-${process.pid}`), logFile: paths.buildLog, out, signal },
  );

  // The release (shape.release) and the image are part of the shape label: a kept stack of another release, or
  // running an image of an older lock or Dockerfile, is replaced (kept-stack.ts), never reused; stacks never mix
  // releases.
  const hash = stackShapeHash(shape, sparkImage);
  const project = composeProject(cfg, stack);
  const localMaster = cfg.profile.kind === 'local' ? cfg.profile.spark.master : 'local[*]';
  // The release's converted-model cache, the same folder as the native driver's (targets/local-stack.ts). The image
  // holds no converter: the driver's `prepare` converts on the host into it (host-conversion.ts), and the container
  // only reads. The entry key covers what runs the model (weights, engine, the artifact's job code, numpy and the
  // engine runtime), which the image and the host venv of one release share; the converters are recorded in the
  // entry, not keyed (pipeline/src/fruits_pipeline/model_cache.py). Why host and container drivers seemed never to
  // share entries before: the key covers the job code (manifest.code_sha256 of the artifact's zip), and in the bench
  // that showed it another session's commit changed pipeline/src between the Docker run and the native one
  // (manifests: code 3775d633f119 vs b68b9f842141); with the same code they did share (emr-7.13.0: Docker miss, then
  // native hit).
  const modelCache = path.join(cfg.cacheDir, 'converted-models', release.label);
  const timeoutMs = cfg.stack.readyTimeoutSeconds * 1000;
  const envFor = (kept: boolean) =>
    composeEnv({ stack, checkout, profileName: cfg.profileName, shape, shapeHash: hash, kept, ownerPid: process.pid, sparkImage, credentials: o.credentials, minioPort: cfg.stack.minioPort });
  const modelFor = (kept: boolean) => loadCompose(readFileSync(project.configFile, 'utf8'), envFor(kept));

  const stopFor = (keep: boolean) => {
    let stopping: Promise<void> | undefined;
    return () =>
      (stopping ??= (async () => {
        const found = await findLabelled(docker, { stack });
        await saveLogs(docker, found.containers, paths.logDir);
        // Without --keep nothing survives, the data volume included; a kept stack keeps its volume.
        await removeLabelled(docker, { stack }, { volumes: !keep });
        rmSync(paths.envFile, { force: true });
      })());
  };
  const started = (containers: Docker.ContainerInfo[], model: ComposeModel, reused: boolean, stop: () => Promise<void>) =>
    toStarted(containers, { docker, shape, localMaster, credentials: o.credentials, project, model, logDir: paths.logDir, reused, stop, modelCache });

  return {
    what: `the Docker stack ${stack}`,
    onePer: 'one stack per checkout',
    keptLine: 'Docker stack kept running (npm run stop stops it):',
    find: async () => foundDockerStack(await findLabelled(docker, { stack }), hash),
    reusingLine: () => `reusing the kept Docker stack ${stack} (npm run stop stops it):`,

    async reuse(f) {
      if (!stackIsHealthy(f.containers, shape)) return undefined;
      const reused = started(f.containers, modelFor(true), true, stopFor(true));
      if (!(await minioIsLive(reused.s3.endpoint, signal))) return undefined;
      writeEnvFile(paths.envFile, renderEnvFile(envFor(true)));
      return reused;
    },

    async replace(f) {
      out.info(`removing what is left of the Docker stack ${stack} (${f.containers.length} containers)...`);
      await saveLogs(docker, f.containers, paths.logDir);
      await removeLabelled(docker, { stack });
    },

    async start(keep) {
      // A kept MinIO volume belongs to the credentials it was created with. New credentials (state folder wiped)
      // mean a fresh volume.
      const fingerprint = credentialsFingerprint(o.credentials);
      const { volumes } = await findLabelled(docker, { stack });
      if (volumes.length > 0 && readFileOr(paths.volumeCredentials) !== fingerprint) {
        out.info(`removing the MinIO data volume of ${stack}: it belongs to other credentials`);
        await removeLabelled(docker, { stack }, { volumes: true });
      }
      writeFileSync(paths.volumeCredentials, fingerprint, { mode: 0o600 });
      writeEnvFile(paths.envFile, renderEnvFile(envFor(keep)));
      const model = modelFor(keep);

      // Owned by this command from here: a failure or Ctrl-C half-way removes what was started.
      const stop = stopFor(keep);
      scope.stack.defer(stop, 'docker-stack');
      const services = shape.kind === 'cluster' ? [SERVICE.minio, SERVICE.master, SERVICE.worker] : [SERVICE.minio];
      out.info(`starting the Docker stack ${stack} (${shape.kind === 'cluster' ? `MinIO, Spark master, ${shape.workers} workers` : 'MinIO'})...`);
      await composeUp(docker, project, model, { services, replicas: { [SERVICE.worker]: shape.workers }, timeoutMs, signal });
      await composeRunOnce(docker, project, model, SERVICE.createBucket, { timeoutMs, signal });

      const { containers } = await findLabelled(docker, { stack });
      const stack_ = started(containers, model, false, stop);
      if (!(await minioIsLive(stack_.s3.endpoint, signal))) {
        throw new ServiceError(`MinIO is healthy inside Docker but not reachable from the host at ${stack_.s3.endpoint}`, 'check that nothing else intercepts 127.0.0.1 ports (VPN, proxy), then rerun');
      }
      if (shape.kind === 'cluster') {
        if (!stack_.sparkUi) throw new ServiceError('the Spark master runs but Docker published no 127.0.0.1 port for its UI', 'check `docker ps`, then rerun');
        await waitForWorkers(stack_.sparkUi, shape.workers, timeoutMs, signal);
      }
      if (keep) scope.stack.release('docker-stack');
      return stack_;
    },

    describe: (s) => [
      `  s3 (MinIO in Docker): ${s.s3.endpoint}  bucket ${s.s3.bucket} in ${s.s3.region}  (in the stack: ${IN_NETWORK.s3aEndpoint})`,
      `  spark master: ${s.sparkMaster}${s.sparkUi ? `  (ui ${s.sparkUi})` : ''}; the driver runs in a container`,
      `  compose env file (for docker compose by hand): ${paths.envFile} (mode 0600, holds the credentials)`,
    ],
  };
}

/**
 * Removes every Docker stack of this checkout (kept, or left by a crash). False when there was none, or when no
 * Docker engine answers (then there is nothing of ours to find). Refuses a stack whose owner command still runs.
 */
export async function stopDockerStacks(cfg: WorkbenchConfig, stateDir: string, out: Output, env: Record<string, string | undefined>): Promise<boolean> {
  const docker = await connectDocker(env);
  if (!(await pingDocker(docker, PING_TIMEOUT_MS)).ok) return false;
  const checkout = checkoutId(cfg.root);
  const found = await findLabelled(docker, { checkout });
  if (found.containers.length + found.networks.length === 0) return false;
  const stacks = [...new Set([...found.containers, ...found.networks].map((r) => r.Labels?.[LABEL.stack]).filter((s): s is string => !!s))];
  for (const stack of stacks) {
    const decision = decideFound(foundDockerStack({ containers: found.containers.filter((c) => c.Labels?.[LABEL.stack] === stack), networks: [] }, ''));
    if (decision.action === 'refuse') throw ownedElsewhereError(`the Docker stack ${stack}`, decision.ownerPid, { stopping: true });
  }
  for (const stack of stacks) {
    const paths = dockerPaths(stateDir, stack);
    out.info(`removing the Docker stack ${stack}...`);
    await saveLogs(docker, found.containers.filter((c) => c.Labels?.[LABEL.stack] === stack), paths.logDir);
    await removeLabelled(docker, { stack });
    rmSync(paths.envFile, { force: true });
  }
  return true;
}
