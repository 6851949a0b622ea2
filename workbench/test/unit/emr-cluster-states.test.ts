import type { ClusterStatus, StepStatus } from '@aws-sdk/client-emr';
import { describe, expect, it } from 'vitest';
import { interpretStatus } from '../../src/emr/cluster-states.js';

// Shapes as in the EMR API Reference (DescribeCluster Cluster.Status, DescribeStep Step.Status).
const cluster = (State: string, reason?: { Code: string; Message: string }): ClusterStatus => ({ State: State as never, StateChangeReason: reason as never });
const step = (State: string, extra: Partial<StepStatus> = {}): StepStatus => ({ State: State as never, ...extra });

describe('interpretStatus', () => {
  it.each(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'])('cluster %s with a pending/running step: keep waiting', (c) => {
    expect(interpretStatus(cluster(c), step('PENDING')).kind).toBe('waiting');
    expect(interpretStatus(cluster(c), step('RUNNING')).kind).toBe('waiting');
  });

  it('step COMPLETED is success, whatever the cluster does next (it ends with its step)', () => {
    for (const c of ['RUNNING', 'WAITING', 'TERMINATING', 'TERMINATED']) {
      expect(interpretStatus(cluster(c, { Code: 'ALL_STEPS_COMPLETED', Message: 'Steps completed' }), step('COMPLETED')).kind).toBe('succeeded');
    }
  });

  it.each(['FAILED', 'CANCELLED', 'INTERRUPTED'])('step %s is a failure with the FailureDetails', (s) => {
    const v = interpretStatus(
      cluster('TERMINATING', { Code: 'STEP_FAILURE', Message: 'Shut down as step failed' }),
      step(s, { FailureDetails: { Reason: 'Unknown Error.', Message: 'fruits-job: error: no images under s3://b/in/', LogFile: 's3://b/logs/j-1/steps/s-1/' } }),
    );
    expect(v).toMatchObject({ kind: 'failed', logFile: 's3://b/logs/j-1/steps/s-1/' });
    expect(v.kind === 'failed' && v.reason).toMatch(new RegExp(`${s}: Unknown Error\\.: fruits-job: error: no images`));
  });

  it('a step failure without details falls back to its StateChangeReason', () => {
    const v = interpretStatus(cluster('WAITING'), step('CANCELLED', { StateChangeReason: { Code: 'NONE', Message: 'Cancelled by user' } }));
    expect(v.kind === 'failed' && v.reason).toMatch(/CANCELLED: NONE: Cancelled by user/);
  });

  it.each([
    ['TERMINATED_WITH_ERRORS', 'BOOTSTRAP_FAILURE', 'On the master instance (i-0abc), bootstrap action 1 returned a non-zero return code'],
    ['TERMINATED_WITH_ERRORS', 'VALIDATION_ERROR', 'Service role EMR_DefaultRole has insufficient EC2 permissions'],
    ['TERMINATED', 'USER_REQUEST', 'Terminated by user request'],
    ['TERMINATING', 'INSTANCE_FAILURE', 'Lost the master'],
  ])('cluster %s (%s) before the step completed is a failure naming the reason', (c, code, message) => {
    const v = interpretStatus(cluster(c, { Code: code, Message: message }), step('PENDING'));
    expect(v.kind).toBe('failed');
    expect(v.kind === 'failed' && v.reason).toContain(`${code}: ${message}`);
  });
});
