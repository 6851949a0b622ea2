/**
 * Where the job's driver runs with the Docker backend: in a one-off container of the Spark image
 * (`docker compose run --rm spark-driver spark-submit ...`), on the stack's network. Why not on the host:
 * executors in containers must open connections back to the driver, which a host driver bound to 127.0.0.1
 * cannot accept (and binding it wider is what we refuse to do); and the driver and the executors must reach
 * MinIO by one endpoint, while the host sees it at 127.0.0.1:PORT and the containers at minio:9000. Inside the
 * network everything is one name away, and the driver has the executors' exact Python and Spark.
 *
 * The run engineer's plan stays the same argv as native: local files it names (the artifact folder, a weights
 * file) are mounted read-only at the same absolute path, so no argument is rewritten. Only three things differ
 * and are given here: the s3a endpoint, the master URL (StartedStack.sparkMaster) and no --jars.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { composeArgv, composeProcessEnv, SERVICE, type ComposeProject } from './compose.js';
import type { DriverLauncher } from '../types.js';
import { driverContainerName } from './names.js';

/** As the Spark JVMs and Python inside the stack's network see things. */
export const IN_NETWORK = {
  s3aEndpoint: 'http://minio:9000',
  clusterMaster: 'spark://spark-master:7077',
  sparkSubmit: '/opt/spark/bin/spark-submit',
  /** KERAS_HOME/models in the image: mount the host's ~/.keras/models here for weights 'imagenet'. */
  kerasModels: '/opt/fruits/keras/models',
} as const;

export interface DriverMount {
  /** Absolute host path (file or folder); mounted read-only. */
  host: string;
  /** Path inside the container; default: the same as on the host. */
  container?: string;
}

export interface DriverCommand {
  file: 'docker';
  args: string[];
  /** The process env for `docker` (the caller's minus COMPOSE_* / FRUITS_*); credentials come from the env file. */
  env: Record<string, string | undefined>;
  /** Remove this container if the run is interrupted (DockerDriver.kill). */
  containerName: string;
}

/** The host command that runs `spark-submit <args>` in a one-off driver container. Pure. */
export function driverCommand(
  p: ComposeProject,
  sparkSubmitArgs: readonly string[],
  o: { runId: string; mounts: readonly DriverMount[]; env: Record<string, string | undefined> },
): DriverCommand {
  const volumes = o.mounts.flatMap((m) => {
    const target = m.container ?? m.host;
    for (const p of [m.host, target]) {
      if (!path.isAbsolute(p)) throw new Error(`driver mount ${JSON.stringify(p)} must be an absolute path`);
      if (p.includes(':') || p.includes(',')) throw new Error(`driver mount ${JSON.stringify(p)}: a path with ':' or ',' cannot be mounted`);
    }
    return ['--volume', `${m.host}:${target}:ro`];
  });
  const containerName = driverContainerName(p.name, o.runId);
  return {
    file: 'docker',
    args: composeArgv(p, [
      'run',
      '--rm',
      '--no-deps',
      '--no-TTY',
      '--name',
      containerName,
      ...volumes,
      SERVICE.driver,
      IN_NETWORK.sparkSubmit,
      ...sparkSubmitArgs,
    ]),
    env: composeProcessEnv(o.env),
    containerName,
  };
}

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

/** What StartedStack gains with the Docker backend, for the job runner. */
export interface DockerDriver extends DriverLauncher {
  s3aEndpoint: string;
  /** The s3a jars are in the image's $SPARK_HOME/jars: pass no --jars (host jar paths do not exist in it). */
  jarsOnClasspath: true;
  /** dockerSubmitArgs: the host plan's spark-submit arguments adapted to the driver container. */
  submitArgs(hostArgs: readonly string[]): string[];
  command(sparkSubmitArgs: readonly string[], o: { runId: string; mounts: readonly DriverMount[]; env: Record<string, string | undefined> }): DriverCommand;
  /** Removes a driver container left running by an interrupted run; idempotent. */
  kill(containerName: string): Promise<void>;
}

export function dockerDriver(p: ComposeProject, docker: Docker): DockerDriver {
  return {
    s3aEndpoint: IN_NETWORK.s3aEndpoint,
    jarsOnClasspath: true,
    submitArgs: dockerSubmitArgs,
    command: (args, o) => driverCommand(p, args, o),
    // The same spark-submit arguments, rewritten for the container, with the artifact and a local weights file
    // mounted read-only at the same paths. Credentials come from the stack's env file, not from this process.
    launch(plan, o) {
      const mounts = o.files.map((host) => ({ host }));
      const cmd = driverCommand(p, dockerSubmitArgs(plan.args), { runId: o.runId, mounts, env: o.env });
      o.onCleanup(() => this.kill(cmd.containerName), 'docker driver container');
      return { plan: { command: cmd.file, args: cmd.args, env: {}, redactedEnvKeys: [] }, parentEnv: cmd.env };
    },
    kill: async (containerName) => {
      try {
        await docker.getContainer(containerName).remove({ force: true });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
    },
  };
}
