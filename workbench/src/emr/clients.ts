/**
 * The AWS clients promote uses, for one region. Credentials come only from the AWS SDK's default chain (env,
 * shared config/profile, SSO, instance role): the workbench never reads, stores or prints them. The endpoint
 * override exists for tests against moto; the command passes it in explicitly from a flag or env var.
 */
import { EMRClient } from '@aws-sdk/client-emr';
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { EuRegion } from '../config/schema.js';
import { createS3Client } from '../storage/s3-client.js';

export interface AwsClientOptions {
  region: EuRegion;
  /** e.g. http://127.0.0.1:PORT for moto; undefined for AWS. */
  endpoint?: string;
}

export interface AwsClients {
  region: EuRegion;
  endpoint?: string;
  s3: S3Client;
  emr: EMRClient;
  sts: STSClient;
  destroy(): void;
}

export function createAwsClients(opts: AwsClientOptions): AwsClients {
  const common = { region: opts.region, maxAttempts: 5, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) };
  // Credentials from the default chain; path-style only against a local endpoint (moto has no virtual-host DNS).
  const s3 = createS3Client({ region: opts.region, endpoint: opts.endpoint, maxAttempts: 5 });
  const emr = new EMRClient(common);
  const sts = new STSClient(common);
  return {
    region: opts.region,
    endpoint: opts.endpoint,
    s3,
    emr,
    sts,
    destroy() {
      s3.destroy();
      emr.destroy();
      sts.destroy();
    },
  };
}
