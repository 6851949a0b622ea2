import type { Cluster } from '@aws-sdk/client-emr';
import { describe, expect, it } from 'vitest';
import { bootstrapStderrLocation, detectBootstrapFailure, nodeLogsPrefix, parseLogUri } from '../../src/emr/bootstrap-failure.js';

/** DescribeCluster's Cluster, shaped as AWS returns it (moto has no bootstrap failures). */
function cluster(reason: { Code?: string; Message?: string } | undefined, state = 'TERMINATED_WITH_ERRORS', logUri: string | null = 's3n://fruits-workbench-123456789012-eu-west-3/logs/'): Cluster {
  return {
    Id: 'j-2AXXXXXXGAPLF',
    Name: 'fruits-workbench run-1',
    LogUri: logUri ?? undefined,
    Status: {
      State: state as never,
      StateChangeReason: reason as never,
      Timeline: { CreationDateTime: new Date('2026-12-02T10:00:00Z'), EndDateTime: new Date('2026-12-02T10:09:00Z') },
    },
  };
}

describe('detectBootstrapFailure', () => {
  it('reads a master bootstrap failure and points at the node\'s bootstrap-actions stderr', () => {
    const f = detectBootstrapFailure(
      cluster({ Code: 'BOOTSTRAP_FAILURE', Message: 'On the master instance (i-0e8a2b3c4d5e6f7a8), bootstrap action 1 returned a non-zero return code' }),
    );
    expect(f).toMatchObject({ clusterId: 'j-2AXXXXXXGAPLF', state: 'TERMINATED_WITH_ERRORS', actionNumber: 1, instanceIds: ['i-0e8a2b3c4d5e6f7a8'] });
    expect(f!.stderr).toEqual([
      {
        bucket: 'fruits-workbench-123456789012-eu-west-3',
        key: 'logs/j-2AXXXXXXGAPLF/node/i-0e8a2b3c4d5e6f7a8/bootstrap-actions/1/stderr.gz',
        uri: 's3://fruits-workbench-123456789012-eu-west-3/logs/j-2AXXXXXXGAPLF/node/i-0e8a2b3c4d5e6f7a8/bootstrap-actions/1/stderr.gz',
      },
    ]);
  });

  it('several core instances: one stderr per named instance, the action number from the message', () => {
    const f = detectBootstrapFailure(
      cluster({
        Code: 'BOOTSTRAP_FAILURE',
        Message: 'On 2 slave instances (including i-0a1b2c3d4e5f67890 and i-0f9e8d7c6b5a43210), bootstrap action 2 returned a non-zero return code',
      }, 'TERMINATING'),
      2,
    );
    expect(f!.state).toBe('TERMINATING');
    expect(f!.actionNumber).toBe(2);
    expect(f!.stderr.map((s) => s.key)).toEqual([
      'logs/j-2AXXXXXXGAPLF/node/i-0a1b2c3d4e5f67890/bootstrap-actions/2/stderr.gz',
      'logs/j-2AXXXXXXGAPLF/node/i-0f9e8d7c6b5a43210/bootstrap-actions/2/stderr.gz',
    ]);
  });

  it('a message without an instance id still gives the node logs prefix to list', () => {
    const f = detectBootstrapFailure(cluster({ Code: 'BOOTSTRAP_FAILURE', Message: 'Bootstrap failure' }));
    expect(f!.actionNumber).toBe(1); // the plan has one bootstrap action
    expect(f!.stderr).toEqual([]);
    expect(f!.nodeLogsPrefix?.uri).toBe('s3://fruits-workbench-123456789012-eu-west-3/logs/j-2AXXXXXXGAPLF/node/');
    expect(detectBootstrapFailure(cluster({ Code: 'BOOTSTRAP_FAILURE', Message: 'Bootstrap failure' }), 3)!.actionNumber).toBeUndefined();
  });

  it('is not a bootstrap failure: a step failure, a user request, a cluster still starting', () => {
    expect(detectBootstrapFailure(cluster({ Code: 'STEP_FAILURE', Message: 'Shut down as step failed' }))).toBeUndefined();
    expect(detectBootstrapFailure(cluster({ Code: 'USER_REQUEST', Message: 'Terminated by user request' }, 'TERMINATED'))).toBeUndefined();
    expect(detectBootstrapFailure(cluster(undefined, 'BOOTSTRAPPING'))).toBeUndefined();
    expect(detectBootstrapFailure(cluster({ Code: 'ALL_STEPS_COMPLETED', Message: 'Steps completed' }, 'TERMINATED'))).toBeUndefined();
  });

  it('without a LogUri there is nothing to fetch', () => {
    const f = detectBootstrapFailure(cluster({ Code: 'BOOTSTRAP_FAILURE', Message: 'On the master instance (i-0e8a2b3c4d5e6f7a8), bootstrap action 1 returned a non-zero return code' }, 'TERMINATED_WITH_ERRORS', null));
    expect(f!.stderr).toEqual([]);
    expect(f!.nodeLogsPrefix).toBeUndefined();
  });
});

describe('log locations', () => {
  it('accepts s3://, s3n:// and s3a:// log URIs, with or without a trailing slash or prefix', () => {
    expect(parseLogUri('s3://b/logs/')).toEqual({ bucket: 'b', prefix: 'logs/' });
    expect(parseLogUri('s3n://b/logs')).toEqual({ bucket: 'b', prefix: 'logs/' });
    expect(parseLogUri('s3a://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(() => parseLogUri('/var/log/emr')).toThrow(/not an S3 log URI/);
    expect(bootstrapStderrLocation('s3://b', 'j-1', 'i-0123456789abcdef0', 1).key).toBe('j-1/node/i-0123456789abcdef0/bootstrap-actions/1/stderr.gz');
    expect(nodeLogsPrefix('s3://b/a/b/', 'j-1').key).toBe('a/b/j-1/node/');
  });
});
