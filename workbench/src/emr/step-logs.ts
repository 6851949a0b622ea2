/**
 * The failed step's stderr, from the cluster's log URI: EMR copies step logs to
 * `<LogUri><cluster-id>/steps/<step-id>/stderr.gz` a few minutes after the fact (every ~5 minutes, and at
 * termination), so the fetch retries for a while and says so. With `--deploy-mode client` this file is the
 * Spark driver's log, where the job's `fruits-job: error: ...` line is.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../storage/s3-uri.js';
import type { Output } from '../terminal/index.js';
import { awsErrorName, httpStatus } from './aws-errors.js';
import { formatDuration, type Clock } from './clock.js';

export function stepStderrUri(logUri: string, clusterId: string, stepId: string): string {
  return `${logUri.replace(/\/?$/, '/')}${clusterId}/steps/${stepId}/stderr.gz`;
}

export function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\n+$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - n));
}

export interface StepLogOptions {
  uri: string;
  attempts: number;
  intervalMs: number;
  tailLines: number;
  clock: Clock;
  out: Output;
  signal?: AbortSignal;
}

/** The last lines of the step's stderr, or undefined if it never appeared (the caller says where to look). */
export async function fetchStepStderrTail(s3: S3Client, o: StepLogOptions): Promise<string[] | undefined> {
  const { bucket, key } = parseS3Uri(o.uri);
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: o.signal });
      const bytes = await res.Body!.transformToByteArray();
      const text = (key.endsWith('.gz') ? gunzipSync(bytes) : Buffer.from(bytes)).toString('utf8');
      return lastLines(text, o.tailLines);
    } catch (err) {
      const missing = awsErrorName(err) === 'NoSuchKey' || httpStatus(err) === 404;
      if (!missing || o.signal?.aborted) {
        o.out.warn(`could not read ${o.uri}: ${(err as Error).message}`);
        return undefined;
      }
    }
    if (attempt === o.attempts) break;
    if (attempt === 1) {
      o.out.info(
        `waiting for the step's stderr at ${o.uri}: EMR copies logs to S3 every few minutes, this can take up to ` +
          `${formatDuration(o.attempts * o.intervalMs)} (Ctrl-C to skip; the cluster is already being torn down)`,
      );
    }
    try {
      await o.clock.sleep(o.intervalMs, o.signal);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
