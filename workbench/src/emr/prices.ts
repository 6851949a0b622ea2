/**
 * What a planned EMR run costs, in EUR, from a small dated price table; and the budget guard. Pure.
 *
 * An EMR cluster is billed per instance-second (one-minute minimum) from the moment EMR requests the
 * instances until they are terminated: EC2 on-demand price + the EMR uplift per instance-hour, plus the EBS
 * volumes EMR attaches. The estimate is a guide to stop an expensive mistake, not an invoice: prices change,
 * spot prices float, S3 requests and data transfer (cents for this job) are not counted.
 */
import { PlanRefusedError } from '../errors.js';
import type { EuRegion } from '../config/schema.js';

export const PRICE_TABLE = {
  date: '2026-11-25',
  source:
    'AWS public list prices, Linux on-demand: aws.amazon.com/ec2/pricing/on-demand/ (EC2) and aws.amazon.com/emr/pricing/ ' +
    '(EMR uplift, taken as the same in every EU region listed). Written from the published tables as of the date above, ' +
    'not fetched live: check the AWS Pricing Calculator before relying on them.',
  /** Fixed conversion rate used for every estimate (EUR per USD), stated so figures can be re-derived. */
  usdToEur: 0.87,
  /** Assumed saving of spot over on-demand on the EC2 part (EMR's uplift is charged in full on spot). */
  spotDiscount: 0.6,
  /** EBS that EMR attaches by default to these EBS-only types (~64 GiB gp2/gp3 incl. root), per instance-hour. */
  ebsUsdPerInstanceHour: 0.012,
  /** EC2 on-demand USD per instance-hour, by type and region. */
  ec2UsdPerHour: {
    'm5.xlarge': { 'eu-west-1': 0.214, 'eu-west-3': 0.224, 'eu-central-1': 0.23, 'eu-north-1': 0.204, 'eu-south-1': 0.224, 'eu-south-2': 0.214 },
    'm5.2xlarge': { 'eu-west-1': 0.428, 'eu-west-3': 0.448, 'eu-central-1': 0.46, 'eu-north-1': 0.408, 'eu-south-1': 0.448, 'eu-south-2': 0.428 },
    'm6i.xlarge': { 'eu-west-1': 0.214, 'eu-west-3': 0.224, 'eu-central-1': 0.23, 'eu-north-1': 0.204, 'eu-south-1': 0.224, 'eu-south-2': 0.214 },
    'c5.xlarge': { 'eu-west-1': 0.192, 'eu-west-3': 0.202, 'eu-central-1': 0.194, 'eu-north-1': 0.182, 'eu-south-1': 0.202, 'eu-south-2': 0.192 },
    'r5.xlarge': { 'eu-west-1': 0.282, 'eu-west-3': 0.296, 'eu-central-1': 0.304, 'eu-north-1': 0.268, 'eu-south-1': 0.296, 'eu-south-2': 0.282 },
  } as Record<string, Record<EuRegion, number>>,
  /** EMR uplift USD per instance-hour, by type. */
  emrUsdPerHour: { 'm5.xlarge': 0.048, 'm5.2xlarge': 0.096, 'm6i.xlarge': 0.048, 'c5.xlarge': 0.043, 'r5.xlarge': 0.063 } as Record<
    string,
    number
  >,
} as const;

export interface PricedGroup {
  role: 'MASTER' | 'CORE' | 'TASK';
  instanceType: string;
  count: number;
  market: 'ON_DEMAND' | 'SPOT';
}

export interface CostLine extends PricedGroup {
  ec2UsdPerHour: number;
  emrUsdPerHour: number;
  ebsUsdPerHour: number;
  /** For the whole group (count instances), after the spot discount. */
  eurPerHour: number;
}

export interface CostEstimate {
  currency: 'EUR';
  region: EuRegion;
  minutes: number;
  lines: CostLine[];
  eurPerHour: number;
  /** The planned run: eurPerHour x minutes. */
  totalEur: number;
  /** If the workbench itself died at the end of its bounded wait: the idle auto-termination adds its timeout. */
  worstCaseEur: number;
  priceTable: { date: string; source: string; usdToEur: number; spotDiscount: number };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function pricedInstanceTypes(): string[] {
  return Object.keys(PRICE_TABLE.ec2UsdPerHour);
}

function priceOf(instanceType: string, region: EuRegion): { ec2: number; emr: number } {
  const ec2 = PRICE_TABLE.ec2UsdPerHour[instanceType]?.[region];
  const emr = PRICE_TABLE.emrUsdPerHour[instanceType];
  if (ec2 === undefined || emr === undefined) {
    throw new PlanRefusedError(
      `refused: no price known for ${instanceType} in ${region}, so the run cannot be checked against the budget`,
      `use one of ${pricedInstanceTypes().join(', ')} (x86_64: the Python lock is built for x86_64), ` +
        'or add the type to workbench/src/emr/prices.ts with its source',
    );
  }
  return { ec2, emr };
}

export function estimateCost(a: {
  region: EuRegion;
  groups: PricedGroup[];
  minutes: number;
  idleTimeoutMinutes: number;
  /** Minutes the cluster may run before the workbench gives up (its bounded wait); default `minutes`. */
  worstCaseMinutes?: number;
}): CostEstimate {
  const lines = a.groups.map((g): CostLine => {
    const { ec2, emr } = priceOf(g.instanceType, a.region);
    const ec2Paid = g.market === 'SPOT' ? ec2 * (1 - PRICE_TABLE.spotDiscount) : ec2;
    const usd = (ec2Paid + emr + PRICE_TABLE.ebsUsdPerInstanceHour) * g.count;
    return {
      ...g,
      ec2UsdPerHour: ec2,
      emrUsdPerHour: emr,
      ebsUsdPerHour: PRICE_TABLE.ebsUsdPerInstanceHour,
      eurPerHour: round(usd * PRICE_TABLE.usdToEur),
    };
  });
  const eurPerHour = round(lines.reduce((s, l) => s + l.eurPerHour, 0));
  return {
    currency: 'EUR',
    region: a.region,
    minutes: a.minutes,
    lines,
    eurPerHour,
    totalEur: round((eurPerHour * a.minutes) / 60, 2),
    worstCaseEur: round((eurPerHour * ((a.worstCaseMinutes ?? a.minutes) + a.idleTimeoutMinutes)) / 60, 2),
    priceTable: {
      date: PRICE_TABLE.date,
      source: PRICE_TABLE.source,
      usdToEur: PRICE_TABLE.usdToEur,
      spotDiscount: PRICE_TABLE.spotDiscount,
    },
  };
}

/** Cost so far of a cluster that has been up for `elapsedMs`, for the progress line. */
export function costSoFarEur(estimate: Pick<CostEstimate, 'eurPerHour'>, elapsedMs: number): number {
  return round((estimate.eurPerHour * Math.max(elapsedMs, 60_000)) / 3_600_000, 2);
}

/** The budget guard: refuses a plan whose planned cost is above the budget. */
export function assertWithinBudget(estimate: CostEstimate, budgetEur: number): void {
  if (estimate.totalEur <= budgetEur) return;
  throw new PlanRefusedError(
    `refused: the planned run costs about ${estimate.totalEur.toFixed(2)} EUR ` +
      `(${estimate.eurPerHour.toFixed(2)} EUR/h for ${estimate.minutes} min), above the budget of ${budgetEur.toFixed(2)} EUR`,
    'use fewer or smaller instances, spot, or a shorter plannedMinutes in the emr profile; or raise budgetEur / ' +
      '--budget-eur / WORKBENCH_BUDGET_EUR if you mean it',
  );
}
