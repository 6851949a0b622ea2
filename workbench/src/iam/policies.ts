/**
 * Least-privilege IAM documents for both cloud targets, pure: the policy a run's code needs, scoped to the run's
 * bucket (read the inputs, the artifact, the weights and the venv archive; write runs/ and logs/), and the trust
 * policy of each role. EMR's default roles (EMR_EC2_DefaultRole's AmazonElasticMapReduceforEC2Role) let the
 * nodes read and write every bucket of the account; these do not.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface BucketScope {
  bucket: string;
  /** Prefixes the job reads (inputs/, artifacts/ with the venv archive, weights/), without a leading slash, ending in '/'. */
  read: string[];
  /** Prefixes the job writes (runs/, logs/). */
  write: string[];
  /** Objects read outside the bucket (an s3:// input or weights used in place): bucket + prefix. */
  readElsewhere?: { bucket: string; prefix: string }[];
}

const objects = (bucket: string, prefix: string) => `arn:aws:s3:::${bucket}/${prefix}*`;

/** The job's S3 access: list and get under the read prefixes, and get/put/delete under the write prefixes. */
export function jobAccessPolicy(s: BucketScope): PolicyDocument {
  const listed = [...s.read, ...s.write];
  const elsewhere = s.readElsewhere ?? [];
  const statements: PolicyStatement[] = [
    {
      Sid: 'ListRunPrefixes',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:aws:s3:::${s.bucket}`],
      Condition: { StringLike: { 's3:prefix': listed.flatMap((p) => [p, `${p}*`]) } },
    },
    { Sid: 'ReadInputsArtifactWeights', Effect: 'Allow', Action: ['s3:GetObject'], Resource: s.read.map((p) => objects(s.bucket, p)) },
    {
      Sid: 'WriteRunsAndLogs',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: s.write.map((p) => objects(s.bucket, p)),
    },
  ];
  for (const [n, e] of elsewhere.entries()) {
    statements.push(
      { Sid: `ListElsewhere${n}`, Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${e.bucket}`], Condition: { StringLike: { 's3:prefix': [e.prefix, `${e.prefix}*`] } } },
      { Sid: `ReadElsewhere${n}`, Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objects(e.bucket, e.prefix)] },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

export interface TrustPolicy {
  Version: '2012-10-17';
  Statement: { Effect: 'Allow'; Principal: { Service: string }; Action: 'sts:AssumeRole' }[];
}

export const trustPolicy = (service: string): TrustPolicy => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
});

/** The service principals: a Serverless job run's execution role; EMR's service role; the EC2 nodes' instance role. */
export const SERVICE_PRINCIPALS = {
  serverless: 'emr-serverless.amazonaws.com',
  emr: 'elasticmapreduce.amazonaws.com',
  ec2: 'ec2.amazonaws.com',
} as const;

/**
 * EMR's own service role keeps AWS's managed policy (it manages EC2 for the cluster, not the data): the v2 policy
 * only acts on resources tagged for-use-with-amazon-emr-managed-policies=true, the narrowest AWS offers.
 */
export const EMR_SERVICE_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2';

/** The broad roles EMR's console creates; the dry run warns when a profile still uses them. */
export const BROAD_DEFAULT_ROLES = ['EMR_DefaultRole', 'EMR_EC2_DefaultRole', 'EMR_DefaultRole_V2'] as const;

export interface RoleSpec {
  name: string;
  /** What the role is for, for people and the role's Description. */
  description: string;
  trust: TrustPolicy;
  /** Inline policy (name -> document), written with PutRolePolicy (idempotent). */
  inline?: { name: string; document: PolicyDocument };
  managedPolicyArns?: string[];
  /** Also an instance profile of the same name holding the role (the EC2 nodes'). */
  instanceProfile?: boolean;
}

/** Role names: scoped to the bucket they grant, so two buckets never share (and widen) one role. */
export function roleNames(bucket: string) {
  const short = bucket.length > 40 ? bucket.slice(0, 40) : bucket;
  return {
    serverlessJob: `fruits-wb-serverless-${short}`.slice(0, 64),
    emrService: `fruits-wb-emr-service-${short}`.slice(0, 64),
    emrNodes: `fruits-wb-emr-nodes-${short}`.slice(0, 64),
  };
}

/** The Serverless job run's execution role. */
export function serverlessRoles(scope: BucketScope, name = roleNames(scope.bucket).serverlessJob): RoleSpec[] {
  return [
    {
      name,
      description: `fruits-workbench EMR Serverless job runs: read inputs/artifact/weights, write runs/ and logs/ of s3://${scope.bucket}`,
      trust: trustPolicy(SERVICE_PRINCIPALS.serverless),
      inline: { name: 'fruits-workbench-job-s3', document: jobAccessPolicy(scope) },
    },
  ];
}

/** EMR on EC2: the service role (AWS's v2 managed policy) and the nodes' role + instance profile, scoped to the bucket. */
export function emrRoles(scope: BucketScope, names = roleNames(scope.bucket)): RoleSpec[] {
  return [
    {
      name: names.emrService,
      description: 'fruits-workbench EMR service role (AmazonEMRServicePolicy_v2)',
      trust: trustPolicy(SERVICE_PRINCIPALS.emr),
      managedPolicyArns: [EMR_SERVICE_POLICY_ARN],
    },
    {
      name: names.emrNodes,
      description: `fruits-workbench EMR nodes: read inputs/artifact/weights, write runs/ and logs/ of s3://${scope.bucket}`,
      trust: trustPolicy(SERVICE_PRINCIPALS.ec2),
      inline: { name: 'fruits-workbench-job-s3', document: jobAccessPolicy(scope) },
      instanceProfile: true,
    },
  ];
}

/** The run's bucket scope for the workbench's layout (storage.inputsPrefix etc.). */
export function runBucketScope(bucket: string, o: { inputsPrefix: string; runsPrefix: string; elsewhere?: { bucket: string; prefix: string }[] }): BucketScope {
  const dir = (p: string) => (p.endsWith('/') ? p : `${p}/`);
  return {
    bucket,
    read: [dir(o.inputsPrefix), 'artifacts/', 'weights/'],
    write: [dir(o.runsPrefix), 'logs/'],
    readElsewhere: o.elsewhere,
  };
}

/** ARN of a role given by name or ARN. */
export function roleArn(nameOrArn: string, accountId: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:iam::${accountId}:role/${nameOrArn}`;
}
