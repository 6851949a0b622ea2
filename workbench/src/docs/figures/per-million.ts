/**
 * Cost per million images on the `emr` profile.
 *
 * Stub until the forecast (issue 20 §3, workbench/src/forecast/) exports a function: from the featurize bench's
 * warm rate per core, the cores the plan's sizing runs tasks on, and the plan's EUR per hour. It counts
 * featurization time only; provisioning, bootstrap and teardown are a fixed cost per run, not per image, and a
 * vCPU (a hyperthread) is taken to featurize as fast as one local core, which no run on EMR has checked yet.
 */
import { deriveSparkSizing, WORKER_PEAK_RSS_MB_BY_ENGINE } from '../../emr/sizing.js';
import type { FigureSources } from '../sources.js';
import { BENCH_RESULTS } from '../sources.js';
import { count, eur, fixed, measured, sourceLine } from '../format.js';
import { describeCluster, estimateFor } from './cost.js';

const isEngine = (e: string): e is keyof typeof WORKER_PEAK_RSS_MB_BY_ENGINE => e in WORKER_PEAK_RSS_MB_BY_ENGINE;

export function costPerMillion(s: FigureSources): string {
  const f = s.bench('featurize');
  if (!f) return `Not computable in this clone yet: it needs \`${BENCH_RESULTS.featurize.file}\` (\`${BENCH_RESULTS.featurize.command}\`).`;
  const engine = f.default_engine;
  const warm = f.engines[engine]?.warm.images_per_s;
  if (warm === undefined || !isEngine(engine)) return `Not computable: \`${BENCH_RESULTS.featurize.file}\` has no warm rate for its default engine ${engine}.`;
  const p = s.emrProfile();
  const sizing = deriveSparkSizing({ instanceType: p.core.instanceType, coreNodes: p.core.count, workerPeakRssMb: WORKER_PEAK_RSS_MB_BY_ENGINE[engine] });
  const cores = sizing.executorInstances * sizing.executorCores;
  const perCore = warm / f.cores;
  const hours = 1e6 / (perCore * cores) / 3600;
  const e = estimateFor(p);
  return [
    `On the \`emr\` profile (${describeCluster(p)}, ${cores} executor cores, ${fixed(e.eurPerHour, 2)} EUR per hour), featurizing ` +
      `${count(1e6)} images with ${engine} at ${fixed(perCore, 1)} images/s per core (the featurize bench, ${measured(f)}) takes ` +
      `${fixed(hours * 60, 0)} min: **${eur(hours * e.eurPerHour)} per million images** of cluster time, before the fixed cost of each run ` +
      '(provisioning, bootstrap, teardown). Assumes an EMR vCPU featurizes as fast as a local core: not measured yet.',
    '',
    sourceLine(`\`${BENCH_RESULTS.featurize.file}\`, \`deriveSparkSizing\` and \`estimateCost\` on the \`emr\` profile (a stub until the forecast of issue 20 exists)`),
  ].join('\n');
}
