/**
 * The Docker backend's driver process: `node --import tsx driver-run.ts '<DriverRunSpec JSON>'`, started by the job
 * runner (job/runner.ts) exactly where the native backend starts spark-submit. It creates the run's driver
 * container through the engine (credentials from its own environment, never argv), streams the container's
 * stdout and stderr to its own, and exits with the container's exit code, so the runner's log, progress and
 * failure handling are the same for both backends. SIGTERM/SIGINT (the runner stopping the job) remove the
 * container first. The container is removed in every case.
 *
 * This file is a process entry of its own, like cli.ts: its environment and argv are read once, at the bottom,
 * and passed in; runDriver reads no process.env.
 */
import type Docker from 'dockerode';
import { connectDocker } from './engine.js';
import type { DriverRunSpec } from './driver.js';

async function runDriver(spec: DriverRunSpec, processEnv: Record<string, string | undefined>): Promise<number> {
  const env = [...(spec.create.Env ?? [])];
  for (const k of spec.envKeys) if (processEnv[k] !== undefined) env.push(`${k}=${processEnv[k]}`);
  const docker = await connectDocker(processEnv);
  let container: Docker.Container | undefined;
  let removing: Promise<void> | undefined;
  const remove = () =>
    (removing ??= (container ?? docker.getContainer(spec.create.name!)).remove({ force: true }).then(
      () => {},
      () => {},
    ));
  const onSignal = (sig: NodeJS.Signals) => {
    void remove().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    container = await docker.createContainer({ ...spec.create, Env: env, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const ended = new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve).on('error', () => resolve()));
    container.modem.demuxStream(stream, process.stdout, process.stderr);
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
    return result.StatusCode;
  } finally {
    await remove();
  }
}

// The edge of this process: argv and the environment the runner gave it.
Promise.resolve()
  .then(() => runDriver(JSON.parse(process.argv[2] ?? '') as DriverRunSpec, process.env))
  .then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`docker driver: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(125);
    },
  );
