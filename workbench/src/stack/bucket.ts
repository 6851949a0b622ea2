/**
 * Makes sure the stack's bucket exists in the configured region (created with that LocationConstraint).
 * Backend-agnostic: it only needs S3Access.
 */
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { ServiceError } from '../errors.js';
import { createS3Client } from '../storage/s3-client.js';
import type { S3Access } from './types.js';

export async function ensureBucket(s3: S3Access, signal: AbortSignal): Promise<void> {
  const client = createS3Client(s3);
  try {
    const exists = await client.send(new HeadBucketCommand({ Bucket: s3.bucket }), { abortSignal: signal }).then(
      () => true,
      (err: { $metadata?: { httpStatusCode?: number } }) => {
        if (err.$metadata?.httpStatusCode === 404) return false;
        throw err;
      },
    );
    if (!exists) {
      try {
        await client.send(
          new CreateBucketCommand({
            Bucket: s3.bucket,
            CreateBucketConfiguration: { LocationConstraint: s3.region as BucketLocationConstraint },
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        if (!(err instanceof BucketAlreadyOwnedByYou)) throw err;
      }
    }
    const loc = await client.send(new GetBucketLocationCommand({ Bucket: s3.bucket }), { abortSignal: signal });
    if ((loc.LocationConstraint ?? 'us-east-1') !== s3.region) {
      throw new ServiceError(
        `bucket ${s3.bucket} is in ${loc.LocationConstraint ?? 'us-east-1'}, not in ${s3.region}`,
        'stop the stack (npm run stop) and start it again: MinIO takes the region of the profile',
      );
    }
  } catch (err) {
    if (err instanceof ServiceError || signal.aborted) throw err;
    throw new ServiceError(`could not create bucket ${s3.bucket} at ${s3.endpoint}: ${(err as Error).message}`, 'read the MinIO log in the stack state folder', {
      cause: err,
    });
  } finally {
    client.destroy();
  }
}
