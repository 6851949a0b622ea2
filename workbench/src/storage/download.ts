/**
 * Downloads a job's outputs into the local run folder, following storage/download-plan.ts. Each file is written
 * to a temporary name and renamed, and the manifest comes last: an interrupted download never leaves a
 * manifest.json next to missing or half-written files.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { JobError } from '../errors.js';
import { planDownload, type DownloadItem } from './download-plan.js';
import { listObjects } from './listing.js';
import { asPrefix, type S3Location } from './s3-uri.js';

async function downloadOne(client: S3Client, bucket: string, item: DownloadItem, runDir: string, signal?: AbortSignal) {
  const dest = path.join(runDir, ...item.localPath.split('/'));
  const partial = `${dest}.partial`;
  await mkdir(path.dirname(dest), { recursive: true });
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: item.key }), { abortSignal: signal });
  if (!res.Body) throw new Error(`empty body for s3://${bucket}/${item.key}`);
  try {
    await pipeline(res.Body as Readable, createWriteStream(partial), { signal });
    await rename(partial, dest);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

export async function downloadOutputs(
  client: S3Client,
  output: S3Location,
  runDir: string,
  signal?: AbortSignal,
): Promise<DownloadItem[]> {
  const prefix = asPrefix(output.key);
  const objects = await listObjects(client, output.bucket, prefix, signal);
  const items = planDownload(objects, prefix);
  if (items.at(-1)?.localPath !== 'manifest.json') {
    throw new JobError(
      `the job's output s3://${output.bucket}/${prefix} has no manifest.json: the run did not complete`,
      'see driver.log in the run folder for what happened',
    );
  }
  await mkdir(runDir, { recursive: true });
  for (const item of items) await downloadOne(client, output.bucket, item, runDir, signal);
  return items;
}
