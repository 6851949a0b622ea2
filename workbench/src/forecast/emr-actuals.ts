/**
 * What a real promote's phases took, from EMR's own timelines, beside what the forecast said
 * (promote-outcome.json `phases`; the report shows both). EMR timestamps the cluster's creation, readiness
 * (after the bootstrap actions) and end, and the step's start and end, so provisioning and bootstrap are one
 * measured phase. Reading them is best effort: a failed read leaves the actual side empty, never fails the run.
 */
import { DescribeClusterCommand, DescribeStepCommand, type EMRClient } from '@aws-sdk/client-emr';
import type { EmrForecast } from './emr.js';

export type MeasuredPhase = 'provisioning+bootstrap' | 'step' | 'teardown' | 'total';

export interface PhaseComparison {
  phase: MeasuredPhase;
  predictedMinutes: number | null;
  actualMinutes: number | null;
}

export interface Timelines {
  clusterCreated?: Date;
  clusterReady?: Date;
  clusterEnded?: Date;
  stepStarted?: Date;
  stepEnded?: Date;
}

const minutesBetween = (a?: Date, b?: Date) => (a && b ? Number(((b.getTime() - a.getTime()) / 60_000).toFixed(2)) : null);

/** Pure: predicted (forecast) and actual (timelines) minutes per measurable phase. */
export function comparePhases(forecast: EmrForecast | null, t: Timelines): PhaseComparison[] {
  const p = forecast?.phases;
  return [
    { phase: 'provisioning+bootstrap', predictedMinutes: p ? p.provisioning.minutes + p.bootstrap.minutes : null, actualMinutes: minutesBetween(t.clusterCreated, t.clusterReady) },
    { phase: 'step', predictedMinutes: p?.step.minutes ?? null, actualMinutes: minutesBetween(t.stepStarted, t.stepEnded) },
    { phase: 'teardown', predictedMinutes: p?.teardown.minutes ?? null, actualMinutes: minutesBetween(t.stepEnded, t.clusterEnded) },
    { phase: 'total', predictedMinutes: forecast?.totalMinutes ?? null, actualMinutes: minutesBetween(t.clusterCreated, t.clusterEnded) },
  ];
}

/** Reads the cluster's and the step's timelines (two read-only calls); {} when EMR does not answer. */
export async function readTimelines(emr: EMRClient, clusterId: string, stepId: string): Promise<Timelines> {
  const [cluster, step] = await Promise.all([
    emr.send(new DescribeClusterCommand({ ClusterId: clusterId })).then((r) => r.Cluster?.Status?.Timeline, () => undefined),
    stepId ? emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId })).then((r) => r.Step?.Status?.Timeline, () => undefined) : undefined,
  ]);
  return {
    clusterCreated: cluster?.CreationDateTime,
    clusterReady: cluster?.ReadyDateTime,
    clusterEnded: cluster?.EndDateTime,
    stepStarted: step?.StartDateTime,
    stepEnded: step?.EndDateTime,
  };
}

export function formatPhaseComparison(rows: PhaseComparison[]): string {
  const m = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  return `forecast vs actual (min): ${rows.map((r) => `${r.phase} ${m(r.predictedMinutes)} / ${m(r.actualMinutes)}`).join(', ')}`;
}
