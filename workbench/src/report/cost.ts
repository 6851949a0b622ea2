/**
 * Estimated against elapsed cost of an EMR run, from the promote plan saved beside it (promote-plan.json: the
 * priced estimate, EUR per hour) and what the run recorded. Pure.
 *
 * The elapsed figure is the plan's EUR/h times the time the cluster was up when the promote command recorded it
 * (`promote-outcome.json` -> elapsedMs), else the job's own time from the manifest (started_at -> finished_at),
 * which leaves out the cluster's start-up and bootstrap: the report says which one it used. One-minute minimum,
 * like EMR's per-second billing (and emr/prices.ts costSoFarEur). The forecast's phase minutes are shown beside
 * what the run measured (promote-outcome.json `phases`, or a rehearsal's `forecastCheck`).
 */
import type { Manifest } from '../outputs/manifest.js';

/** The fields of promote-plan.json (emr/plan.ts PromotePlan) the report reads; the rest is ignored. */
export interface PromotePlanLike {
  profileName?: string;
  region?: string;
  plannedMinutes?: number;
  estimate?: { totalEur?: number; eurPerHour?: number; worstCaseEur?: number; minutes?: number; priceTable?: { date?: string } };
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
  };
}

/** One phase, forecast and actual side by side (minutes; null: not forecast or not measured). */
export interface PhaseView {
  phase: string;
  predictedMinutes: number | null;
  actualMinutes: number | null;
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
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function costOf(plan: PromotePlanLike, manifest: Pick<Manifest, 'started_at' | 'finished_at'>): CostView {
  const est = plan.estimate ?? {};
  const eurPerHour = typeof est.eurPerHour === 'number' ? est.eurPerHour : null;
  let elapsedMs: number | null = null;
  let elapsedBasis = 'not recorded';
  if (typeof plan.outcome?.elapsedMs === 'number') {
    elapsedMs = plan.outcome.elapsedMs;
    elapsedBasis = `cluster up time recorded by npm run promote${plan.outcome.clusterId ? ` (${plan.outcome.clusterId})` : ''}`;
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
  };
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
