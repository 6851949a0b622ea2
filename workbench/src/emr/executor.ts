/**
 * Executes a promote plan: bucket (private, encrypted, in the region), uploads (skipping unchanged), the
 * cluster (RunJobFlow exactly as planned), the bounded wait, and teardown. The cluster is the executor's
 * resource: its termination is registered on the scope's ResourceStack the moment its id is known and is
 * also awaited in `finally`, so success, step failure, time-out, exceptions and Ctrl-C all end with
 * "cluster j-... terminated". Step stderr is fetched after teardown (EMR copies it at termination anyway).
 */
import { ListStepsCommand, RunJobFlowCommand, type EMRClient } from '@aws-sdk/client-emr';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Output } from '../terminal/index.js';
import { AbortedError, CloudError, JobError, PlanRefusedError } from '../errors.js';
import type { Scope } from '../lifecycle.js';
import { toCloudError } from './aws-errors.js';
import { ensurePrivateBucket, bucketRegion } from './bucket.js';
import { formatDuration, systemClock, type Clock } from './clock.js';
import type { PromotePlan } from './plan.js';
import { pollUntilDone, type PollResult } from './poller.js';
import { parseS3Uri } from '../storage/s3-uri.js';
import { detectBootstrapFailure } from './bootstrap-failure.js';
import { fetchStepStderrTail, stepStderrUri } from './step-logs.js';
import { clusterTerminator } from './terminate.js';
import { syncUploads } from '../storage/uploader.js';
import { uploadRequestOf } from './uploads.js';

export interface ExecutorTiming {
  pollIntervalMs: number;
  /** Bounded wait; defaults to the plan's plannedMinutes. */
  waitLimitMs?: number;
  logAttempts: number;
  logIntervalMs: number;
  terminateWaitMs: number;
  terminateIntervalMs: number;
}

export const DEFAULT_TIMING: ExecutorTiming = {
  pollIntervalMs: 30_000,
  logAttempts: 20,
  logIntervalMs: 30_000,
  terminateWaitMs: 15 * 60_000,
  terminateIntervalMs: 15_000,
};

export interface ExecutorDeps {
  s3: S3Client;
  emr: EMRClient;
  out: Output;
  scope: Scope;
  clock?: Clock;
  timing?: Partial<ExecutorTiming>;
}

export interface PromoteOutcome {
  clusterId: string;
  stepId: string;
  elapsedMs: number;
  manifestUri: string;
  /** The job's manifest.json as written by the job on EMR. */
  manifestText: string;
}

export function consoleUrl(region: string, clusterId: string): string {
  return `https://${region}.console.aws.amazon.com/emr/home?region=${region}#/clusterDetails/${clusterId}`;
}

async function startCluster(emr: EMRClient, plan: PromotePlan): Promise<string> {
  // No abort signal: once EMR has accepted the request we must learn the id, or we could not terminate it.
  const res = await emr.send(new RunJobFlowCommand(plan.runJobFlow)).catch((err) => {
    throw toCloudError(err, 'starting the EMR cluster (RunJobFlow)');
  });
  if (!res.JobFlowId) throw new CloudError('RunJobFlow returned no cluster id', 'check the EMR console for a cluster named ' + plan.runJobFlow.Name);
  return res.JobFlowId;
}

async function theStepId(emr: EMRClient, clusterId: string, signal: AbortSignal): Promise<string> {
  const res = await emr.send(new ListStepsCommand({ ClusterId: clusterId }), { abortSignal: signal });
  const id = res.Steps?.[0]?.Id;
  if (!id) throw new CloudError(`cluster ${clusterId} has no step`, 'this is a bug in the plan; the cluster is being terminated');
  return id;
}

export async function downloadText(s3: S3Client, uri: string): Promise<string> {
  const { bucket, key } = parseS3Uri(uri);
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body!.transformToString('utf8');
}

