/**
 * The few typed errors the workbench raises. Each carries a one-line fix; the single top-level handler in
 * cli.ts maps the class to an exit code and prints `error: <message>` then `fix: <fix>`. Anything else is a
 * bug and is printed with its stack.
 */
export abstract class WorkbenchError extends Error {
  abstract readonly exitCode: number;
  constructor(
    message: string,
    /** One line telling the user what to do about it. */
    readonly fix?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The config file, env vars or flags are invalid. `problems` lists every problem at once, each naming its key. */
export class ConfigError extends WorkbenchError {
  readonly exitCode = 2;
  constructor(
    readonly problems: { key: string; message: string; fix?: string }[],
    source = 'config',
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}${p.fix ? ` (fix: ${p.fix})` : ''}`).join('\n'),
      'correct the keys above in workbench.yaml, the WORKBENCH_* env vars or the flags',
    );
  }
}

/** A tool the workbench needs is missing or too old (java, python3.11, go, docker...). */
export class PrerequisiteError extends WorkbenchError {
  readonly exitCode = 3;
}

/** A service (MinIO, Spark master/worker, moto) did not start or become ready. */
export class ServiceError extends WorkbenchError {
  readonly exitCode = 4;
}

/** The PySpark job (or an EMR step) failed. */
export class JobError extends WorkbenchError {
  readonly exitCode = 5;
}

/** Parity checks found differences. */
export class ParityError extends WorkbenchError {
  readonly exitCode = 6;
}

/** A guard refused a plan: non-EU region, over budget, unsafe setting. Raised before any effect. */
export class PlanRefusedError extends WorkbenchError {
  readonly exitCode = 7;
}

/** Cloud (AWS / S3) call failed in a way the user can act on (credentials, permissions, quota). */
export class CloudError extends WorkbenchError {
  readonly exitCode = 8;
}

/** The user pressed Ctrl-C (or the command's AbortSignal fired); resources were released. */
export class AbortedError extends WorkbenchError {
  readonly exitCode = 130;
  constructor(message = 'interrupted: everything this command started was stopped') {
    super(message);
  }
}

/** One cleanup that failed: what it was stopping, why it failed, and what the user should do about it. */
export interface CleanupFailure {
  label: string;
  error: unknown;
  /** One line: how to finish the clean-up by hand (e.g. `npm run promote -- --cleanup`, `npm run stop`). */
  fix: string;
}

/**
 * Clean-up failed after the command's own work. When the work had failed first, `original` is that error: the
 * top-level handler shows it (and its fix) first, then each clean-up failure with its own fix, and exits with
 * the original's code. A failure during clean-up never hides the error that came before it.
 */
export class CleanupError extends WorkbenchError {
  readonly exitCode: number;
  constructor(
    readonly failures: CleanupFailure[],
    readonly original?: unknown,
  ) {
    super(
      `${failures.length} clean-up step${failures.length === 1 ? '' : 's'} failed: ${failures.map((f) => `${f.label}: ${f.error instanceof Error ? f.error.message.split('\n')[0] : String(f.error)}`).join('; ')}`,
      failures.map((f) => f.fix).filter((v, i, all) => all.indexOf(v) === i).join('; then '),
    );
    this.exitCode = original instanceof WorkbenchError ? original.exitCode : original !== undefined ? 1 : 9;
  }
}
