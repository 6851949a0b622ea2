/**
 * The job step's forecast, target-agnostic and pure: how long the job takes on `slots` concurrent tasks of
 * `taskCpus` cores each, from the throughput profile. A target (EMR on EC2, the rehearsal's YARN, Serverless)
 * supplies the slots, the cores' speed against the profile's machine and its own start-up.
 *
 *   tasks   = max(slots, ceil(images / imagesPerTask)), at most one per image (the job sizes tasks by work)
 *   waves   = ceil(tasks / slots)
 *   seconds = (fixedSeconds + startupSeconds + waves x (images / tasks) / (rate x taskCpus) x contention) / coreSpeed
 *   contention = max(1, slots x taskCpus / sharedCores), 1 unless the slots share fewer real cores
 */
import { engineRate, type Engine, type ThroughputProfile } from './profile.js';

export interface StepForecastInput {
  profile: ThroughputProfile;
  images: number;
  engine: Engine;
  /** Concurrent tasks across all executors (executor cores / spark.task.cpus, summed). */
  slots: number;
  /** Cores each task uses (spark.task.cpus: the engine's threads). */
  taskCpus: number;
  /** One of the target's cores against one core of the profile's machine: 1 there, VCPU_DERATE on a cloud vCPU. */
  coreSpeed: number;
  imagesPerTask: number;
  /** What the target adds before the first task on the profile's machine (e.g. YARN containers); 0 for none. */
  startupSeconds?: number;
  /**
   * Cores the slots really share, when fewer than slots x taskCpus (the rehearsal's YARN node declares the
   * planned node's vcores on a smaller host): the concurrent tasks then run proportionally slower.
   */
  sharedCores?: number;
}

export interface StepForecast {
  seconds: number;
  fixedSeconds: number;
  workSeconds: number;
  tasks: number;
  waves: number;
  /** images / seconds. */
  imagesPerSecond: number;
  /** The profile's marginal rate per core used. */
  ratePerCore: number;
}

export function forecastStep(i: StepForecastInput): StepForecast {
  if (!Number.isInteger(i.images) || i.images < 0) throw new Error(`forecastStep: images must be a whole number >= 0, not ${i.images}`);
  if (!(i.slots >= 1) || !(i.taskCpus >= 1) || !(i.coreSpeed > 0) || !(i.imagesPerTask >= 1)) throw new Error('forecastStep: slots, taskCpus and imagesPerTask must be >= 1, coreSpeed > 0');
  const rate = engineRate(i.profile, i.engine).imagesPerSecondPerCore;
  const tasks = i.images === 0 ? 0 : Math.min(i.images, Math.max(i.slots, Math.ceil(i.images / i.imagesPerTask)));
  const waves = Math.ceil(tasks / i.slots);
  const perTaskSeconds = tasks === 0 ? 0 : i.images / tasks / (rate * i.taskCpus);
  const fixedSeconds = (i.profile.fixedSeconds + (i.startupSeconds ?? 0)) / i.coreSpeed;
  const contention = i.sharedCores ? Math.max(1, (i.slots * i.taskCpus) / i.sharedCores) : 1;
  const workSeconds = (waves * perTaskSeconds * contention) / i.coreSpeed;
  const seconds = fixedSeconds + workSeconds;
  return {
    seconds: round(seconds, 1),
    fixedSeconds: round(fixedSeconds, 1),
    workSeconds: round(workSeconds, 1),
    tasks,
    waves,
    imagesPerSecond: round(seconds > 0 ? i.images / seconds : 0, 2),
    ratePerCore: rate,
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
