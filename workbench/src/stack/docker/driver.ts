/**
 * Where the job's driver runs with the Docker backend: in a one-off container of the `spark-driver` service, on
 * the stack's network, created through the engine (driver-run.ts). Why not on the host: executors in containers
 * must open connections back to the driver, which a host driver bound to 127.0.0.1 cannot accept (and binding it
 * wider is what we refuse to do); and the driver and the executors must reach MinIO by one endpoint, while the
 * host sees it at 127.0.0.1:PORT and the containers at minio:9000. Inside the network everything is one name
 * away, and the driver has the executors' exact Python and Spark.
 *
 * The planned spark-submit arguments stay those of the native run: local files it names (the artifact folder, a
 * weights file) are mounted read-only at the same absolute path, and the container runs as the host user, so it
 * reads them as the host run would. Only four things differ: the s3a endpoint, the master URL
 * (StartedStack.sparkMaster), no --jars (the s3a jars are in the image), and the job's converted-model cache
 * (--model-cache): the host's folder of the release, mounted writable at the same path. The image holds no model
 * converter (docker/spark/converters.txt), so `prepare` converts on the host into that folder first, when the entry
 * is missing (host-conversion.ts), and the container's driver only reads it. Host and container agree on the entry
 * because its key covers what runs the model (weights, engine, the job code of the same artifact zip, numpy and the
 * engine runtime of the same lock), not the converters (pipeline/src/fruits_pipeline/model_cache.py).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import type { ComposeModel } from './compose-file.js';
import { containerSpec, SERVICE, type ComposeProject } from './compose-engine.js';
import type { DriverCommand, DriverLauncher } from '../types.js';
import { driverContainerName } from './names.js';
import { hostConversionPlan, runHostConversion } from './host-conversion.js';

/** As the Spark JVMs and Python inside the stack's network see things. */
export const IN_NETWORK = {
  s3aEndpoint: 'http://minio:9000',
  clusterMaster: 'spark://spark-master:7077',
  sparkSubmit: '/opt/spark/bin/spark-submit',
} as const;

/** The image's venv interpreter (docker/spark/Dockerfile), for the driver and every executor. */
export const IMAGE_PYTHON = '/opt/fruits/venv/bin/python';

/** Spark settings that name the host and must not reach a containerised driver, and what replaces them. */
const HOST_ONLY_CONF: Record<string, string | null> = {
  // Loopback binding is right for a host driver and wrong here: executors in other containers call the driver
  // back on its network address, which Spark picks by default inside a container.
  'spark.driver.host': null,
  'spark.driver.bindAddress': null,
  'spark.pyspark.python': IMAGE_PYTHON,
  'spark.pyspark.driver.python': IMAGE_PYTHON,
  'spark.hadoop.fs.s3a.endpoint': IN_NETWORK.s3aEndpoint,
};

/**
 * Adapts spark-submit arguments planned for a host driver (job/submit-plan.ts) to the driver container: drops
 * --jars (the s3a jars are on the image's classpath; host jar paths do not exist in it) and the loopback driver
 * binding, points Python at the image's venv and s3a at minio:9000. Everything else, the job's own arguments
 * included, is unchanged. Pure.
 */
