/**
 * Runs a submit plan: spark-submit as a child process in its own process group, every output line into the
 * driver log, progress events to the caller, the manifest from the FRUITS_JOB_SUMMARY line.
 *
 * Stopping: on abort (Ctrl-C) the whole process group gets SIGTERM (the driver JVM, the Python driver it started
 * and the PySpark workers it forked), then SIGKILL after a grace period, and the runner returns only once the
 * group is gone. The group is ours because the child is started detached (setsid), which also keeps the
 * terminal's Ctrl-C from reaching it before the workbench decides what to do.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { AbortedError, JobError } from '../errors.js';
// Zombie-aware group stop shared with the stack's services (SIGTERM, grace, SIGKILL, wait until empty).
import { groupMembers, stopProcessGroup } from '../stack/process-group.js';
import { parseManifest, type JobManifest } from './manifest.js';
import { extractSummaryJson, parseOutputLine, type ProgressEvent } from './progress.js';
import { childEnv, formatSubmitPlan, type SubmitPlan } from './submit-plan.js';

export interface RunJobOptions {
  /** Where the full log goes (runs/<id>/driver.log). */
  logFile: string;
  /** How the log file is named to the user in messages (e.g. a path relative to the cwd). */
  logLabel?: string;
  signal: AbortSignal;
  /** The environment the child inherits from (minus Spark/AWS/Python redirections, see childEnv). */
  parentEnv: Record<string, string | undefined>;
  onEvent?: (event: ProgressEvent) => void;
  /** How long the group gets to exit after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  /** How many trailing log lines a failure message shows. */
  tailLines?: number;
  /** Where a warning goes (the command's Output); default: nowhere. */
  warn?: (line: string) => void;
}

export interface JobResult {
  manifest: JobManifest;
  exitCode: number;
}

/** Spark's INFO lines: shutdown alone prints dozens, which would push the real error out of the tail. */
const SPARK_INFO = /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} INFO /;

/** Keeps the last `size` lines worth showing (warnings, errors, Python tracebacks, the job's own lines). */
class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly size: number) {}
  push(line: string) {
    if (SPARK_INFO.test(line)) return;
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

function pumpLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', onLine);
  return new Promise((resolve) => rl.once('close', resolve));
}

function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => log.end(resolve));
}

export async function runJob(plan: SubmitPlan, opts: RunJobOptions): Promise<JobResult> {
  opts.signal.throwIfAborted();
  const grace = opts.killGraceMs ?? 20_000;
  const logLabel = opts.logLabel ?? opts.logFile;
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'w' });
  // A log that cannot be written (disk full, folder removed) must not crash the process mid-run: the job goes on,
  // the failure is reported once at the end.
  let logError: Error | undefined;
  log.on('error', (err) => (logError ??= err));
  log.write(`# ${new Date().toISOString()} spark-submit (credentials redacted):\n${formatSubmitPlan(plan).replace(/^/gm, '# ')}\n`);

  const child = execa(plan.command, plan.args, {
    env: childEnv(opts.parentEnv, plan),
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
  });
  const pgid = child.pid;
  const tail = new Tail(opts.tailLines ?? 40);
  const stdoutLines: string[] = [];
  let jobError: string | undefined;
  const onLine = (fromStdout: boolean) => (line: string) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (fromStdout) stdoutLines.push(line);
    const event = parseOutputLine(line);
    if (!event) return;
    if (event.kind === 'job-error') jobError = event.text;
    opts.onEvent?.(event);
  };

  let stopping: Promise<void> | undefined;
  const stopGroup = (): Promise<void> => {
    if (pgid === undefined) return Promise.resolve();
    if (!stopping) {
      stopping = stopProcessGroup(pgid, { graceMs: grace, name: 'spark-submit' });
      stopping.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    }
    return stopping;
  };
  const onAbort = () => void stopGroup();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const pumps = Promise.all([pumpLines(child.stdout!, onLine(true)), pumpLines(child.stderr!, onLine(false))]);
    const result = await child;
    await pumps;
    // The driver may exit before PySpark's daemon workers: do not return while anything of the job still runs.
    if (pgid !== undefined && groupMembers(pgid).length > 0) await stopGroup();
    await stopping;
    if (opts.signal.aborted) {
      log.write(`# interrupted: the job's processes were stopped\n`);
      throw new AbortedError();
    }
    if (result.failed || result.exitCode !== 0) {
      if (result.exitCode === undefined && result.failed) log.write(`# ${result.message}\n`);
      const how = result.exitCode !== undefined ? `exit code ${result.exitCode}` : (result.signal ?? 'unknown reason');
      throw new JobError(
        `the job failed (${how})${jobError ? `: ${jobError}` : ''}\n` +
          `--- last lines of ${logLabel} ---\n${tail.text}\n--- end ---`,
        `read the full driver log: ${logLabel}`,
      );
    }
    const json = extractSummaryJson(stdoutLines);
    if (!json) {
      throw new JobError(
        `the job exited 0 but printed no FRUITS_JOB_SUMMARY line (is the pipeline older than docs/job-contract.md?)`,
        `read the full driver log: ${logLabel}`,
      );
    }
    try {
      return { manifest: parseManifest(json, 'FRUITS_JOB_SUMMARY'), exitCode: 0 };
    } catch (err) {
      throw new JobError((err as Error).message, 'the job and the workbench disagree on docs/job-contract.md: update the side that is behind');
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    if (pgid !== undefined && groupMembers(pgid).length > 0) await stopGroup();
    await closeLog(log);
    if (logError) opts.warn?.(`could not write the driver log ${logLabel}: ${logError.message}`);
  }
}

export type { ProgressEvent };
