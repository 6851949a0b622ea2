/**
 * Estimated against elapsed cost of an EMR run, from the promote plan saved beside it (promote-plan.json: the
 * priced estimate, EUR per hour) and what the run recorded. Pure.
 *
 * The elapsed figure is the plan's EUR/h times the time the cluster was up when the promote command recorded it
 * (`promote-outcome.json` -> elapsedMs), else the job's own time from the manifest (started_at -> finished_at),
 * which leaves out the cluster's start-up and bootstrap: the report says which one it used. One-minute minimum,
 * like EMR's per-second billing (and emr/prices.ts costSoFarEur). The forecast's phase minutes are shown beside
 * what the run measured (promote-outcome.json `phases`, or a rehearsal's `forecastCheck`).
 *
 * An EMR Serverless run records what AWS billed (GetJobRun billedResourceUtilization: vCPU-, GB- and storage-hours,
 * priced at the plan's dated table by serverless/prices.ts billedCost) and the estimate in the same units: the
 * report shows the two side by side.
 */
import type { Manifest } from '../outputs/manifest.js';

/** The fields of promote-plan.json (emr/plan.ts PromotePlan) the report reads; the rest is ignored. */
export interface PromotePlanLike {
  profileName?: string;
  region?: string;
  plannedMinutes?: number;
  /** EMR on EC2 keeps eurPerHour on the estimate, EMR Serverless on its rate. */
  estimate?: { totalEur?: number; eurPerHour?: number; rate?: { eurPerHour?: number }; worstCaseEur?: number; minutes?: number; priceTable?: { date?: string } };
  /** The run's forecast (emr/plan.ts PromotePlan.forecast): minutes per phase. */
  forecast?: { run?: { totalMinutes?: number; totalEur?: number; phases?: Record<string, { minutes?: number }> } } | null;
  /** Optional record of the promote run (promote-outcome.json), merged in by extras.ts. */
  outcome?: {
    elapsedMs?: number;
    clusterId?: string;
    rehearsal?: boolean;
    /** A real promote: forecast vs EMR's timelines per phase (forecast/emr-actuals.ts). */
    phases?: { phase: string; predictedMinutes: number | null; actualMinutes: number | null }[];
    /** A rehearsal: its step forecast vs the measured step (forecast/rehearsal.ts). */
    forecastCheck?: { predictedSeconds: number; measuredSeconds: number; errorPct: number } | null;
    /** An EMR Serverless job run (targets/serverless.ts): its id, what AWS billed, and the estimate in the same units. */
    jobRunId?: string;
    billed?: Partial<UsageView> | null;
    estimate?: Partial<UsageView>;
  };
}

/** One phase, forecast and actual side by side (minutes; null: not forecast or not measured). */
export interface PhaseView {
  phase: string;
  predictedMinutes: number | null;
  actualMinutes: number | null;
}

/** vCPU-, memory- and storage-hours and what they cost (EUR). */
export interface UsageView {
  vCPUHour: number;
  memoryGBHour: number;
  storageGBHour: number;
  eur: number;
}

export interface CostView {
  estimatedEur: number | null;
  worstCaseEur: number | null;
  eurPerHour: number | null;
  plannedMinutes: number | null;
  elapsedMinutes: number | null;
  elapsedEur: number | null;
  /** What elapsedMinutes measures. */
  elapsedBasis: string;
  priceTableDate: string | null;
  /** Forecast against actual per phase: a real promote's phases, a rehearsal's step, or the forecast alone. */
  phases: PhaseView[];
  /** An EMR Serverless run: the estimate and what AWS billed, in the same units (null: not a Serverless run / not reported). */
  usage: { estimated: UsageView | null; billed: UsageView | null } | null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function costOf(plan: PromotePlanLike, manifest: Pick<Manifest, 'started_at' | 'finished_at'>): CostView {
  const est = plan.estimate ?? {};
  const eurPerHour = num(est.eurPerHour) ?? num(est.rate?.eurPerHour);
  let elapsedMs: number | null = null;
  let elapsedBasis = 'not recorded';
  if (typeof plan.outcome?.elapsedMs === 'number') {
    elapsedMs = plan.outcome.elapsedMs;
    elapsedBasis = plan.outcome.jobRunId
      ? `job run time recorded by npm run promote (${plan.outcome.jobRunId}, submit to end; AWS bills the workers' time: see billed)`
      : `cluster up time recorded by npm run promote${plan.outcome.clusterId ? ` (${plan.outcome.clusterId})` : ''}`;
  } else {
    const ms = Date.parse(manifest.finished_at) - Date.parse(manifest.started_at);
    if (Number.isFinite(ms) && ms >= 0) {
      elapsedMs = ms;
      elapsedBasis = "the job's own time (manifest started_at to finished_at): cluster start-up and bootstrap not included";
    }
  }
  const elapsedMinutes = elapsedMs === null ? null : round2(elapsedMs / 60_000);
  const elapsedEur = elapsedMs === null || eurPerHour === null ? null : round2((eurPerHour * Math.max(elapsedMs, 60_000)) / 3_600_000);
  return {
    estimatedEur: typeof est.totalEur === 'number' ? est.totalEur : null,
    worstCaseEur: typeof est.worstCaseEur === 'number' ? est.worstCaseEur : null,
    eurPerHour,
    plannedMinutes: typeof plan.plannedMinutes === 'number' ? plan.plannedMinutes : (est.minutes ?? null),
    elapsedMinutes,
    elapsedEur,
    elapsedBasis,
    priceTableDate: est.priceTable?.date ?? null,
    phases: phasesOf(plan),
    usage: usageOf(plan.outcome),
  };
}

function usageView(u: Partial<UsageView> | null | undefined): UsageView | null {
  if (!u || typeof u !== 'object') return null;
  const eur = num(u.eur);
  if (eur === null) return null;
  return { vCPUHour: num(u.vCPUHour) ?? 0, memoryGBHour: num(u.memoryGBHour) ?? 0, storageGBHour: num(u.storageGBHour) ?? 0, eur };
}

function usageOf(outcome: PromotePlanLike['outcome']): CostView['usage'] {
  if (!outcome || !('billed' in outcome || 'estimate' in outcome)) return null;
  return { estimated: usageView(outcome.estimate), billed: usageView(outcome.billed) };
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

function phasesOf(plan: PromotePlanLike): PhaseView[] {
  const recorded = plan.outcome?.phases;
  if (Array.isArray(recorded)) return recorded.map((p) => ({ phase: String(p.phase), predictedMinutes: num(p.predictedMinutes), actualMinutes: num(p.actualMinutes) }));
  const check = plan.outcome?.forecastCheck;
  if (check) return [{ phase: 'step (rehearsal, local YARN)', predictedMinutes: round2(check.predictedSeconds / 60), actualMinutes: round2(check.measuredSeconds / 60) }];
  const run = plan.forecast?.run;
  if (!run?.phases) return [];
  return [
    ...Object.entries(run.phases).map(([phase, p]) => ({ phase, predictedMinutes: num(p.minutes), actualMinutes: null })),
    { phase: 'total', predictedMinutes: num(run.totalMinutes), actualMinutes: null },
  ];
}
