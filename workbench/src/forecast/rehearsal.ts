/**
 * The rehearsal's forecast of its own step, pure: the plan's throughput profile (kept in the plan) and image
 * count, on the local YARN node the rehearsal starts (emr/sizing.ts rehearsalNode) on THIS machine, so no vCPU
 * derate (the profile was measured here) but the planned node's task slots share this host's cores. Compared with
 * the measured spark-submit time, it checks the forecast's step model (issue 20: within +-25% at 24,960 images).
 */
import os from 'node:os';
import { DEFAULT_IMAGES_PER_TASK } from './assumptions.js';
import { YARN_STARTUP_SECONDS } from './emr.js';
import type { Engine, ThroughputProfile } from './profile.js';
import { forecastStep, type StepForecast } from './step.js';

export interface RehearsalStepInput {
  profile: ThroughputProfile;
  images: number;
  engine: Engine;
  /** Executors the local node holds, each with workersPerExecutor concurrent tasks of taskCpus cores. */
  executors: number;
  workersPerExecutor: number;
  taskCpus: number;
  hostCores: number;
  imagesPerTask?: number;
}

export function forecastRehearsalStep(i: RehearsalStepInput): StepForecast {
  return forecastStep({
    profile: i.profile,
    images: i.images,
    engine: i.engine,
    slots: i.executors * i.workersPerExecutor,
    taskCpus: i.taskCpus,
    coreSpeed: 1,
    imagesPerTask: i.imagesPerTask ?? DEFAULT_IMAGES_PER_TASK,
    startupSeconds: YARN_STARTUP_SECONDS,
    sharedCores: i.hostCores,
  });
}

export interface ForecastCheck {
  images: number;
  predictedSeconds: number;
  measuredSeconds: number;
  /** (measured - predicted) / predicted, percent: > 0 means slower than forecast. */
  errorPct: number;
  /** The tolerance. */
  tolerancePct: number;
  withinTolerance: boolean;
}

export const FORECAST_TOLERANCE_PCT = 25;

export function checkForecast(predictedSeconds: number, measuredSeconds: number, images: number): ForecastCheck {
  const errorPct = Number((((measuredSeconds - predictedSeconds) / predictedSeconds) * 100).toFixed(1));
  return {
    images,
    predictedSeconds: Number(predictedSeconds.toFixed(1)),
    measuredSeconds: Number(measuredSeconds.toFixed(1)),
    errorPct,
    tolerancePct: FORECAST_TOLERANCE_PCT,
    withinTolerance: Math.abs(errorPct) <= FORECAST_TOLERANCE_PCT,
  };
}

export const formatForecastCheck = (c: ForecastCheck) =>
  `forecast check: step predicted ${c.predictedSeconds} s, measured ${c.measuredSeconds} s for ${c.images.toLocaleString('en-US')} images: ` +
  `error ${c.errorPct > 0 ? '+' : ''}${c.errorPct}% (${c.withinTolerance ? 'within' : 'OUTSIDE'} +-${c.tolerancePct}%)`;

/** The plan's forecast replayed for the rehearsal's node on this host, against the measured step; undefined without a forecast. */
export function rehearsalForecastCheck(
  plan: {
    forecast: { run: { images: number; engine: Engine }; profile: ThroughputProfile } | null;
    sizing: { workersPerExecutor: number; taskCpus: number };
    runJobFlow?: { Steps?: { HadoopJarStep?: { Args?: string[] } }[] };
  },
  executors: number,
  measuredSeconds: number,
  hostCores: number = os.cpus().length,
): ForecastCheck | undefined {
  if (!plan.forecast) return undefined;
  // The step's own --images-per-task: the rehearsal runs exactly those tasks.
  const args = plan.runJobFlow?.Steps?.[0]?.HadoopJarStep?.Args ?? [];
  const at = args.indexOf('--images-per-task');
  const imagesPerTask = at >= 0 ? Number(args[at + 1]) : undefined;
  const predicted = forecastRehearsalStep({
    imagesPerTask,
    profile: plan.forecast.profile,
    images: plan.forecast.run.images,
    engine: plan.forecast.run.engine,
    executors,
    workersPerExecutor: plan.sizing.workersPerExecutor,
    taskCpus: plan.sizing.taskCpus,
    hostCores,
  });
  return checkForecast(predicted.seconds, measuredSeconds, plan.forecast.run.images);
}