export async function executePromotePlan(plan: PromotePlan, deps: ExecutorDeps): Promise<PromoteOutcome> {
  const { s3, emr, out, scope } = deps;
  const clock = deps.clock ?? systemClock;
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const signal = scope.signal;
  const checkAbort = () => {
    if (signal.aborted) throw new AbortedError();
  };

  await ensurePrivateBucket(s3, plan.bucket, plan.region, out);
  const inputBucket = parseS3Uri(plan.inputUri).bucket;
  if (inputBucket !== plan.bucket) {
    const where = await bucketRegion(s3, inputBucket);
    if (where !== plan.region) {
      throw new PlanRefusedError(
        `refused: the input bucket ${inputBucket} is ${where ? `in ${where}` : 'missing or unreadable'}, not in ${plan.region}`,
        'copy the images into a bucket in the plan\'s region, or give a local folder with --input',
      );
    }
  }
  checkAbort();
  await syncUploads(s3, uploadRequestOf(plan), { out, signal, label: `upload to s3://${plan.bucket}/` }).catch((err) => {
    if (signal.aborted) throw new AbortedError();
    throw err;
  });
  checkAbort();

  const clusterId = await startCluster(emr, plan);
  const terminator = clusterTerminator(emr, clusterId, {
    region: plan.region,
    out,
    clock,
    waitMs: timing.terminateWaitMs,
    intervalMs: timing.terminateIntervalMs,
  });
  scope.stack.defer(
    async () => void (await terminator.terminate()),
    `EMR cluster ${clusterId}`,
    `run \`npm run promote -- --cleanup --region ${plan.region}\` (it lists this clone's clusters, then terminates them)`,
  );
  out.info(`cluster ${clusterId} started in ${plan.region} (${plan.release.label}); ${consoleUrl(plan.region, clusterId)}`);

  const started = clock.now();
  let stepId = '';
  let result: PollResult;
  try {
    checkAbort();
    stepId = await theStepId(emr, clusterId, signal);
    result = await pollUntilDone(emr, {
      clusterId,
      stepId,
      limitMs: timing.waitLimitMs ?? plan.plannedMinutes * 60_000,
      intervalMs: timing.pollIntervalMs,
      eurPerHour: plan.estimate.eurPerHour,
      clock,
      out,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw new AbortedError(`interrupted while waiting for cluster ${clusterId}; it was terminated`);
    throw err;
  } finally {
    // A failed terminate must not replace the error that got us here: the scope's clean-up calls the same
    // (idempotent) terminate again and reports its failure, with its fix, after that error.
    await terminator.terminate().catch(() => undefined);
  }
  const elapsedMs = clock.now() - started;

  if (result.kind === 'timed-out') {
    throw new JobError(
      `gave up after ${formatDuration(result.elapsedMs)} (plannedMinutes = ${plan.plannedMinutes}) with ${result.label}; the cluster was terminated`,
      'raise plannedMinutes (and budgetEur) in the emr profile, or use more/larger core nodes',
    );
  }
  if (result.kind === 'failed') {
    // A bootstrap action failed: no step ever ran, so there is no step log to wait for; the node's
    // bootstrap-actions stderr explains it.
    const bootstrap = result.cluster ? detectBootstrapFailure(result.cluster, plan.runJobFlow.BootstrapActions?.length ?? 1) : undefined;
    if (bootstrap) {
      const where = bootstrap.stderr[0];
      const tail = where
        ? await fetchStepStderrTail(s3, { uri: where.uri, attempts: timing.logAttempts, intervalMs: timing.logIntervalMs, tailLines: 40, clock, out, signal })
        : undefined;
      if (tail && where) out.info([`--- last ${tail.length} lines of ${where.uri} ---`, ...tail, '---'].join('\n'));
      const logs = where?.uri ?? bootstrap.nodeLogsPrefix?.uri ?? `${plan.logUri}${clusterId}/node/`;
      throw new JobError(
        `a bootstrap action failed${bootstrap.instanceIds.length ? ` on ${bootstrap.instanceIds.join(', ')}` : ''}, so the job never started: ${bootstrap.message}`,
        tail ? 'see the bootstrap stderr above (pipeline/emr/bootstrap.sh installs the shipped wheels)' : `the bootstrap stderr was not in S3 yet: look at ${logs} later`,
      );
    }
    const uri = result.logFile?.startsWith('s3://') ? result.logFile : stepStderrUri(plan.logUri, clusterId, stepId);
    const tail = await fetchStepStderrTail(s3, {
      uri,
      attempts: timing.logAttempts,
      intervalMs: timing.logIntervalMs,
      tailLines: 40,
      clock,
      out,
      signal,
    });
    if (tail) out.info([`--- last ${tail.length} lines of ${uri} ---`, ...tail, '---'].join('\n'));
    throw new JobError(
      `the EMR run failed: ${result.reason}`,
      tail ? 'see the stderr tail above' : `the step's stderr was not in S3 yet: look at ${uri} (or ${plan.logUri}${clusterId}/) later`,
    );
  }

  const manifestUri = `${plan.outputUri}manifest.json`;
  const manifestText = await downloadText(s3, manifestUri).catch((err) => {
    throw new JobError(`the step completed but ${manifestUri} cannot be read: ${(err as Error).message}`, 'the job writes manifest.json last: check the step log', { cause: err });
  });
  return { clusterId, stepId, elapsedMs, manifestUri, manifestText };
}
