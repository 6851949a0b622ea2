/**
 * What an EMR Serverless job run costs, in EUR, from a small dated price table; and the budget guard. Pure.
 *
 * Serverless bills the workers of a job run per second (one-minute minimum) from the moment each worker is
 * ready until it is released: vCPU-hours, GB-hours of memory, and GB-hours of ephemeral storage above the 20 GB
 * every worker includes. An application without pre-initialized capacity costs nothing while it starts, waits
 * or stops. The estimate stops an expensive mistake; it is not an invoice.
 */
import type { EuRegion } from '../config/schema.js';
import { PRICE_TABLE } from '../emr/prices.js';
import { PlanRefusedError } from '../errors.js';
import { MIN_DISK_GB, type ServerlessSizing } from './sizing.js';

export const SERVERLESS_PRICE_TABLE = {
  date: '2026-12-04',
  source:
    'USD per vCPU-hour and per GB-hour: issue 22\'s table, taken from PerfKitBenchmarker\'s generated price table (no date or ' +
    'architecture given there; read as x86_64). Storage: AWS\'s published 0.000111 USD per GB-hour above 20 GB, taken as the ' +
    'same in every EU region. Not checked against aws.amazon.com/emr/pricing/: searched for on 2026-12-04 and not found (the page ' +
    'shows per-region figures only in a browser); docs/promote.md lists what is unchecked. Check before relying on them.',
  usdPerVcpuHour: { 'eu-west-1': 0.052624, 'eu-central-1': 0.060528, 'eu-west-3': 0.06318, 'eu-north-1': 0.05785 } as Partial<Record<EuRegion, number>>,
  usdPerGbHour: { 'eu-west-1': 0.0057785, 'eu-central-1': 0.006643, 'eu-west-3': 0.00689, 'eu-north-1': 0.00637 } as Partial<Record<EuRegion, number>>,
  usdPerStorageGbHour: 0.000111,
  /** The same conversion as the EC2 estimate (emr/prices.ts), so the two targets compare. */
  usdToEur: PRICE_TABLE.usdToEur,
} as const;

export interface ServerlessRate {
  region: EuRegion;
  vcpu: number;
  memoryGb: number;
  /** Billed storage: disk above the 20 GB each worker includes, summed over the workers. */
  extraStorageGb: number;
  usdPerVcpuHour: number;
  usdPerGbHour: number;
  usdPerStorageGbHour: number;
  /** All the planned workers together, EUR per hour. */
  eurPerHour: number;
}

