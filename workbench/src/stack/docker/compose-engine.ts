/**
 * docker-compose.yml realised through the Engine API (dockerode), for the subset the stack uses: the project's
 * network and named volumes (idempotent), services created with compose's own names and `com.docker.compose.*`
 * labels (so `docker compose ps/logs` by hand sees the same project), replicas, profiles, 127.0.0.1 port bindings,
 * health checks; `up` starts in dependency order and waits for health; `runOnce` runs a one-shot service to its
 * exit code. Why not the compose CLI or dockerode-compose: ../shared/design/dockerode-compose.md.
 * Building the create options is pure; the rest talks to the engine.
 */
import type Docker from 'dockerode';
import { AbortedError, ServiceError } from '../../errors.js';
import { startOrder, type ComposeModel, type ComposeService } from './compose-file.js';
import { demuxDockerLog } from './logs.js';

export interface ComposeProject {
  /** Compose project name = stack name (names.ts). */
  name: string;
  /** Repository root, recorded in compose's labels. */
  workingDir: string;
  /** Absolute path of docker-compose.yml, recorded in compose's labels. */
  configFile: string;
}

/** Service names in docker-compose.yml. */
export const SERVICE = {
  minio: 'minio',
  createBucket: 'create-bucket',
  master: 'spark-master',
  worker: 'spark-worker',
  driver: 'spark-driver',
} as const;

export const networkName = (p: ComposeProject) => `${p.name}_default`;
export const volumeName = (p: ComposeProject, volume: string) => `${p.name}_${volume}`;
export const containerName = (p: ComposeProject, service: string, n: number) => `${p.name}-${service}-${n}`;

/** The labels `docker compose` puts on a container, so that the CLI recognises the project. Pure. */
export function composeLabels(p: ComposeProject, service: string, n: number, oneoff: boolean): Record<string, string> {
  return {
    'com.docker.compose.project': p.name,
    'com.docker.compose.project.working_dir': p.workingDir,
    'com.docker.compose.project.config_files': p.configFile,
    'com.docker.compose.service': service,
    'com.docker.compose.container-number': String(n),
    'com.docker.compose.oneoff': oneoff ? 'True' : 'False',
  };
}

export interface CreateOverrides {
  name?: string;
  cmd?: string[];
  user?: string;
  env?: Record<string, string>;
  /** Bind mounts, host path -> container path: read-only unless `writable`. */
  binds?: { host: string; container: string; writable?: boolean }[];
  oneoff?: boolean;
}

/** A service's container create options (replica n), as compose would create it. Pure. */
export function containerSpec(p: ComposeProject, s: ComposeService, n: number, o: CreateOverrides = {}): Docker.ContainerCreateOptions {
  const network = networkName(p);
  const name = o.name ?? containerName(p, s.name, n);
  const exposed = Object.fromEntries(s.ports.map((port) => [`${port.containerPort}/tcp`, {}]));
  const bindings = Object.fromEntries(s.ports.map((port) => [`${port.containerPort}/tcp`, [{ HostIp: port.hostIp, HostPort: port.hostPort }]]));
  const env = { ...s.environment, ...o.env };
  return {
    name,
    Image: s.image,
    ...(o.cmd ?? s.command ? { Cmd: o.cmd ?? s.command } : {}),
    ...(s.entrypoint ? { Entrypoint: s.entrypoint } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...s.labels, ...composeLabels(p, s.name, n, o.oneoff ?? false) },
    ...(o.user ?? s.user ? { User: o.user ?? s.user } : {}),
    ExposedPorts: exposed,
    ...(s.healthcheck
      ? {
          Healthcheck: {
            Test: s.healthcheck.test,
            Interval: s.healthcheck.intervalNs,
            Timeout: s.healthcheck.timeoutNs,
            Retries: s.healthcheck.retries,
            StartPeriod: s.healthcheck.startPeriodNs,
          },
        }
      : {}),
    HostConfig: {
      Init: s.init,
      NetworkMode: network,
      PortBindings: bindings,
      Binds: [
        ...s.volumes.map((v) => `${volumeName(p, v.source)}:${v.target}`),
        ...(o.binds ?? []).map((b) => `${b.host}:${b.container}${b.writable ? '' : ':ro'}`),
      ],
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [s.name, name] } } },
  };
}

const statusOf = (err: unknown) => (err as { statusCode?: number })?.statusCode;

