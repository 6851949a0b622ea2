/**
 * The Docker engine, through dockerode: is a daemon there, what does a stack consist of, where did Docker publish
 * its ports, and removing everything a stack left behind. Finds resources by label only (names.ts), so it works
 * after a crash, without the env file and without the compose CLI.
 */
import { execa } from 'execa';
import Docker from 'dockerode';
import { LABEL } from './names.js';

type Env = Record<string, string | undefined>;

/**
 * dockerode options for a Docker host URL (DOCKER_HOST syntax). undefined = dockerode's own defaults (DOCKER_HOST
 * from the process env, else /var/run/docker.sock). Pure.
 */
export function dockerOptions(host: string | undefined, env: Env = {}): Docker.DockerOptions {
  if (!host) return {};
  const url = new URL(host);
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: decodeURIComponent(url.pathname) };
    case 'npipe:':
      // npipe:////./pipe/docker_engine -> //./pipe/docker_engine
      return { socketPath: host.slice('npipe:'.length).replace(/^\/\/(?=\/)/, '') };
    case 'tcp:':
    case 'http:':
    case 'https:':
      return {
        host: url.hostname,
        port: url.port || (env.DOCKER_TLS_VERIFY === '1' ? 2376 : 2375),
        protocol: url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1' ? 'https' : 'http',
      };
    case 'ssh:':
      return { protocol: 'ssh', host: url.hostname, port: url.port || 22, username: url.username || undefined };
    default:
      throw new Error(`unsupported Docker host ${host}: expected unix://, npipe://, tcp:// or ssh://`);
  }
}

/**
 * Where the docker CLI would connect: DOCKER_HOST, else the current `docker context` (Docker Desktop, colima and
 * rootless Docker use sockets other than /var/run/docker.sock), else undefined.
 */
export async function resolveDockerHost(env: Env): Promise<string | undefined> {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  try {
    const r = await execa('docker', ['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], {
      env: { ...env },
      extendEnv: false,
      timeout: 5000,
      stdin: 'ignore',
    });
    const host = r.stdout.trim();
    return host === '' ? undefined : host;
  } catch {
    return undefined; // no docker CLI, or no context: dockerode's default socket
  }
}

export async function connectDocker(env: Env, opts: { timeoutMs?: number } = {}): Promise<Docker> {
  const host = await resolveDockerHost(env);
  // TLS over tcp:// with DOCKER_CERT_PATH is handled by docker-modem when it reads DOCKER_HOST itself.
  const options = env.DOCKER_HOST && env.DOCKER_CERT_PATH ? {} : dockerOptions(host, env);
  return new Docker({ ...options, ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}) });
}

/** Why a Docker call could not reach the daemon, in words a user can act on. Pure. */
export function describeDockerError(err: unknown, timeoutMs: number): string {
  const e = err as NodeJS.ErrnoException & { address?: string; statusCode?: number };
  switch (e?.code) {
    case 'ENOENT':
      return `no Docker socket${e.address ? ` at ${e.address}` : ''}`;
    case 'EACCES':
      return `permission denied on the Docker socket${e.address ? ` ${e.address}` : ''} (is your user in the docker group?)`;
    case 'ECONNREFUSED':
      return 'the Docker daemon refused the connection (not running?)';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return `the Docker daemon did not answer within ${timeoutMs / 1000}s`;
    default:
      return e?.message ? `Docker did not answer: ${e.message}` : `Docker did not answer: ${String(err)}`;
  }
}

/** One ping, bounded in time; never throws. */
export async function pingDocker(docker: Docker, timeoutMs: number): Promise<{ ok: boolean; reason?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: describeDockerError(err, timeoutMs) };
  } finally {
    clearTimeout(timer);
  }
}

export interface LabelledResources {
  containers: Docker.ContainerInfo[];
  volumes: Docker.VolumeInspectInfo[];
  networks: Docker.NetworkInspectInfo[];
}

/** Label filters for the engine's list calls: `key=value` pairs that must all match. Pure. */
export function labelFilters(match: Partial<Record<keyof typeof LABEL, string>>): { label: string[] } {
  const label = Object.entries(match).map(([k, v]) => `${LABEL[k as keyof typeof LABEL]}=${v}`);
  return { label: label.length > 0 ? label : [LABEL.stack] };
}

/** Every container (running or not), volume and network that carries the given labels. */
export async function findLabelled(docker: Docker, match: Partial<Record<keyof typeof LABEL, string>>): Promise<LabelledResources> {
  const filters = labelFilters(match);
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }).then((r) => r.Volumes ?? []),
    docker.listNetworks({ filters }),
  ]);
  return { containers, volumes, networks };
}

const isNotFound = (err: unknown) => (err as { statusCode?: number })?.statusCode === 404;

/**
 * Removes what findLabelled finds: containers first (killed, with their anonymous volumes), then networks, then,
 * only when asked, named volumes (the MinIO data: kept by default, as the native backend keeps its data folder).
 * Already gone is fine; other failures are collected and thrown together after trying everything.
 */
export async function removeLabelled(
  docker: Docker,
  match: Partial<Record<keyof typeof LABEL, string>>,
  opts: { volumes?: boolean } = {},
): Promise<{ containers: number; volumes: number; networks: number }> {
  const found = await findLabelled(docker, match);
  const errors: unknown[] = [];
  const attempt = async (what: () => Promise<unknown>) => {
    try {
      await what();
      return 1;
    } catch (err) {
      if (isNotFound(err)) return 0;
      errors.push(err);
      return 0;
    }
  };
  let containers = 0;
  for (const c of found.containers) containers += await attempt(() => docker.getContainer(c.Id).remove({ force: true, v: true }));
  let networks = 0;
  for (const n of found.networks) networks += await attempt(() => docker.getNetwork(n.Id).remove());
  let volumes = 0;
  for (const v of opts.volumes ? found.volumes : []) volumes += await attempt(() => docker.getVolume(v.Name).remove());
  if (errors.length > 0) throw new AggregateError(errors, `could not remove everything labelled ${labelFilters(match).label.join(', ')}`);
  return { containers, volumes, networks };
}

/** The host port Docker published for a container port (we publish on 127.0.0.1 only). Pure. */
export function publishedPort(container: Docker.ContainerInfo, privatePort: number): number | undefined {
  return container.Ports?.find((p) => p.PrivatePort === privatePort && p.Type === 'tcp' && p.PublicPort && p.IP === '127.0.0.1')?.PublicPort;
}

/** Health as Docker reports it in the container list's Status ("Up 3 minutes (healthy)"). Pure. */
export function isHealthy(container: Docker.ContainerInfo): boolean {
  return container.State === 'running' && /\(healthy\)/.test(container.Status ?? '');
}

/** Whether an image (e.g. the built Spark image tag) is present locally. */
export async function hasImage(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
