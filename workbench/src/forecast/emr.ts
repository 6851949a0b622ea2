/**
 * The forecast of one EMR-on-EC2 run, pure: minutes and EUR for each phase from the throughput profile, the
 * input count, the instance groups, the executor layout and the dated price table.
 *
 * Billing: EMR bills every instance per second (one-minute minimum) from launch to termination, so every phase
 * is charged for every instance of the cluster (master and core), at the plan's EUR per hour (emr/prices.ts).
 * The upload of the inputs happens before the cluster exists and is not cluster time.
 *
 * The cluster's price per hour comes in as a value (emr/plans price it with emr/prices.ts): forecast/ sits below
 * emr/ and imports nothing of it.
 */
import { DEFAULT_IMAGES_PER_TASK, VCPU_DERATE } from './assumptions.js';
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
  /** Concurrent tasks per core node and cores per task (emr/sizing.ts tasksPerNode, taskCpus). */
  tasksPerNode: number;
  taskCpus: number;
  imagesPerTask?: number;
}

export interface EmrForecast {
  images: number;
  engine: Engine;
  coreInstanceType: string;
  coreNodes: number;
  phases: Record<EmrPhase, PhaseCost>;
  totalMinutes: number;
  totalEur: number;
  eurPerHour: number;
  step: StepForecast;
  assumptions: { vcpuDerate: number; phaseMinutes: typeof EMR_PHASE_MINUTES; yarnStartupSeconds: number; profile: { measuredAt: string; cpuModel: string; cores: number } };
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
  return {
    images: i.images,
    engine: i.engine,
    coreInstanceType: core.instanceType,
    coreNodes: core.count,
    phases,
    totalMinutes: round(totalMinutes, 1),
    totalEur: round((eurPerHour * totalMinutes) / 60, 2),
    eurPerHour,
    step,
    assumptions: {
      vcpuDerate: VCPU_DERATE,
      phaseMinutes: EMR_PHASE_MINUTES,
      yarnStartupSeconds: YARN_STARTUP_SECONDS,
      profile: { measuredAt: i.profile.measuredAt, cpuModel: i.profile.machine.cpuModel, cores: i.profile.machine.cores },
    },
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