/** Creates the project's network and named volumes unless they exist (a second `up` is not an error). */
export async function ensureNetworkAndVolumes(docker: Docker, p: ComposeProject, model: ComposeModel): Promise<void> {
  const net = networkName(p);
  const existing = await docker.listNetworks({ filters: { name: [net] } });
  if (!existing.some((n) => n.Name === net)) {
    await docker
      .createNetwork({ Name: net, Driver: 'bridge', CheckDuplicate: true, Labels: { ...model.networkLabels, 'com.docker.compose.project': p.name, 'com.docker.compose.network': 'default' } })
      .catch((err: unknown) => {
        if (statusOf(err) !== 409) throw err;
      });
  }
  for (const [volume, v] of Object.entries(model.volumes)) {
    const name = volumeName(p, volume);
    try {
      await docker.getVolume(name).inspect();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await docker.createVolume({ Name: name, Labels: { ...v.labels, 'com.docker.compose.project': p.name, 'com.docker.compose.volume': volume } });
    }
  }
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
  if (signal.aborted) throw new AbortedError();
}

async function tailLogs(docker: Docker, id: string, lines = 15): Promise<string> {
  try {
    const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
    return demuxDockerLog(Buffer.from(raw)).toString('utf8').trim().split('\n').map((l) => `  | ${l}`).join('\n');
  } catch {
    return '';
  }
}

/** Waits until a container's health check passes; fails when it is unhealthy, exits, or time runs out. */
export async function waitHealthy(docker: Docker, id: string, label: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await docker.getContainer(id).inspect();
    const health = info.State.Health?.Status;
    if (health === 'healthy' || (!info.Config.Healthcheck && info.State.Running)) return;
    if (!info.State.Running || health === 'unhealthy' || Date.now() > deadline) {
      const why = !info.State.Running ? `exited (code ${info.State.ExitCode})` : health === 'unhealthy' ? 'is unhealthy' : `is not healthy after ${timeoutMs / 1000}s`;
      const tail = await tailLogs(docker, id);
      throw new ServiceError(`${label} ${why}${tail ? `:\n${tail}` : ''}`, 'see the container logs in the state folder (docker/logs/), fix the cause, then rerun');
    }
    await sleep(500, signal);
  }
}

async function createAndStart(docker: Docker, spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  let c: Docker.Container;
  try {
    c = await docker.createContainer(spec);
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    // A container of that name is left over (e.g. a crash between clean-up and start): replace it.
    await docker.getContainer(spec.name!).remove({ force: true, v: true });
    c = await docker.createContainer(spec);
  }
  await c.start();
  return c;
}

/**
 * `up` for the given services (and what they depend on), in dependency order: a service waits for its
 * dependencies' conditions (healthy, or completed successfully for one-shot services), its replicas start
 * together, and `up` returns once every started service with a health check is healthy.
 */
export async function composeUp(
  docker: Docker,
  p: ComposeProject,
  model: ComposeModel,
  o: { services: readonly string[]; profiles?: readonly string[]; replicas?: Record<string, number>; timeoutMs: number; signal: AbortSignal; onService?: (name: string) => void },
): Promise<void> {
  await ensureNetworkAndVolumes(docker, p, model);
  const started = new Map<string, string[]>();
  for (const s of startOrder(model, o.profiles ?? [], o.services)) {
    for (const d of s.dependsOn) {
      const ids = started.get(d.service) ?? [];
      for (const id of ids) {
        if (d.condition === 'service_healthy') await waitHealthy(docker, id, d.service, o.timeoutMs, o.signal);
      }
    }
    o.onService?.(s.name);
    const replicas = o.replicas?.[s.name] ?? s.replicas;
    const ids: string[] = [];
    for (let n = 1; n <= replicas; n++) ids.push((await createAndStart(docker, containerSpec(p, s, n))).id);
    started.set(s.name, ids);
    o.signal.throwIfAborted();
  }
  for (const [name, ids] of started) {
    const s = model.services.find((x) => x.name === name)!;
    if (s.healthcheck) for (const id of ids) await waitHealthy(docker, id, name, o.timeoutMs, o.signal);
  }
}

/** Runs a one-shot service (its dependencies must be up) to its exit code; removes it; throws unless it exits 0. */
export async function composeRunOnce(docker: Docker, p: ComposeProject, model: ComposeModel, service: string, o: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  const s = model.services.find((x) => x.name === service);
  if (!s) throw new ServiceError(`docker-compose.yml has no service ${service}`, 'restore docker-compose.yml from git');
  const c = await createAndStart(docker, containerSpec(p, s, 1, { oneoff: true, name: `${p.name}-${service}-run` }));
  try {
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      const info = await c.inspect();
      if (!info.State.Running) {
        if (info.State.ExitCode === 0) return;
        const tail = await tailLogs(docker, c.id);
        throw new ServiceError(`${service} exited with code ${info.State.ExitCode}${tail ? `:\n${tail}` : ''}`, 'see the container logs in the state folder (docker/logs/), fix the cause, then rerun');
      }
      if (Date.now() > deadline) throw new ServiceError(`${service} did not finish within ${o.timeoutMs / 1000}s`, 'check the stack with `docker ps`, then rerun');
      await sleep(300, o.signal);
    }
  } finally {
    await c.remove({ force: true, v: true }).catch(() => {});
  }
}
