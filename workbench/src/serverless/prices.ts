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
    'same in every EU region. Not checked against aws.amazon.com/emr/pricing/ from this machine: check before relying on them.',
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

/** EUR for measured usage (GetJobRun's billedResourceUtilization), for the report beside the estimate. */
export function billedEur(region: EuRegion, used: { vCPUHour?: number; memoryGBHour?: number; storageGBHour?: number }): number {
  const v = SERVERLESS_PRICE_TABLE.usdPerVcpuHour[region] ?? 0;
  const g = SERVERLESS_PRICE_TABLE.usdPerGbHour[region] ?? 0;
  const usd = (used.vCPUHour ?? 0) * v + (used.memoryGBHour ?? 0) * g + (used.storageGBHour ?? 0) * SERVERLESS_PRICE_TABLE.usdPerStorageGbHour;
  return round(usd * SERVERLESS_PRICE_TABLE.usdToEur, 2);
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
