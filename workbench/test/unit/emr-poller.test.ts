import { EMRClient } from '@aws-sdk/client-emr';
import { describe, expect, it } from 'vitest';
import { pollUntilDone } from '../../src/emr/poller.js';
import { answerWith, fakeClock, recordingOutput } from '../helpers/emr-fixtures.js';

/** DescribeCluster / DescribeStep answers shaped like AWS's, one pair per poll. */
function scripted(states: [cluster: string, step: string, extra?: Record<string, unknown>][]) {
  let i = 0;
  const at = () => states[Math.min(i, states.length - 1)]!;
  const client = new EMRClient({ region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  answerWith(client, {
    DescribeClusterCommand: () => ({ Cluster: { Id: 'j-1', Status: { State: at()[0], StateChangeReason: at()[2]?.clusterReason } } }),
    DescribeStepCommand: () => {
      const [, s, extra] = at();
      i++;
      return { Step: { Id: 's-1', Status: { State: s, FailureDetails: extra?.failure } } };
    },
  });
  return client;
}

const base = { clusterId: 'j-1', stepId: 's-1', intervalMs: 30_000, eurPerHour: 1.2, heartbeatMs: 10 * 60_000 };

describe('pollUntilDone (responses shaped like AWS DescribeCluster/DescribeStep; no AWS, no moto)', () => {
  it('follows STARTING -> BOOTSTRAPPING -> RUNNING -> step COMPLETED, one line per change', async () => {
    const out = recordingOutput();
    const emr = scripted([
      ['STARTING', 'PENDING'],
      ['STARTING', 'PENDING'],
      ['BOOTSTRAPPING', 'PENDING'],
      ['RUNNING', 'RUNNING'],
      ['RUNNING', 'RUNNING'],
      ['WAITING', 'COMPLETED'],
    ]);
    const r = await pollUntilDone(emr, { ...base, limitMs: 60 * 60_000, clock: fakeClock(), out, signal: new AbortController().signal });
    expect(r.kind).toBe('succeeded');
    expect(out.lines).toEqual([
      'EMR j-1: cluster STARTING, step PENDING · 0s · ~0.02 EUR so far',
      'EMR j-1: cluster BOOTSTRAPPING, step PENDING · 1m00s · ~0.02 EUR so far',
      'EMR j-1: cluster RUNNING, step RUNNING · 1m30s · ~0.03 EUR so far',
      'EMR j-1: cluster WAITING, step COMPLETED · 2m30s · ~0.05 EUR so far',
    ]);
  });

  it('returns the failure with its details when the step fails', async () => {
    const failure = { Reason: 'Unknown Error.', Message: 'fruits-job: error: weights file not found', LogFile: 's3://b/logs/j-1/steps/s-1/' };
    const emr = scripted([['RUNNING', 'RUNNING'], ['TERMINATING', 'FAILED', { failure, clusterReason: { Code: 'STEP_FAILURE' } }]]);
    const r = await pollUntilDone(emr, { ...base, limitMs: 60 * 60_000, clock: fakeClock(), out: recordingOutput(), signal: new AbortController().signal });
    expect(r).toMatchObject({ kind: 'failed', logFile: failure.LogFile });
    expect(r.kind === 'failed' && r.reason).toContain('weights file not found');
  });

  it('stops at the bounded wait and says how long it waited', async () => {
    const clock = fakeClock();
    const emr = scripted([['RUNNING', 'RUNNING']]);
    const r = await pollUntilDone(emr, { ...base, limitMs: 5 * 60_000, clock, out: recordingOutput(), signal: new AbortController().signal });
    expect(r).toMatchObject({ kind: 'timed-out', label: 'cluster RUNNING, step RUNNING', elapsedMs: 5 * 60_000 });
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(5 * 60_000);
  });

  it('prints a heartbeat line when nothing changes for a while', async () => {
    const out = recordingOutput();
    const emr = scripted([['RUNNING', 'RUNNING']]);
    await pollUntilDone(emr, { ...base, heartbeatMs: 60_000, limitMs: 3 * 60_000, clock: fakeClock(), out, signal: new AbortController().signal });
    expect(out.lines.length).toBe(4); // 0s, 1m, 2m, 3m
  });

  it('rejects promptly when the signal aborts (Ctrl-C)', async () => {
    const ac = new AbortController();
    ac.abort(new Error('received SIGINT'));
    const emr = scripted([['RUNNING', 'RUNNING']]);
    await expect(pollUntilDone(emr, { ...base, limitMs: 60 * 60_000, clock: fakeClock(), out: recordingOutput(), signal: ac.signal })).rejects.toThrow();
  });
});
