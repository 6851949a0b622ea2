/**
 * The AWS clients the Serverless target uses, for one region: EMR Serverless, S3, STS (who starts the run) and
 * IAM (--create-roles). Credentials only from the SDK's default chain; the endpoint override is for moto.
 */
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { EuRegion } from '../config/schema.js';
import { createS3Client } from '../storage/s3-client.js';

export interface ServerlessClients {
  region: EuRegion;
  endpoint?: string;
  emrs: EMRServerlessClient;
  s3: S3Client;
  sts: STSClient;
  iam: IAMClient;
  destroy(): void;
}

export function createServerlessClients(o: { region: EuRegion; endpoint?: string }): ServerlessClients {
  const common = { region: o.region, maxAttempts: 5, ...(o.endpoint ? { endpoint: o.endpoint } : {}) };
  const emrs = new EMRServerlessClient(common);
  const s3 = createS3Client({ region: o.region, endpoint: o.endpoint, maxAttempts: 5 });
  const sts = new STSClient(common);
  // IAM is global: its region only picks the endpoint.
  const iam = new IAMClient(common);
  return {
    region: o.region,
    endpoint: o.endpoint,
    emrs,
    s3,
    sts,
    iam,
    destroy() {
      emrs.destroy();
      s3.destroy();
      sts.destroy();
      iam.destroy();
    },
  };
}
