import { describe, expect, it } from 'vitest';
import { emrRoles, jobAccessPolicy, roleArn, roleNames, runBucketScope, serverlessRoles, SERVICE_PRINCIPALS } from '../../src/iam/policies.js';

describe('least-privilege IAM documents', () => {
  const scope = runBucketScope('fruits-wb-123-eu-west-3', { inputsPrefix: 'inputs', runsPrefix: 'runs' });

  it('the job reads inputs, artifacts (the venv archive among them) and weights, writes runs/ and logs/, of the run bucket only', () => {
    const doc = jobAccessPolicy(scope);
    const by = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(by.ListRunPrefixes).toMatchObject({ Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::fruits-wb-123-eu-west-3'] });
    expect(by.ListRunPrefixes!.Condition!.StringLike!['s3:prefix']).toContain('inputs/*');
    expect(by.ReadInputsArtifactWeights).toMatchObject({ Action: ['s3:GetObject'] });
    expect(by.ReadInputsArtifactWeights!.Resource).toEqual(['inputs/*', 'artifacts/*', 'weights/*'].map((p) => `arn:aws:s3:::fruits-wb-123-eu-west-3/${p}`));
    expect(by.WriteRunsAndLogs!.Resource).toEqual(['runs/*', 'logs/*'].map((p) => `arn:aws:s3:::fruits-wb-123-eu-west-3/${p}`));
    expect(by.WriteRunsAndLogs!.Action).toContain('s3:PutObject');
    // Nothing account-wide, no wildcard action, no write outside runs/ and logs/.
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/"s3:\*"|arn:aws:s3:::\*"|"\*"/);
    expect(doc.Statement.filter((s) => s.Action.includes('s3:PutObject')).flatMap((s) => s.Resource)).toEqual(by.WriteRunsAndLogs!.Resource);
  });

  it('an input elsewhere adds read access to that prefix only', () => {
    const doc = jobAccessPolicy(runBucketScope('b', { inputsPrefix: 'inputs', runsPrefix: 'runs', elsewhere: [{ bucket: 'data', prefix: 'fruits/' }] }));
    const reads = doc.Statement.filter((s) => s.Sid.startsWith('ReadElsewhere'));
    expect(reads.map((s) => s.Resource)).toEqual([['arn:aws:s3:::data/fruits/*']]);
  });

  it('trust: the Serverless execution role by emr-serverless, the EMR service role by EMR, the nodes\' role by EC2 (with an instance profile)', () => {
    const [job] = serverlessRoles(scope);
    expect(job!.trust.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: SERVICE_PRINCIPALS.serverless }, Action: 'sts:AssumeRole' }]);
    const [service, nodes] = emrRoles(scope);
    expect(service!.trust.Statement[0]!.Principal.Service).toBe('elasticmapreduce.amazonaws.com');
    expect(service!.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2']);
    expect(service!.inline).toBeUndefined();
    expect(nodes!.trust.Statement[0]!.Principal.Service).toBe('ec2.amazonaws.com');
    expect(nodes!.instanceProfile).toBe(true);
    expect(nodes!.inline!.document).toEqual(jobAccessPolicy(scope));
  });

  it('names are per bucket and within IAM\'s 64 characters; ARNs from a name or kept as given', () => {
    const n = roleNames('a'.repeat(63));
    for (const name of Object.values(n)) expect(name.length).toBeLessThanOrEqual(64);
    expect(roleNames('x').serverlessJob).not.toBe(roleNames('y').serverlessJob);
    expect(roleArn('r', '123456789012')).toBe('arn:aws:iam::123456789012:role/r');
    expect(roleArn('arn:aws:iam::1:role/theirs', '2')).toBe('arn:aws:iam::1:role/theirs');
  });
});
