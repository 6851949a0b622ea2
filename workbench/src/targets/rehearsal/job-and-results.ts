/**
 * The end of every rehearsal (EMR on EC2 and EMR Serverless), the same for both:
 *
 *   job      the planned spark-submit on the local YARN with the progress view; a failure or Ctrl-C marks the
 *            run folder incomplete (with the reason) before the error goes on
 *   results  the outputs downloaded from MinIO into runs/<run-id>/, parity against the local run of the same
 *            input, report.html, and the list of what this rehearsal cannot prove; a parity failure is a
 *            ParityError after the summary is printed
 */
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunContext } from '../../context.js';
import type { WorkbenchConfig } from '../../config/schema.js';
import { ParityError } from '../../errors.js';
import { findReference } from '../../emr/local-run.js';
import type { ProgressEvent } from '../../job/progress.js';
import { runJob, type JobResult } from '../../job/runner.js';
import type { SubmitPlan } from '../../job/submit-plan.js';
import { openRunSource } from '../../outputs/source.js';
import { compareOutputs } from '../../parity/compare-outputs.js';
import { createJobProgressView } from '../../run/job-progress-view.js';
import { DRIVER_LOG, markIncomplete } from '../../run/run-folder.js';
import { downloadOutputs } from '../../storage/download.js';
import { parseS3Uri } from '../../storage/s3-uri.js';
import { writeRunReport } from '../run-report.js';
import type { RunOutcome } from '../target.js';

/** Runs the planned submit with the progress view; its log goes to <runDir>/driver.log. */
export async function runRehearsalJob(
  submit: SubmitPlan,
  o: { ctx: RunContext; cfg: WorkbenchConfig; runDir: string; parentEnv: Record<string, string | undefined>; what: string; onEvent?: (event: ProgressEvent) => void },
): Promise<{ job: JobResult; elapsedMs: number }> {
  const { out, signal } = o.ctx;
  const logFile = path.join(o.runDir, DRIVER_LOG);
  out.info(`rehearsal: ${o.what}; full log: ${path.relative(o.cfg.root, logFile)}`);
  const task = out.task('  job');
  const view = createJobProgressView(out, task);
  const started = Date.now();
  try {
    const job = await runJob(submit, {
      logFile,
      signal,
      parentEnv: o.parentEnv,
      warn: (l) => out.warn(l),
      onEvent: (event) => {
        view(event);
        o.onEvent?.(event);
      },
    }).finally(() => task.end());
    return { job, elapsedMs: Date.now() - started };
  } catch (err) {
    await markIncomplete(o.runDir, signal.aborted ? 'interrupted' : 'failed', err instanceof Error ? err.message.split('\n')[0]! : String(err));
    throw err;
  }
}

/** Download, parity against the local run, report, what it cannot prove. Throws ParityError if parity fails. */
export async function rehearsalResults(
  o: {
    ctx: RunContext;
    cfg: WorkbenchConfig;
    s3: S3Client;
    plan: { runId: string; outputUri: string; inputUri: string };
    runDir: string;
    localRun?: string;
    job: JobResult;
    /** "rehearsal" or "Serverless rehearsal": how the summary and the errors name it. */
    name: string;
    limits: readonly string[];
  },
): Promise<RunOutcome> {
  const { ctx, cfg, s3, plan, runDir } = o;
  const { out, signal } = ctx;
  await downloadOutputs(s3, parseS3Uri(plan.outputUri), runDir, signal);
  const shown = path.relative(cfg.root, runDir);
  const summary = [`${o.name} of run ${plan.runId} succeeded on the local YARN: outputs ${plan.outputUri} (MinIO), downloaded to ${shown}/`];
  const localRunDir = (await findReference({ runsDir: cfg.runsDir, inputUri: plan.inputUri, localRun: o.localRun, excludeRunId: plan.runId }))?.dir;
  let parityOk: boolean | undefined;
  if (localRunDir) {
    out.info(`parity: ${localRunDir} (local) vs ${plan.outputUri} (${o.name})`);
    const { comparison } = await compareOutputs([openRunSource(localRunDir, { runsDir: cfg.runsDir }), openRunSource(plan.outputUri, { s3Client: () => s3 })], {
      tolerances: cfg.parity,
      runsDir: cfg.runsDir,
      out,
      reportFile: path.join(runDir, 'parity-vs-local.json'),
    });
    parityOk = comparison.passed;
  } else {
    out.warn(`no local run of the same input in ${cfg.runsDir}: run \`npm run local -- --input ${cfg.job.input.raw}\` first to check parity`);
  }
  const report = await writeRunReport(runDir, cfg, ctx, () => s3);
  if (report) summary.push(`  report     ${path.relative(cfg.root, report)}`);
  summary.push(`what a ${o.name} cannot prove (only a real promote can):`, ...o.limits.map((l) => `  - ${l}`));
  if (parityOk === false) {
    for (const line of summary) out.result(line);
    throw new ParityError(`the ${o.name} of ${plan.runId} does not agree with the local run ${path.basename(localRunDir!)}`, `see ${shown}/parity-vs-local.json`);
  }
  return { runId: plan.runId, runDir, outputUri: plan.outputUri, manifest: o.job.manifest, summary };
}
