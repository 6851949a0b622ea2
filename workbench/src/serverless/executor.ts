/**
 * Executes a Serverless plan: bucket (private, encrypted, in the region), uploads (skipping unchanged), the
 * application (CreateApplication exactly as planned), the job run (StartJobRun exactly as planned, with the
 * application's id), a bounded poll, then the application stopped and deleted. The application is registered on
 * the scope the moment its id is known: success, failure, time-out and Ctrl-C all end with it stopped (and,
 * unless kept, deleted). A failed run shows the driver's stderr from the log URI and the state details.
 */
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateApplicationCommand,
  GetApplicationCommand,
  GetJobRunCommand,
  StartJobRunCommand,
  type EMRServerlessClient,
  type JobRun,
} from '@aws-sdk/client-emr-serverless';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { toCloudError, awsErrorName, httpStatus } from '../emr/aws-errors.js';
import { ensurePrivateBucket } from '../emr/bucket.js';
import { formatDuration, systemClock, type Clock } from '../emr/clock.js';
import { lastLines } from '../emr/step-logs.js';
import { AbortedError, CloudError, JobError, PlanRefusedError } from '../errors.js';
import type { Scope } from '../lifecycle.js';
import { parseS3Uri } from '../storage/s3-uri.js';
import type { UploadRequest } from '../storage/upload-plan.js';
import { syncUploads } from '../storage/uploader.js';
import type { Output } from '../terminal/index.js';
import { APPLICATION_ID_PLACEHOLDER, type ServerlessPlan } from './plan.js';
import { applicationTeardown, FINAL_JOB_RUN_STATES } from './teardown.js';

export interface ServerlessTiming {
  pollIntervalMs: number;
  /** Our own bound, after which the run is cancelled: the plan's executionTimeoutMinutes + slack by default. */
  waitLimitMs?: number;
  logAttempts: number;
  logIntervalMs: number;
  stopWaitMs: number;
  stopIntervalMs: number;
}

export const DEFAULT_SERVERLESS_TIMING: ServerlessTiming = { pollIntervalMs: 15_000, logAttempts: 12, logIntervalMs: 10_000, stopWaitMs: 10 * 60_000, stopIntervalMs: 5_000 };
/** The service cancels at executionTimeoutMinutes; ours waits a little longer, then cancels it itself. */
export const WAIT_SLACK_MS = 5 * 60_000;

export interface ServerlessOutcome {
  applicationId: string;
  jobRunId: string;
  elapsedMs: number;
  manifestUri: string;
  manifestText: string;
  /** What AWS billed (GetJobRun billedResourceUtilization), for the report beside the estimate. */
  billed?: { vCPUHour?: number; memoryGBHour?: number; storageGBHour?: number };
}

/** Where EMR Serverless writes the driver's stderr for a job run under the log URI. */
export function driverStderrUri(logUri: string, applicationId: string, jobRunId: string): string {
  return `${logUri.replace(/\/?$/, '/')}applications/${applicationId}/jobs/${jobRunId}/SPARK_DRIVER/stderr.gz`;
}

export function uploadRequestOfServerless(plan: Pick<ServerlessPlan, 'bucket' | 'uploads' | 'mirror'>): UploadRequest {
  return {
    bucket: plan.bucket,
    items: plan.uploads.map((u) => ({ file: { relPath: path.basename(u.source), absPath: u.source, size: u.bytes, md5: u.md5 }, key: u.key })),
    mirror: plan.mirror,
  };
}

async function readText(s3: S3Client, uri: string, signal?: AbortSignal): Promise<string> {
  const { bucket, key } = parseS3Uri(uri);
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const bytes = await res.Body!.transformToByteArray();
  return (key.endsWith('.gz') ? gunzipSync(bytes) : Buffer.from(bytes)).toString('utf8');
}

/** The driver's stderr tail, retried while the service has not copied it yet; undefined if it never came. */
export async function driverStderrTail(s3: S3Client, uri: string, o: { attempts: number; intervalMs: number; clock: Clock; out: Output; tailLines?: number }): Promise<string[] | undefined> {
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      return lastLines(await readText(s3, uri), o.tailLines ?? 40);
    } catch (err) {
      if (!(awsErrorName(err) === 'NoSuchKey' || httpStatus(err) === 404)) {
        o.out.warn(`could not read ${uri}: ${(err as Error).message}`);
        return undefined;
      }
    }
    if (attempt === 1) o.out.info(`waiting for the driver's stderr at ${uri} (the service copies logs to S3 after the run)`);
    if (attempt < o.attempts) await o.clock.sleep(o.intervalMs);
  }
  return undefined;
}

