/**
 * Waits for the run's step to end, at most `limitMs` (the profile's plannedMinutes), printing a compact line
 * when the state changes (and once a minute otherwise): states, elapsed time, cost so far. Returns the verdict;
 * the caller terminates the cluster whatever it is. Aborts promptly on the scope's signal (Ctrl-C).
 */
import { DescribeClusterCommand, DescribeStepCommand, type Cluster, type EMRClient } from '@aws-sdk/client-emr';
import type { Output } from '../terminal/index.js';
import { toCloudError } from './aws-errors.js';
import { formatDuration, type Clock } from './clock.js';
import { interpretStatus, type RunVerdict } from './cluster-states.js';
import { costSoFarEur } from './prices.js';

export interface PollOptions {
  clusterId: string;
  stepId: string;
  limitMs: number;
  intervalMs: number;
  eurPerHour: number;
  clock: Clock;
  out: Output;
  signal: AbortSignal;
  /** A progress line at least this often even without a state change. */
  heartbeatMs?: number;
}

export type PollResult =
  | Exclude<RunVerdict, { kind: 'failed' }>
  /** The last DescribeCluster answer travels with a failure: it tells a bootstrap failure from a step failure. */
  | (Extract<RunVerdict, { kind: 'failed' }> & { cluster?: Cluster })
  | { kind: 'timed-out'; label: string; elapsedMs: number };

export async function pollUntilDone(emr: EMRClient, o: PollOptions): Promise<PollResult> {
  const started = o.clock.now();
  const heartbeat = o.heartbeatMs ?? 60_000;
  let lastLabel = '';
  let lastPrint = -Infinity;
  // A permanent line when the state changes (and once a minute in a log); the live line shows the clock.
  const task = o.out.task(`EMR ${o.clusterId}`);
  try {
    for (;;) {
      let verdict: RunVerdict;
      let cluster: Cluster | undefined;
      try {
        const [c, s] = await Promise.all([
          emr.send(new DescribeClusterCommand({ ClusterId: o.clusterId }), { abortSignal: o.signal }),
          emr.send(new DescribeStepCommand({ ClusterId: o.clusterId, StepId: o.stepId }), { abortSignal: o.signal }),
        ]);
        verdict = interpretStatus(c.Cluster?.Status, s.Step?.Status);
        cluster = c.Cluster;
      } catch (err) {
        if (o.signal.aborted) throw o.signal.reason ?? err;
        throw toCloudError(err, `reading the state of cluster ${o.clusterId}`);
      }
      const elapsed = o.clock.now() - started;
      const now = o.clock.now();
      const line = `EMR ${o.clusterId}: ${verdict.label} · ${formatDuration(elapsed)} · ~${costSoFarEur({ eurPerHour: o.eurPerHour }, elapsed).toFixed(2)} EUR so far`;
      if (verdict.label !== lastLabel || (!o.out.isTTY && now - lastPrint >= heartbeat) || verdict.kind !== 'waiting') {
        o.out.info(line);
        lastLabel = verdict.label;
        lastPrint = now;
      } else {
        task.status(line);
      }
      if (verdict.kind === 'failed') return { ...verdict, cluster };
      if (verdict.kind !== 'waiting') return verdict;
      if (elapsed >= o.limitMs) return { kind: 'timed-out', label: verdict.label, elapsedMs: elapsed };
      await o.clock.sleep(Math.min(o.intervalMs, Math.max(0, o.limitMs - elapsed)), o.signal);
    }
  } finally {
    task.end();
  }
}
