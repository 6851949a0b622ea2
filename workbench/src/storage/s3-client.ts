/**
 * The one S3 client factory. Against the local stack (an `endpoint` on loopback) it uses path-style
 * addressing and the stack's generated credentials; against AWS (no endpoint) the default credential chain.
 */
import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region: string;
  /** e.g. http://127.0.0.1:9000 for MinIO; absent for AWS. */
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  maxAttempts?: number;
}

export function createS3Client(opts: S3ClientOptions): S3Client {
  const credentials =
    opts.accessKeyId && opts.secretAccessKey ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } : undefined;
  return new S3Client({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: opts.maxAttempts ?? 3,
  });
}