export function dockerSubmitArgs(hostArgs: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < hostArgs.length; i++) {
    const a = hostArgs[i]!;
    if (a === '--py-files') {
      // Options end with the application: copy it and the job's arguments as they are.
      out.push(...hostArgs.slice(i));
      break;
    }
    if (a === '--jars') {
      i++;
      continue;
    }
    if (a === '--conf') {
      const kv = hostArgs[++i] ?? '';
      const key = kv.slice(0, kv.indexOf('='));
      if (key in HOST_ONLY_CONF) {
        const replacement = HOST_ONLY_CONF[key];
        if (replacement !== null) out.push('--conf', `${key}=${replacement}`);
      } else {
        out.push('--conf', kv);
      }
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Variables of the plan's environment the driver container gets (credentials and unbuffered output). */
export const DRIVER_ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'PYTHONUNBUFFERED'] as const;

/** What driver-run.ts receives in argv: no secret (the credentials come through its environment). */
export interface DriverRunSpec {
  create: Docker.ContainerCreateOptions;
  /** Names of variables copied from driver-run's environment into the container's. */
  envKeys: string[];
}

/**
 * The job's arguments with `--model-cache DIR` appended, unless the plan names a cache already or there is none.
 * The job's arguments come last on the spark-submit line, so appending adds one of them. Pure.
 */
export function withModelCache(args: readonly string[], dir: string | undefined): string[] {
  return dir && !args.includes('--model-cache') ? [...args, '--model-cache', dir] : [...args];
}

/**
 * The create options of a run's driver container: the spark-driver service with spark-submit as its command,
 * the host user, read-only mounts of the given host paths at the same place (writable for `writable`: the model
 * cache), and no credential (added by driver-run.ts from its environment). Pure.
 */
export function driverSpec(
  p: ComposeProject,
  model: ComposeModel,
  sparkSubmitArgs: readonly string[],
  o: { runId: string; files: readonly string[]; writable?: readonly string[]; user: string },
): DriverRunSpec {
  const service = model.services.find((s) => s.name === SERVICE.driver);
  if (!service) throw new Error('docker-compose.yml has no spark-driver service');
  for (const f of [...o.files, ...(o.writable ?? [])]) {
    if (!path.isAbsolute(f)) throw new Error(`driver mount ${JSON.stringify(f)} must be an absolute path`);
    if (f.includes(':') || f.includes(',')) throw new Error(`driver mount ${JSON.stringify(f)}: a path with ':' or ',' cannot be mounted`);
  }
  // The service's environment names the credentials too (for `docker compose run` by hand): drop its values here.
  const withoutSecrets = { ...service, environment: Object.fromEntries(Object.entries(service.environment).filter(([k]) => !k.startsWith('AWS_'))) };
  const create = containerSpec(p, withoutSecrets, 1, {
    name: driverContainerName(p.name, o.runId),
    cmd: [IN_NETWORK.sparkSubmit, ...sparkSubmitArgs],
    user: o.user,
    // An arbitrary host uid has no home in the image; Spark and Python only need a writable one.
    env: { HOME: '/tmp' },
    binds: [...o.files.map((f) => ({ host: f, container: f })), ...(o.writable ?? []).map((f) => ({ host: f, container: f, writable: true }))],
    oneoff: true,
  });
  return { create, envKeys: [...DRIVER_ENV_KEYS] };
}

/** node + the tsx loader: how driver-run.ts is started as the job's child process (runJob owns its lifetime). */
function tsxNode(): { command: string; args: string[] } {
  const loader = createRequire(import.meta.url).resolve('tsx');
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'driver-run.ts');
  return { command: process.execPath, args: ['--import', pathToFileURL(loader).href, script] };
}

/** What StartedStack gains with the Docker backend, for the job runner. */
export interface DockerDriver extends DriverLauncher {
  s3aEndpoint: string;
  /** Removes a driver container left running by an interrupted run; idempotent. */
  kill(containerName: string): Promise<void>;
}

/** `modelCache`: the host folder of the release's converted-model cache (the native driver's), shared with the container. */
export function dockerDriver(p: ComposeProject, model: ComposeModel, docker: Docker, opts: { modelCache?: string } = {}): DockerDriver {
  const cacheDir = opts.modelCache;
  const kill = async (containerName: string) => {
    try {
      await docker.getContainer(containerName).remove({ force: true });
    } catch (err) {
      // Gone already, or being removed by driver-run.ts itself (409): either way it is going away.
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw err;
    }
  };
  return {
    s3aEndpoint: IN_NETWORK.s3aEndpoint,
    kill,
    // The image holds no model converter: the host converts into the cache this driver mounts, when it lacks the
    // entry (host-conversion.ts). A plan that names its own cache is left as it is (launch mounts nothing then).
    async prepare(plan, o) {
      if (!cacheDir || plan.args.includes('--model-cache')) return;
      mkdirSync(cacheDir, { recursive: true });
      await runHostConversion(hostConversionPlan(plan, cacheDir), { signal: o.signal, parentEnv: o.env, info: o.info });
    },
    launch(plan, o) {
      const user = process.getuid && process.getgid ? `${process.getuid()}:${process.getgid()}` : '185:185';
      const cache = plan.args.includes('--model-cache') ? undefined : cacheDir;
      // Made by the host user (the container runs as that user), so the driver can write its entries.
      if (cache) mkdirSync(cache, { recursive: true });
      const spec = driverSpec(p, model, withModelCache(dockerSubmitArgs(plan.args), cache), { runId: o.runId, files: o.files, writable: cache ? [cache] : [], user });
      o.onCleanup(() => kill(spec.create.name!), 'docker driver container');
      const node = tsxNode();
      const env: Record<string, string> = {};
      for (const k of spec.envKeys) if (plan.env[k] !== undefined) env[k] = plan.env[k];
      const launched: DriverCommand = {
        command: node.command,
        args: [...node.args, JSON.stringify(spec)],
        env,
        redactedEnvKeys: plan.redactedEnvKeys.filter((k) => k in env),
      };
      return { plan: launched, parentEnv: o.env };
    },
  };
}
