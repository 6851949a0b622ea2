/**
 * The shapes every stack backend (native processes, docker) produces. A command only sees a StartedStack:
 * where S3 is, which Spark master to submit to, and one idempotent stop().
 */

export interface StartedService {
  name: string;
  /** Named URLs, e.g. { s3: 'http://127.0.0.1:9000', console: '...' } or { master: 'spark://...', ui: 'http://...' }. */
  endpoints: Record<string, string>;
  logFile: string;
  pid?: number;
  /** Idempotent; resolves once every process of the service has exited. */
  stop(): Promise<void>;
}

export interface ServiceHandle {
  name: string;
  /** Resolves when the service is ready; on failure or abort it has stopped what it started. */
  start(signal: AbortSignal): Promise<StartedService>;
}

export interface S3Access {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A spark-submit command as job/runner.ts executes it (job/submit-plan.ts SubmitPlan has this shape). */
export interface DriverCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  redactedEnvKeys: string[];
}

/**
 * How the job's driver is launched against a started stack. The backend decides: the native backend runs
 * spark-submit on the host as planned; the Docker backend runs it in a one-off container on the stack's network.
 */
export interface DriverLauncher {
  launch(
    plan: DriverCommand,
    o: {
      runId: string;
      /** Host paths the driver reads (the artifact folder, a weights file): mounted read-only where needed. */
      files: string[];
      /** The caller's process environment. */
      env: Record<string, string | undefined>;
      /** Registers a cleanup on the command's scope (e.g. removing a driver container left by Ctrl-C). */
      onCleanup(fn: () => Promise<void>, label: string): void;
    },
  ): { plan: DriverCommand; parentEnv: Record<string, string | undefined> };
  /**
   * Host work the launched driver depends on, done before launch (the Docker backend converts the model into the
   * cache its driver container mounts: stack/docker/host-conversion.ts). Prints its own lines through `info`.
   */
  prepare?(plan: DriverCommand, o: { signal: AbortSignal; env: Record<string, string | undefined>; info: (line: string) => void }): Promise<void>;
}

/** The native launcher: the host runs the planned spark-submit as it is. */
export const hostDriver: DriverLauncher = {
  launch: (plan, o) => ({ plan, parentEnv: o.env }),
};

export interface StartedStack {
  backend: 'native' | 'docker';
  /** How the job's driver runs against this stack. */
  driver: DriverLauncher;
  /** The bucket is already created, in the region. */
  s3: S3Access;
  /** 'local[*]' (local profile) or 'spark://127.0.0.1:PORT' (cluster profile). */
  sparkMaster: string;
  sparkUi?: string;
  services: StartedService[];
  /** True when a healthy kept stack was reused. */
  reused: boolean;
  /** Idempotent; stops every service and removes the state file. */
  stop(): Promise<void>;
}

/**
 * The host tools a stack runs, as set-up resolved them (setup/tools.ts ToolPaths has every one of them). The
 * stack installs nothing: what it needs from set-up comes in as these values.
 */
export interface StackTools {
  /** The venv python (the workers' PYSPARK_PYTHON). */
  python: string;
  sparkHome: string;
  /** <sparkHome>/bin/spark-class (master and workers). */
  sparkClass: string;
  javaHome: string;
  /** The MinIO server binary (run natively, baked into the Docker image). */
  minio: string;
  /** The verified s3a jars (baked into the Docker image). */
  s3aJars: string[];
}

/** The runtime lock's wheels, built by set-up (setup/wheelhouse.ts), that the Docker backend bakes into its image. */
export interface Wheelhouse {
  dir: string;
  /** The requirements file naming exactly the folder's wheels. */
  requirements: string;
}