export async function executeServerlessPlan(
  plan: ServerlessPlan,
  deps: { emrs: EMRServerlessClient; s3: S3Client; out: Output; scope: Scope; clock?: Clock; timing?: Partial<ServerlessTiming> },
): Promise<ServerlessOutcome> {
  const { emrs, s3, out, scope } = deps;
  const clock = deps.clock ?? systemClock;
  const timing = { ...DEFAULT_SERVERLESS_TIMING, ...deps.timing };
  const signal = scope.signal;
  const checkAbort = () => {
    if (signal.aborted) throw new AbortedError();
  };
  if (!plan.venv.sha256) {
    throw new PlanRefusedError(
      'refused: the plan has no venv archive (the job\'s Python runtime on the workers), so its job run could not start Python',
      'make the plan without --dry-run (`npm run promote -- --profile serverless --plan-out FILE` builds the archive from the runtime lock into it), then run that plan',
    );
  }

  await ensurePrivateBucket(s3, plan.bucket, plan.region, out);
  checkAbort();
  await syncUploads(s3, uploadRequestOfServerless(plan), { out, signal, label: `upload to s3://${plan.bucket}/` }).catch((err) => {
    if (signal.aborted) throw new AbortedError();
    throw err;
  });
  checkAbort();

  // No abort signal: once the service has accepted the request we must learn the id, or we could not delete it.
  const app = await emrs.send(new CreateApplicationCommand(plan.createApplication)).catch((err) => {
    throw toCloudError(err, 'creating the EMR Serverless application (CreateApplication)');
  });
  const applicationId = app.applicationId;
  if (!applicationId) throw new CloudError('CreateApplication returned no application id', `look for an application named ${plan.createApplication.name} in the EMR Serverless console`);
  const teardown = applicationTeardown(emrs, applicationId, { region: plan.region, out, clock, keep: plan.keepApplication, waitMs: timing.stopWaitMs, intervalMs: timing.stopIntervalMs });
  scope.stack.defer(
    async () => void (await teardown.end()),
    `EMR Serverless application ${applicationId}`,
    `run \`npm run promote -- --profile ${plan.profileName} --cleanup\` (it lists this clone's applications, then stops and deletes them)`,
  );
  out.info(`application ${applicationId} created in ${plan.region} (${plan.release.label})`);

  const started = clock.now();
  let jobRunId = '';
  let last: JobRun | undefined;
  let outcome: 'success' | 'failed' | 'cancelled' | 'timed-out';
  try {
    // The application is usable once CREATED (it starts itself on the job run: autoStart).
    for (let s = await appState(emrs, applicationId); s === 'CREATING'; s = await appState(emrs, applicationId)) {
      checkAbort();
      await clock.sleep(timing.pollIntervalMs, signal);
    }
    checkAbort();
    const request = { ...plan.startJobRun, applicationId };
    if (plan.startJobRun.applicationId !== APPLICATION_ID_PLACEHOLDER) throw new Error('the plan\'s job-run request already names an application');
    const res = await emrs.send(new StartJobRunCommand(request)).catch((err) => {
      throw toCloudError(err, 'starting the job run (StartJobRun)');
    });
    jobRunId = res.jobRunId ?? '';
    if (!jobRunId) throw new CloudError('StartJobRun returned no job run id', 'this is a bug or an AWS change; the application is being deleted');
    teardown.setJobRun(jobRunId);
    out.info(`job run ${jobRunId} started; executionTimeoutMinutes ${plan.executionTimeoutMinutes}`);

    const limitMs = timing.waitLimitMs ?? plan.executionTimeoutMinutes * 60_000 + WAIT_SLACK_MS;
    let lastState = '';
    for (;;) {
      checkAbort();
      last = (await emrs.send(new GetJobRunCommand({ applicationId, jobRunId }), { abortSignal: signal })).jobRun;
      const state = last?.state ?? 'UNKNOWN';
      if (state !== lastState) out.info(`job run ${jobRunId}: ${state} after ${formatDuration(clock.now() - started)}`);
      lastState = state;
      if (state === 'SUCCESS') { outcome = 'success'; break; }
      if (state === 'FAILED') { outcome = 'failed'; break; }
      if (state === 'CANCELLED') { outcome = 'cancelled'; break; }
      if (clock.now() - started >= limitMs) { outcome = 'timed-out'; break; }
      await clock.sleep(timing.pollIntervalMs, signal);
    }
  } catch (err) {
    if (signal.aborted) {
      await teardown.end().catch(() => undefined);
      throw new AbortedError(`interrupted${jobRunId ? ` while job run ${jobRunId} ran` : ''}; it was cancelled and application ${applicationId} ${plan.keepApplication ? 'stopped' : 'deleted'}`);
    }
    throw err;
  } finally {
    // A failed stop must not replace the error that got us here: the scope's clean-up calls the same
    // (idempotent) end again and reports its failure, with its fix, after that error.
    await teardown.end().catch(() => undefined);
  }
  const elapsedMs = clock.now() - started;

  if (outcome === 'timed-out') {
    throw new JobError(
      `job run ${jobRunId} was still ${last?.state} after ${formatDuration(elapsedMs)} (executionTimeoutMinutes ${plan.executionTimeoutMinutes}): it was cancelled and the application ended`,
      'raise plannedMinutes (and budgetEur) in the serverless profile, or plan more executors',
    );
  }
  if (outcome === 'failed' || outcome === 'cancelled') {
    const uri = driverStderrUri(plan.logUri, applicationId, jobRunId);
    const tail = outcome === 'failed' ? await driverStderrTail(s3, uri, { attempts: timing.logAttempts, intervalMs: timing.logIntervalMs, clock, out }) : undefined;
    if (tail) out.info([`--- last ${tail.length} lines of ${uri} ---`, ...tail, '---'].join('\n'));
    throw new JobError(
      `the EMR Serverless job run ${jobRunId} ${outcome === 'failed' ? 'failed' : 'was cancelled'}: ${last?.stateDetails || 'no state details'}`,
      tail ? 'see the driver stderr above' : `the driver's stderr was not in S3 yet: look at ${uri} later`,
    );
  }

  const manifestUri = `${plan.outputUri}manifest.json`;
  const manifestText = await readText(s3, manifestUri).catch((err) => {
    throw new JobError(`the job run succeeded but ${manifestUri} cannot be read: ${(err as Error).message}`, 'the job writes manifest.json last: check the driver log', { cause: err });
  });
  return { applicationId, jobRunId, elapsedMs, manifestUri, manifestText, billed: last?.billedResourceUtilization };
}

async function appState(emrs: EMRServerlessClient, applicationId: string): Promise<string> {
  return (await emrs.send(new GetApplicationCommand({ applicationId }))).application?.state ?? 'UNKNOWN';
}
