/**
 * The forecast of one EMR Serverless job run, pure: the job step from the target-agnostic forecast/step.ts
 * (the same model as EMR on EC2's), plus Serverless' own start-up. Minutes and EUR.
 *
 * What is billed: the workers, from ready to released. The application's start (CREATED -> STARTED, no
 * pre-initialized capacity) and stop are not billed; the workers' provisioning before the first task is.
 */
import { DEFAULT_IMAGES_PER_TASK, VCPU_DERATE } from '../forecast/assumptions.js';
import type { Engine, ThroughputProfile } from '../forecast/profile.js';
import { forecastStep, type StepForecast } from '../forecast/step.js';
import type { ServerlessSizing } from './sizing.js';

/**
 * Assumptions, not measured here (AWS publishes no figures; a real run's timeline replaces them):
 * - applicationStart: CreateApplication to STARTED, ~1-2 min, not billed;
 * - workerStartSeconds: driver then executors provisioned and Spark up on them, billed, on top of the profile's
 *   fixed cost (the counterpart of EC2's YARN start-up, forecast/emr.ts YARN_STARTUP_SECONDS).
 * A Serverless vCPU is taken as an EC2 vCPU (one hyperthread): VCPU_DERATE applies.
 */
export const SERVERLESS_PHASE = { applicationStartMinutes: 2, workerStartSeconds: 60 } as const;

export interface ServerlessForecast {
  images: number;
  engine: Engine;
  step: StepForecast;
  /** Wall minutes: application start + the job run. */
  totalMinutes: number;
  /** Billed minutes: the job run (workers up), at least 1. */
  billedMinutes: number;
  eur: number;
  assumptions: { vcpuDerate: number; phase: typeof SERVERLESS_PHASE; profile: { measuredAt: string; cpuModel: string; cores: number } };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function forecastServerless(i: { profile: ThroughputProfile; images: number; engine: Engine; sizing: Pick<ServerlessSizing, 'slots' | 'taskCpus'>; eurPerHour: number; imagesPerTask?: number }): ServerlessForecast {
  const step = forecastStep({
    profile: i.profile,
    images: i.images,
    engine: i.engine,
    slots: i.sizing.slots,
    taskCpus: i.sizing.taskCpus,
    coreSpeed: VCPU_DERATE,
    imagesPerTask: i.imagesPerTask ?? DEFAULT_IMAGES_PER_TASK,
    startupSeconds: SERVERLESS_PHASE.workerStartSeconds,
  });
  const billedMinutes = Math.max(1, step.seconds / 60);
  return {
    images: i.images,
    engine: i.engine,
    step,
    totalMinutes: round(SERVERLESS_PHASE.applicationStartMinutes + billedMinutes, 1),
    billedMinutes: round(billedMinutes, 1),
    eur: round((i.eurPerHour * billedMinutes) / 60, 2),
    assumptions: {
      vcpuDerate: VCPU_DERATE,
      phase: SERVERLESS_PHASE,
      profile: { measuredAt: i.profile.measuredAt, cpuModel: i.profile.machine.cpuModel, cores: i.profile.machine.cores },
    },
  };
}

/** executionTimeoutMinutes: forecast x 1.5 + 10 (as EC2's bounded wait), never past what the budget pays for. */
export function executionTimeoutMinutes(billedMinutes: number, eurPerHour: number, budgetEur: number): number {
  const generous = billedMinutes * 1.5 + 10;
  const affordable = (budgetEur / eurPerHour) * 60;
  return Math.ceil(Math.max(billedMinutes, Math.min(generous, affordable)));
}
