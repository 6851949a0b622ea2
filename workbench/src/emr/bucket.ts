/**
 * The run's bucket: created in the plan's region if missing, then kept private (all four public-access blocks)
 * and encrypted by default (SSE-S3, unless it already has a default encryption of its own). An existing bucket in another region is refused: the data must stay in
 * the region the EU guard accepted.
 */
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Output } from '../terminal/index.js';
import { CloudError, PlanRefusedError } from '../errors.js';
import { awsErrorName, httpStatus, toCloudError } from './aws-errors.js';

/** Region of an existing bucket, or undefined when it does not exist. */
export async function bucketRegion(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (httpStatus(err) === 404 || awsErrorName(err) === 'NotFound' || awsErrorName(err) === 'NoSuchBucket') return undefined;
    if (httpStatus(err) === 403) {
      throw new CloudError(
        `bucket ${bucket} exists but belongs to another account (or you may not read it)`,
        'bucket names are global: set profiles.<emr>.bucket in workbench.yaml to a name of your own',
        { cause: err },
      );
    }
    throw toCloudError(err, `checking bucket ${bucket}`);
  }
  const loc = await s3.send(new GetBucketLocationCommand({ Bucket: bucket })).catch((err) => {
    throw toCloudError(err, `reading the region of bucket ${bucket}`);
  });
  // An empty LocationConstraint means us-east-1 (S3's historical default).
  return loc.LocationConstraint || 'us-east-1';
}

async function hasDefaultEncryption(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const res = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    return (res.ServerSideEncryptionConfiguration?.Rules ?? []).length > 0;
  } catch (err) {
    if (awsErrorName(err) === 'ServerSideEncryptionConfigurationNotFoundError') return false;
    throw err;
  }
}

export async function ensurePrivateBucket(s3: S3Client, bucket: string, region: string, out: Output): Promise<'created' | 'exists'> {
  const existing = await bucketRegion(s3, bucket);
  if (existing !== undefined && existing !== region) {
    throw new PlanRefusedError(
      `refused: bucket ${bucket} is in ${existing}, not in the plan's region ${region}: the data would leave the region`,
      'use a bucket in the same region (profiles.<emr>.bucket) or change --region',
    );
  }
  try {
    if (existing === undefined) {
      out.info(`creating bucket s3://${bucket} in ${region} (private, encrypted)`);
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
          ObjectOwnership: 'BucketOwnerEnforced',
        }),
      );
    } else {
      out.info(`bucket s3://${bucket} exists in ${region}`);
    }
    // Idempotent, and only ever tightens: applied to existing buckets too.
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      }),
    );
    // Default encryption: SSE-S3 unless the bucket already has one (an existing SSE-KMS setup is kept).
    if (existing === undefined || !(await hasDefaultEncryption(s3, bucket))) {
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
        }),
      );
    }
  } catch (err) {
    throw toCloudError(err, `preparing bucket ${bucket}`);
  }
  return existing === undefined ? 'created' : 'exists';
}
