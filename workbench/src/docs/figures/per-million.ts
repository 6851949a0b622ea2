/**
 * Cost per million images on the `emr` profile, from the plan's own forecast (emr/plan.ts `emrForecaster`, over
 * forecast/emr.ts and the committed throughput profile), for the sizes `--dry-run` tabulates.
 *
 * Without a committed throughput profile, a fallback says what it can from the featurize bench: featurization
 * time alone at the bench's warm rate per core, priced at the plan's EUR per hour, and says that it is that.
 */
import { emrForecaster } from '../../emr/plan.js';
import { deriveSparkSizing, WORKER_PEAK_RSS_MB_BY_ENGINE } from '../../emr/sizing.js';
import { VCPU_DERATE } from '../../forecast/assumptions.js';
import { EMR_PHASE_MINUTES, type EmrForecast } from '../../forecast/emr.js';
import { THROUGHPUT_PROFILE_FILE } from '../../forecast/profile.js';
import { TABLE_SIZES } from '../../forecast/table.js';
import type { FigureSources } from '../sources.js';
import { BENCH_RESULTS } from '../sources.js';
import { count, date, eur, fixed, measured, sourceLine, table } from '../format.js';
import { coreNodesOf, describeCluster, estimateFor } from './cost.js';

const perMillion = (f: EmrForecast) => (f.totalEur / f.images) * 1e6;

export function costPerMillion(s: FigureSources): string {
  const throughput = s.throughput();
  if (!throughput) return featurizeOnly(s);
  const p = s.emrProfile();
  const engine = s.engine();
  const nodes = coreNodesOf(p);
  // As a local folder's run: the upload's PUTs come out beside each row (not in its total).
  const forecast = emrForecaster(p, throughput, engine, WORKER_PEAK_RSS_MB_BY_ENGINE[engine], undefined, true);
  const rows = TABLE_SIZES.map((n) => forecast(nodes, n));
  const million = rows.find((f) => f.images === 1_000_000) ?? forecast(nodes, 1_000_000);
  const m = (x: number) => fixed(x, x < 10 ? 1 : 0);
  return [
    `Forecast on the \`emr\` profile (${describeCluster(p)}, engine ${engine}, ${fixed(million.eurPerHour, 2)} EUR per hour): ` +
      `**${eur(perMillion(million))} per million images** for a run of ${count(1e6)} images (${m(million.totalMinutes)} min from provisioning to teardown).`,
    '',
    table(
      ['images', 'provisioning + bootstrap, min', 'step, min (tasks)', 'teardown, min', 'total, min', 'EUR', 'of it S3 requests, EUR', 'EUR per million images'],
      rows.map((f) => [
        count(f.images),
        m(f.phases.provisioning.minutes + f.phases.bootstrap.minutes),
        `${m(f.phases.step.minutes)} (${count(f.step.tasks)})`,
        m(f.phases.teardown.minutes),
        m(f.totalMinutes),
        fixed(f.totalEur, 2),
        fixed(f.requests.scanEur, 2),
        fixed(perMillion(f), 2),
      ]),
    ),
    '',
    `Assumptions, each stated once in the code: an EMR vCPU runs at ${VCPU_DERATE} of a core of the machine the throughput profile was ` +
      `measured on (${throughput.machine.cores} cores of ${throughput.machine.cpuModel}, ${date(throughput.measuredAt)}; \`forecast/assumptions.ts\`); ` +
      `provisioning ${EMR_PHASE_MINUTES.provisioning}, bootstrap ${EMR_PHASE_MINUTES.bootstrap} and teardown ${EMR_PHASE_MINUTES.teardown} min whatever the input ` +
      `(\`forecast/emr.ts\`); ${million.assumptions.scanS3RequestsPerImage} S3 requests per image read (2 HEAD + 1 GET, counted by ` +
      '`pipeline/bench/s3a_probe.py`), at S3\'s price per 1,000 requests in the region (`emr/prices.ts`). Uploading a local folder adds ' +
      `one PUT per image, once, not in the table: ${eur(million.requests.uploadEur)} per million images. ` +
      'A real `npm run promote -- --yes` records predicted and actual phase times side by side.',
    '',
    sourceLine(`\`emrForecaster\` (the plan's forecast) on the \`emr\` profile and \`${THROUGHPUT_PROFILE_FILE}\``),
  ].join('\n');
}

/** Without a throughput profile: featurization time alone, from the featurize bench, priced at the plan's rate. */
function featurizeOnly(s: FigureSources): string {
  const f = s.bench('featurize');
  if (!f) return `Not computable in this clone yet: it needs \`${THROUGHPUT_PROFILE_FILE}\` (\`npm run bench -- --only scale\`) or \`${BENCH_RESULTS.featurize.file}\`.`;
  const engine = f.default_engine as keyof typeof WORKER_PEAK_RSS_MB_BY_ENGINE;
  const warm = f.engines[engine]?.warm.images_per_s;
  if (warm === undefined || !(engine in WORKER_PEAK_RSS_MB_BY_ENGINE)) return `Not computable: \`${BENCH_RESULTS.featurize.file}\` has no warm rate for its default engine ${engine}.`;
  const p = s.emrProfile();
  const sizing = deriveSparkSizing({ instanceType: p.core.instanceType, coreNodes: coreNodesOf(p), workerPeakRssMb: WORKER_PEAK_RSS_MB_BY_ENGINE[engine] });
  const cores = sizing.executorInstances * sizing.executorCores;
  const perCore = warm / f.cores;
  const hours = 1e6 / (perCore * cores) / 3600;
  const e = estimateFor(p);
  return [
    `No throughput profile is committed (\`${THROUGHPUT_PROFILE_FILE}\`), so this is featurization alone: on the \`emr\` profile ` +
      `(${describeCluster(p)}, ${cores} executor cores, ${fixed(e.eurPerHour, 2)} EUR per hour), ${count(1e6)} images with ${engine} at ` +
      `${fixed(perCore, 1)} images/s per core (the featurize bench, ${measured(f)}) take ${fixed(hours * 60, 0)} min: **${eur(hours * e.eurPerHour)} ` +
      'per million images** of cluster time, before the fixed cost of each run, and assuming an EMR vCPU as fast as a local core.',
    '',
    sourceLine(`\`${BENCH_RESULTS.featurize.file}\`, \`deriveSparkSizing\` and \`estimateCost\` on the \`emr\` profile`),
  ].join('\n');
}
