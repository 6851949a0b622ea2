/**
 * What a planned EMR run costs, in EUR, from a small dated price table; and the budget guard. Pure.
 *
 * An EMR cluster is billed per instance-second (one-minute minimum) from the moment EMR requests the
 * instances until they are terminated: EC2 on-demand price + the EMR uplift per instance-hour, plus the EBS
 * volumes EMR attaches. The estimate is a guide to stop an expensive mistake, not an invoice: prices change,
 * and spot prices float. S3 requests are priced here too (s3RequestPrices) and counted by the forecast
 * (forecast/emr.ts): the job makes three per image, which at a million images costs about as much as the
 * cluster. Data transfer between EC2 and S3 in one region is free.
 */
import { PlanRefusedError } from '../errors.js';
import type { EuRegion } from '../config/schema.js';
import type { S3RequestRates } from '../forecast/emr.js';

export const PRICE_TABLE = {
  date: '2026-11-25',
  source:
    'AWS public list prices, Linux on-demand: aws.amazon.com/ec2/pricing/on-demand/ (EC2), aws.amazon.com/emr/pricing/ ' +
    '(EMR uplift, taken as the same in every EU region listed) and aws.amazon.com/s3/pricing/ (S3 Standard requests). ' +
    'Written from the published tables as of the date above, ' +
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
  /**
   * S3 Standard request prices, USD per 1,000 requests, by region: PUT-class (PUT, COPY, POST, LIST) and GET-class
   * (GET, SELECT and all other requests: HEAD is one).
   */
  s3UsdPerThousandRequests: {
    put: { 'eu-west-1': 0.005, 'eu-west-3': 0.0053, 'eu-central-1': 0.0054, 'eu-north-1': 0.005, 'eu-south-1': 0.0053, 'eu-south-2': 0.005 },
    get: { 'eu-west-1': 0.0004, 'eu-west-3': 0.00042, 'eu-central-1': 0.00043, 'eu-north-1': 0.0004, 'eu-south-1': 0.00042, 'eu-south-2': 0.0004 },
  } as Record<'put' | 'get', Record<EuRegion, number>>,
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
  /** S3's charges for the job's requests, included in totalEur and worstCaseEur (0 when the input count is unknown). */
  s3RequestsEur: number;
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

/** What S3 charges per 1,000 requests in a region, EUR, in the shape the forecast takes as a value. */
export function s3RequestPrices(region: EuRegion): S3RequestRates {
  const { put, get } = PRICE_TABLE.s3UsdPerThousandRequests;
  return { putEurPerThousand: round(put[region] * PRICE_TABLE.usdToEur, 6), getEurPerThousand: round(get[region] * PRICE_TABLE.usdToEur, 6) };
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
    s3RequestsEur: 0,
    priceTable: {
      date: PRICE_TABLE.date,
      source: PRICE_TABLE.source,
      usdToEur: PRICE_TABLE.usdToEur,
      spotDiscount: PRICE_TABLE.spotDiscount,
    },
  };
}

/** The estimate with S3's request charges added (the forecast's `requests.scanEur`): they are paid whatever the cluster time. */
export function withS3Requests(estimate: CostEstimate, s3RequestsEur: number): CostEstimate {
  return {
    ...estimate,
    s3RequestsEur,
    totalEur: round((estimate.eurPerHour * estimate.minutes) / 60 + s3RequestsEur, 2), // one rounding, as the forecast's
    worstCaseEur: round(estimate.worstCaseEur + s3RequestsEur, 2),
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
