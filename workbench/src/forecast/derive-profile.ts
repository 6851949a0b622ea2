/**
 * Derives the throughput profile from bench results. Pure: figures in, profile out.
 *
 * - The scale bench (bench-results/scale.json) gives, for the default engine, the job step's wall time (the
 *   spark-submit the workbench ran, JVM start to exit) at several input sizes on this machine's cores. A
 *   least-squares line through (images, seconds) gives the per-image cost (slope) and the fixed cost
 *   (intercept, never below 0): rate per core = 1 / (slope x cores).
 * - The featurize bench (bench-results/featurize.json, optional) gives every engine's featurization rate in the
 *   job's own scan shape. Another engine's whole-job cost per image is the default engine's, with the
 *   featurization part swapped: 1/r_e = 1/r_default + cores/f_e - cores/f_default (f: warm images/s at `cores`).
 *   Everything else the job does per image (S3, decode, moments, writes) does not depend on the engine.
 */
import { ENGINES } from '../config/schema.js';
import { THROUGHPUT_PROFILE_FORMAT, type Engine, type EngineRate, type ThroughputProfile } from './profile.js';

/** The parts of bench-results/scale.json the profile reads. */
export interface ScaleFigures {
  measured_at: string;
  machine: { cpu_model: string; cores: number };
  sizes: { images: number; engine: string; job_step_s: number }[];
}

/** The parts of bench-results/featurize.json the profile reads. */
export interface FeaturizeFigures {
  measured_at?: string;
  cores: number;
  engines: Record<string, { warm: { images_per_s: number } }>;
}

export interface LinearFit {
  /** Seconds per image. */
  slope: number;
  /** Seconds at zero images. */
  intercept: number;
}

/** Ordinary least squares of y on x; needs two distinct x. */
export function fitLine(points: { x: number; y: number }[]): LinearFit {
  const xs = new Set(points.map((p) => p.x));
  if (xs.size < 2) throw new Error('fitLine: at least two distinct input sizes are needed');
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function deriveThroughputProfile(a: { scale: ScaleFigures; featurize?: FeaturizeFigures; sources: string[] }): ThroughputProfile {
  const { scale } = a;
  const engines = new Set(scale.sizes.map((s) => s.engine));
  if (engines.size !== 1) throw new Error(`deriveThroughputProfile: the scale bench must use one engine, found ${[...engines].join(', ')}`);
  const measured = [...engines][0] as Engine;
  if (!(ENGINES as readonly string[]).includes(measured)) throw new Error(`deriveThroughputProfile: unknown engine ${measured}`);
  const fit = fitLine(scale.sizes.map((s) => ({ x: s.images, y: s.job_step_s })));
  if (!(fit.slope > 0)) throw new Error(`deriveThroughputProfile: the job's time does not grow with the input (slope ${fit.slope}); re-run the scale bench`);
  const cores = scale.machine.cores;
  const perCore = 1 / (fit.slope * cores);
  const sizes = scale.sizes.map((s) => s.images.toLocaleString('en-US')).join(', ');
  const out: Partial<Record<Engine, EngineRate>> = {
    [measured]: {
      imagesPerSecondPerCore: round(perCore, 3),
      basis: `scale bench: least-squares slope of the job step's wall time over ${sizes} images on ${cores} cores`,
    },
  };
  const f = a.featurize;
  const fBase = f?.engines[measured]?.warm.images_per_s;
  if (f && fBase) {
    for (const e of ENGINES) {
      const fe = f.engines[e]?.warm.images_per_s;
      if (e === measured || !fe) continue;
      const secondsPerImageCore = 1 / perCore + f.cores / fe - f.cores / fBase;
      if (secondsPerImageCore <= 0) continue;
      out[e] = {
        imagesPerSecondPerCore: round(1 / secondsPerImageCore, 3),
        basis: `${measured}'s whole-job rate with the featurization swapped (featurize bench warm: ${e} ${fe} vs ${measured} ${fBase} images/s on ${f.cores} cores)`,
      };
    }
  }
  return {
    format: THROUGHPUT_PROFILE_FORMAT,
    measuredAt: scale.measured_at,
    machine: { cpuModel: scale.machine.cpu_model, cores },
    sources: a.sources,
    fixedSeconds: round(Math.max(0, fit.intercept), 1),
    engines: out,
  };
}
