/**
 * The rehearsal's bootstrap action: the plan's script with its arguments, run like EMR runs it on each node.
 * Its whole output is kept as bootstrap.log in the run folder (runs/<id>/), which outlives the rehearsal's
 * temporary folder, and a failure quotes the end of that log.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { JobError } from '../../errors.js';
import { formatTail } from '../../host/log-tail.js';

export const BOOTSTRAP_LOG = 'bootstrap.log';

export interface BootstrapRun {
  script: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** runs/<id>/: bootstrap.log is written there. */
  runDir: string;
  signal: AbortSignal;
}

/** Runs the bootstrap; resolves with its output, or throws a JobError quoting the log's last lines. */
export async function runBootstrap(b: BootstrapRun): Promise<{ output: string; logFile: string }> {
  const boot = await execa('bash', [b.script, ...b.args], { env: b.env, extendEnv: false, cancelSignal: b.signal, reject: false, all: true });
  const output = String(boot.all ?? '');
  const logFile = path.join(b.runDir, BOOTSTRAP_LOG);
  await writeFile(logFile, output);
  if (boot.exitCode !== 0) {
    throw new JobError(
      `the bootstrap action failed (exit ${boot.exitCode}): ${formatTail(logFile, 8)}`,
      'fix pipeline/emr/bootstrap.sh or the runtime lock; on EMR this would have ended the cluster with BOOTSTRAP_FAILURE',
    );
  }
  return { output, logFile };
}
