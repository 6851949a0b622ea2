/**
 * `--core-nodes auto`, and the budget guard's alternatives: pure searches over the core node count, given a
 * function that forecasts a run for n nodes (forecast/emr.ts with everything else fixed).
 */
import { PlanRefusedError } from '../errors.js';
import type { EmrForecast } from './emr.js';

/** The schema's bound on a core group (config/schema.ts instanceGroup.count). */
export const MAX_CORE_NODES = 20;

export type ForecastFor = (coreNodes: number) => EmrForecast;

const fmt = (f: EmrForecast) => `${f.coreNodes} x ${f.coreInstanceType}: ${Math.ceil(f.totalMinutes)} min, ${f.totalEur.toFixed(2)} EUR`;

function candidates(forecastFor: ForecastFor, maxNodes: number): EmrForecast[] {
  return Array.from({ length: maxNodes }, (_, k) => forecastFor(k + 1));
}

/** Cheapest first, then fastest, then fewest nodes. */
const byCost = (a: EmrForecast, b: EmrForecast) => a.totalEur - b.totalEur || a.totalMinutes - b.totalMinutes || a.coreNodes - b.coreNodes;

/** The cheapest node count whose whole run (provisioning to teardown) ends within targetMinutes. */
export function chooseCoreNodes(forecastFor: ForecastFor, targetMinutes: number, maxNodes = MAX_CORE_NODES): EmrForecast {
  const all = candidates(forecastFor, maxNodes);
  const fitting = all.filter((f) => f.totalMinutes <= targetMinutes).sort(byCost);
  if (fitting[0]) return fitting[0];
  const fastest = [...all].sort((a, b) => a.totalMinutes - b.totalMinutes || a.totalEur - b.totalEur)[0]!;
  throw new PlanRefusedError(
    `refused: no core node count from 1 to ${maxNodes} finishes ${fastest.images.toLocaleString('en-US')} images within ${targetMinutes} min; the fastest is ${fmt(fastest)}`,
    `raise --target-minutes (profile targetMinutes) to ${Math.ceil(fastest.totalMinutes)}, or use a larger core instance type`,
  );
}

/** Refused because the forecast is over the budget; says what would fit. */
export class OverBudgetError extends PlanRefusedError {
  constructor(
    message: string,
    fix: string,
    /** The fastest node count within the budget, if any. */
    readonly fits: EmrForecast | undefined,
  ) {
    super(message, fix);
  }
}

/** The budget guard on the forecast: passes, or refuses with the node count (and time) that would fit. */
export function assertForecastWithinBudget(forecast: EmrForecast, budgetEur: number, forecastFor: ForecastFor, maxNodes = MAX_CORE_NODES): void {
  if (forecast.totalEur <= budgetEur) return;
  const all = candidates(forecastFor, maxNodes);
  const within = all.filter((f) => f.totalEur <= budgetEur).sort((a, b) => a.totalMinutes - b.totalMinutes || a.totalEur - b.totalEur);
  const what = `refused: ${forecast.images.toLocaleString('en-US')} images on ${fmt(forecast)} (forecast), above the budget of ${budgetEur.toFixed(2)} EUR`;
  const fits = within[0];
  if (fits) throw new OverBudgetError(what, `use --core-nodes ${fits.coreNodes} (${fmt(fits)}), or raise --budget-eur to ${forecast.totalEur.toFixed(2)}`, fits);
  const cheapest = [...all].sort(byCost)[0]!;
  throw new OverBudgetError(
    `${what}; no core node count from 1 to ${maxNodes} fits (the cheapest is ${fmt(cheapest)})`,
    `raise --budget-eur (or budgetEur) to ${cheapest.totalEur.toFixed(2)} with --core-nodes ${cheapest.coreNodes}, or split the input`,
    undefined,
  );
}
