/**
 * The forecast of one EMR-on-EC2 run, pure: minutes and EUR for each phase from the throughput profile, the
 * input count, the instance groups, the executor layout and the dated price table.
 *
 * Billing: EMR bills every instance per second (one-minute minimum) from launch to termination, so every phase
 * is charged for every instance of the cluster (master and core), at the plan's EUR per hour (emr/prices.ts).
 * S3 bills the job's requests on top: three per image read (SCAN_S3_REQUESTS_PER_IMAGE), in the total. The upload
 * of the inputs happens before the cluster exists and is not cluster time; its PUT requests are forecast apart
 * (`requests.uploadEur`, at most: images already in the bucket are skipped) and not in the total, because a
 * re-run of the same input pays them once.
 *
 * The cluster's price per hour comes in as a value (emr/plans price it with emr/prices.ts): forecast/ sits below
 * emr/ and imports nothing of it.
 */
import { DEFAULT_IMAGES_PER_TASK, SCAN_S3_REQUESTS_PER_IMAGE, VCPU_DERATE } from './assumptions.js';
import type { Engine, ThroughputProfile } from './profile.js';
import { forecastStep, type StepForecast } from './step.js';

/**
 * Phase durations that do not depend on the input, minutes (assumptions: AWS publishes none; replace them with
 * the phase times a real promote records in promote-outcome.json, which the report shows beside these).
 */
export const EMR_PHASE_MINUTES = {
  /** RunJobFlow to the instances booted with EMR's agents up (STARTING): EC2 launch and EMR's AMI, typically 5-8 min. */
  provisioning: 7,
  /** The bootstrap action on every node (pip installs the lock's shipped wheels, --no-index) and Hadoop/Spark set-up until RUNNING. */
  bootstrap: 5,
  /** After the step: termination until the instances stop being billed. */
  teardown: 2,
} as const;

/** YARN's share of the step's fixed cost on top of the profile's (application master, executor containers), seconds on the profile's machine. */
export const YARN_STARTUP_SECONDS = 20;

export type EmrPhase = 'provisioning' | 'bootstrap' | 'step' | 'teardown';
export const EMR_PHASES: readonly EmrPhase[] = ['provisioning', 'bootstrap', 'step', 'teardown'];

export interface PhaseCost {
  minutes: number;
  eur: number;
}

export interface EmrForecastInput {
  profile: ThroughputProfile;
  images: number;
  engine: Engine;
  /** The core group as requested (its count is the node count forecast). */
  core: { instanceType: string; count: number };
  /** What the whole cluster (master and core nodes) costs per hour, EUR (emr/prices.ts estimateCost). */
  eurPerHour: number;
  /** What S3 charges per 1,000 requests in the run's region, EUR (emr/prices.ts s3RequestPrices). */
  s3: S3RequestRates;
  /** Images the run uploads before the cluster starts (a local input folder), at most; 0 for an s3:// input used in place. */
  uploadImages?: number;
  /** Concurrent tasks per core node and cores per task (emr/sizing.ts tasksPerNode, taskCpus). */
  tasksPerNode: number;
  taskCpus: number;
  imagesPerTask?: number;
}

export interface S3RequestRates {
  putEurPerThousand: number;
  getEurPerThousand: number;
}

export interface RequestCost {
  /** GET-class requests of the job's scan, and what they cost (in totalEur). */
  scan: number;
  scanEur: number;
  /** PUT requests of the upload, at most, and what they cost (not in totalEur: paid once per image). */
  upload: number;
  uploadEur: number;
}

export interface EmrForecast {
  images: number;
  engine: Engine;
  coreInstanceType: string;
  coreNodes: number;
  phases: Record<EmrPhase, PhaseCost>;
  /** S3's request charges: the scan's are in totalEur, the upload's are not. */
  requests: RequestCost;
  totalMinutes: number;
  /** The cluster for totalMinutes, plus the scan's S3 requests. */
  totalEur: number;
  eurPerHour: number;
  step: StepForecast;
  assumptions: {
    vcpuDerate: number;
    phaseMinutes: typeof EMR_PHASE_MINUTES;
    yarnStartupSeconds: number;
    scanS3RequestsPerImage: number;
    profile: { measuredAt: string; cpuModel: string; cores: number };
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function forecastEmr(i: EmrForecastInput): EmrForecast {
  const { core, eurPerHour } = i;
  if (!(core.count >= 1)) throw new Error(`forecastEmr: ${core.count} core nodes; at least 1 is needed`);
  const step = forecastStep({
    profile: i.profile,
    images: i.images,
    engine: i.engine,
    slots: core.count * i.tasksPerNode,
    taskCpus: i.taskCpus,
    coreSpeed: VCPU_DERATE,
    imagesPerTask: i.imagesPerTask ?? DEFAULT_IMAGES_PER_TASK,
    startupSeconds: YARN_STARTUP_SECONDS,
  });
  const minutes: Record<EmrPhase, number> = { ...EMR_PHASE_MINUTES, step: step.seconds / 60 };
  const phases = Object.fromEntries(EMR_PHASES.map((p) => [p, { minutes: round(minutes[p], 1), eur: round((eurPerHour * minutes[p]) / 60, 3) }])) as Record<EmrPhase, PhaseCost>;
  const totalMinutes = EMR_PHASES.reduce((s, p) => s + minutes[p], 0);
  const requests = requestCost(i.images, i.uploadImages ?? 0, i.s3);
  return {
    images: i.images,
    engine: i.engine,
    coreInstanceType: core.instanceType,
    coreNodes: core.count,
    phases,
    requests,
    totalMinutes: round(totalMinutes, 1),
    totalEur: round((eurPerHour * totalMinutes) / 60 + requests.scanEur, 2),
    eurPerHour,
    step,
    assumptions: {
      vcpuDerate: VCPU_DERATE,
      phaseMinutes: EMR_PHASE_MINUTES,
      yarnStartupSeconds: YARN_STARTUP_SECONDS,
      scanS3RequestsPerImage: SCAN_S3_REQUESTS_PER_IMAGE,
      profile: { measuredAt: i.profile.measuredAt, cpuModel: i.profile.machine.cpuModel, cores: i.profile.machine.cores },
    },
  };
}

/** S3's charges for the scan's requests and the upload's PUTs (pure). */
export function requestCost(images: number, uploadImages: number, s3: S3RequestRates): RequestCost {
  const scan = images * SCAN_S3_REQUESTS_PER_IMAGE;
  return {
    scan,
    scanEur: round((scan / 1000) * s3.getEurPerThousand, 3),
    upload: uploadImages,
    uploadEur: round((uploadImages / 1000) * s3.putEurPerThousand, 3),
  };
}

/** Minutes from RunJobFlow to the step's end: what the executor's bounded wait covers. */
export const minutesToStepEnd = (f: EmrForecast) => f.phases.provisioning.minutes + f.phases.bootstrap.minutes + f.phases.step.minutes;

/** The cluster's bounded wait: forecast x WAIT_MARGIN + WAIT_SLACK_MINUTES, but never past what the budget pays for. */
export const WAIT_MARGIN = 1.5;
export const WAIT_SLACK_MINUTES = 10;

export function waitLimitMinutes(f: EmrForecast, budgetEur: number): number {
  const toEnd = minutesToStepEnd(f);
  const generous = toEnd * WAIT_MARGIN + WAIT_SLACK_MINUTES;
  const affordable = (budgetEur / f.eurPerHour) * 60 - f.phases.teardown.minutes;
  return Math.ceil(Math.max(toEnd, Math.min(generous, affordable)));
}