export interface ServerlessEstimate {
  currency: 'EUR';
  rate: ServerlessRate;
  /** Billed minutes of the planned run (workers up), at least 1. */
  minutes: number;
  totalEur: number;
  /** If the run went to its executionTimeoutMinutes (the service cancels it there). */
  worstCaseMinutes: number;
  worstCaseEur: number;
  priceTable: { date: string; source: string; usdToEur: number };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function pricedRegions(): EuRegion[] {
  return Object.keys(SERVERLESS_PRICE_TABLE.usdPerVcpuHour) as EuRegion[];
}

/** EUR per hour of the planned workers (driver and executors) in `region`. */
export function serverlessRate(region: EuRegion, sizing: Pick<ServerlessSizing, 'driver' | 'executor' | 'executors' | 'capacity'>): ServerlessRate {
  const v = SERVERLESS_PRICE_TABLE.usdPerVcpuHour[region];
  const g = SERVERLESS_PRICE_TABLE.usdPerGbHour[region];
  if (v === undefined || g === undefined) {
    throw new PlanRefusedError(
      `refused: no EMR Serverless price known for ${region}, so the run cannot be checked against the budget`,
      `use one of ${pricedRegions().join(', ')} for profiles.<serverless>.region, or add the region to workbench/src/serverless/prices.ts with its source`,
    );
  }
  const extraStorageGb = Math.max(0, sizing.driver.diskGb - MIN_DISK_GB) + sizing.executors * Math.max(0, sizing.executor.diskGb - MIN_DISK_GB);
  const usd = sizing.capacity.vcpu * v + sizing.capacity.memoryGb * g + extraStorageGb * SERVERLESS_PRICE_TABLE.usdPerStorageGbHour;
  return {
    region,
    vcpu: sizing.capacity.vcpu,
    memoryGb: sizing.capacity.memoryGb,
    extraStorageGb,
    usdPerVcpuHour: v,
    usdPerGbHour: g,
    usdPerStorageGbHour: SERVERLESS_PRICE_TABLE.usdPerStorageGbHour,
    eurPerHour: round(usd * SERVERLESS_PRICE_TABLE.usdToEur),
  };
}

export function estimateServerlessCost(rate: ServerlessRate, minutes: number, worstCaseMinutes: number): ServerlessEstimate {
  const billed = Math.max(1, minutes);
  return {
    currency: 'EUR',
    rate,
    minutes: round(billed, 1),
    totalEur: round((rate.eurPerHour * billed) / 60, 2),
    worstCaseMinutes,
    worstCaseEur: round((rate.eurPerHour * worstCaseMinutes) / 60, 2),
    priceTable: { date: SERVERLESS_PRICE_TABLE.date, source: SERVERLESS_PRICE_TABLE.source, usdToEur: SERVERLESS_PRICE_TABLE.usdToEur },
  };
}

/** What GetJobRun's billedResourceUtilization reports: the usage AWS bills (1-minute minimum per worker, storage above 20 GB). */
export interface BilledUsage {
  vCPUHour?: number;
  memoryGBHour?: number;
  storageGBHour?: number;
}

/** The billed usage and what it costs at the dated price table: recorded in promote-outcome.json, shown by the report. */
export interface BilledCost {
  vCPUHour: number;
  memoryGBHour: number;
  storageGBHour: number;
  eur: number;
  region: EuRegion;
  priceTableDate: string;
}

/** EUR for measured usage (GetJobRun's billedResourceUtilization) at the region's prices; a missing figure counts 0. */
export function billedCost(region: EuRegion, used: BilledUsage): BilledCost {
  const v = SERVERLESS_PRICE_TABLE.usdPerVcpuHour[region];
  const g = SERVERLESS_PRICE_TABLE.usdPerGbHour[region];
  if (v === undefined || g === undefined) throw new Error(`billedCost: no EMR Serverless price for ${region} (a plan for it is refused before it runs)`);
  const usage = { vCPUHour: used.vCPUHour ?? 0, memoryGBHour: used.memoryGBHour ?? 0, storageGBHour: used.storageGBHour ?? 0 };
  const usd = usage.vCPUHour * v + usage.memoryGBHour * g + usage.storageGBHour * SERVERLESS_PRICE_TABLE.usdPerStorageGbHour;
  return { ...usage, eur: round(usd * SERVERLESS_PRICE_TABLE.usdToEur, 4), region, priceTableDate: SERVERLESS_PRICE_TABLE.date };
}

/** The estimate's usage in the same units as billedResourceUtilization, for the report's side-by-side. */
export function estimatedUsage(e: Pick<ServerlessEstimate, 'rate' | 'minutes'>): Required<BilledUsage> {
  const hours = e.minutes / 60;
  return { vCPUHour: round(e.rate.vcpu * hours), memoryGBHour: round(e.rate.memoryGb * hours), storageGBHour: round(e.rate.extraStorageGb * hours) };
}

/** The budget guard: refuses a plan whose planned cost is above the budget. */
export function assertServerlessWithinBudget(e: ServerlessEstimate, budgetEur: number): void {
  if (e.totalEur <= budgetEur) return;
  throw new PlanRefusedError(
    `refused: the planned job run costs about ${e.totalEur.toFixed(2)} EUR (${e.rate.eurPerHour.toFixed(2)} EUR/h for ${e.rate.vcpu} vCPU and ` +
      `${e.rate.memoryGb} GB over ${e.minutes} min), above the budget of ${budgetEur.toFixed(2)} EUR`,
    'use fewer executors or smaller workers in the serverless profile, or raise its budgetEur / --budget-eur if you mean it',
  );
}
