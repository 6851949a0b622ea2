/**
 * What a (cluster, step) status pair means for the run, as AWS documents the states (EMR API Reference,
 * ClusterStatus / StepStatus). Pure, so every branch is unit-tested with responses shaped like AWS's.
 *
 *   cluster: STARTING -> BOOTSTRAPPING -> RUNNING <-> WAITING -> TERMINATING -> TERMINATED | TERMINATED_WITH_ERRORS
 *   step:    PENDING -> RUNNING -> COMPLETED | CANCEL_PENDING -> CANCELLED | FAILED | INTERRUPTED
 */
import type { ClusterStatus, StepStatus } from '@aws-sdk/client-emr';

export type RunVerdict =
  | { kind: 'waiting'; label: string }
  | { kind: 'succeeded'; label: string }
  | { kind: 'failed'; label: string; reason: string; logFile?: string };

const CLUSTER_ENDED = new Set(['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS']);
const STEP_FAILED = new Set(['FAILED', 'CANCELLED', 'INTERRUPTED']);

export function isClusterEnded(state: string | undefined): boolean {
  return state !== undefined && CLUSTER_ENDED.has(state);
}

function reasonOf(r: { Code?: string; Message?: string } | undefined): string {
  return [r?.Code, r?.Message].filter(Boolean).join(': ');
}

export function interpretStatus(cluster: ClusterStatus | undefined, step: StepStatus | undefined): RunVerdict {
  const c = cluster?.State ?? 'UNKNOWN';
  const s = step?.State ?? 'UNKNOWN';
  const label = `cluster ${c}, step ${s}`;
  if (s === 'COMPLETED') return { kind: 'succeeded', label };
  if (STEP_FAILED.has(s)) {
    const details = step?.FailureDetails;
    const reason = [details?.Reason, details?.Message].filter(Boolean).join(': ') || reasonOf(step?.StateChangeReason) || 'no reason given';
    return { kind: 'failed', label, reason: `the step ended ${s}: ${reason}`, logFile: details?.LogFile };
  }
  if (isClusterEnded(c)) {
    // The cluster went away before the step completed: bootstrap failure, lost instances, validation...
    return { kind: 'failed', label, reason: `the cluster is ${c} before the step completed: ${reasonOf(cluster?.StateChangeReason) || 'no reason given'}` };
  }
  return { kind: 'waiting', label };
}
