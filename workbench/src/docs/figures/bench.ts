/** Figure blocks from the committed bench results (bench-results/*.json). */
import { BENCH_RESULTS, type BenchName, type FigureSources } from '../sources.js';
import { count, fixed, measured, ratio, sourceLine, table } from '../format.js';

const notMeasured = (name: BenchName) =>
  `Not measured in this clone yet: \`${BENCH_RESULTS[name].command}\` writes \`${BENCH_RESULTS[name].file}\`; commit it, then run \`npm run docs\`.`;

/** The job's stages against the single-process script, at each size of the end-to-end bench. */
export function endToEnd(s: FigureSources): string {
  const r = s.bench('end-to-end');
  if (!r) return notMeasured('end-to-end');
  const stageNames: string[] = [];
  for (const size of r.sizes) for (const k of [...Object.keys(size.job.stages_s), ...Object.keys(size.bare.stages_s)]) if (!stageNames.includes(k)) stageNames.push(k);
  const header = ['seconds', ...r.sizes.flatMap((z) => [`job, ${count(z.images)} images (model cache ${z.job.model_cache})`, `script, ${count(z.images)} images`])];
  const cell = (v: number | undefined) => (v === undefined ? '-' : fixed(v, 1));
  const rows = stageNames.map((st) => [st, ...r.sizes.flatMap((z) => [cell(z.job.stages_s[st]), cell(z.bare.stages_s[st])])]);
  rows.push(['**total**', ...r.sizes.flatMap((z) => [`**${fixed(z.job.total_s, 1)}**`, `**${fixed(z.bare.total_s, 1)}**`])]);
  rows.push(['whole command (stack, upload, job, download)', ...r.sizes.flatMap((z) => [fixed(z.job.command_s, 1), '-'])]);
  const engines = [...new Set(r.sizes.map((z) => z.job.engine))].join(', ');
  const ratios = r.sizes
    .map((z) => {
      const x = r.ratios.job_vs_bare_keras[String(z.images)] ?? z.bare.total_s / z.job.total_s;
      return `at ${count(z.images)} images the job runs at **${ratio(x)}** the script (${fixed(z.job.total_s, 1)} s against ${fixed(z.bare.total_s, 1)} s)`;
    })
    .join('; ');
  return [
    `The job through the workbench's local stack (MinIO + S3A, Spark \`local[*]\`, engine ${engines}; a converted-model cache miss means the run converted the model itself) against`,
    '`pipeline/bench/bare_script.py` (one process: decode, Keras, numpy PCA), same images, same run,',
    `${measured(r)}:`,
    '',
    table(header, rows),
    '',
    `Job against script (> 1: the job is faster): ${ratios}.`,
    '',
    sourceLine(`\`${BENCH_RESULTS['end-to-end'].file}\``),
  ].join('\n');
}

/** Featurization throughput per engine against bare Keras, from the featurize bench. */
export function featurize(s: FigureSources): string {
  const r = s.bench('featurize');
  if (!r) return notMeasured('featurize');
  const rows = [['bare Keras `model.predict`', fixed(r.results.bare_keras.images_per_s, 1), '-', '1x', '1']];
  for (const [name, e] of Object.entries(r.engines)) {
    rows.push([
      name === r.default_engine ? `job, **${name}** (default)` : `job, ${name}`,
      fixed(e.warm.images_per_s, 1),
      fixed(e.cold.images_per_s, 1),
      ratio(e.ratio_vs_bare_keras),
      String(e.min_cosine),
    ]);
  }
  const nb = r.results.notebook_baseline;
  if (nb) rows.push(['the usual notebook pattern (model rebuilt per iterator)', fixed(nb.warm.images_per_s, 1), '-', ratio(nb.warm.images_per_s / r.results.bare_keras.images_per_s), '-']);
  return [
    `Featurization of ${count(r.images)} images on ${r.cores} cores, batch ${r.batch_size}, ${measured(r)}. Warm ratios are the median over`,
    'interleaved rounds of (engine pass / bare Keras pass of the same round); cold includes model set-up.',
    '',
    table(['variant', 'images/s, warm', 'images/s, cold', 'vs bare Keras', 'min cosine vs Keras'], rows),
    '',
    `Fastest engine whose features match Keras (min cosine >= ${r.cosine_min}): ${r.fastest_parity_safe_engine ?? 'none'}; the default is ${r.default_engine}` +
      (r.ratios.job_vs_baseline !== undefined ? `; the job is ${ratio(r.ratios.job_vs_baseline)} the notebook pattern.` : '.'),
    '',
    sourceLine(`\`${BENCH_RESULTS.featurize.file}\``),
  ].join('\n');
}

/** The scale bench: the whole command and the job step per input size, the processes' peak memory, the issue's goals. */
/** The input layouts the scale runs recorded; none in results from before input_format was recorded (all images). */
function scaleFormats(sizes: { input_format?: string }[]): string[] {
  return [...new Set(sizes.map((z) => z.input_format).filter((f): f is string => f !== undefined))];
}

/** How the scale figures say which input layout the runs read (job.inputFormat). */
function formatShown(format: string): string {
  return format === 'packed' ? 'packed into Parquet files on the host (`job.inputFormat: packed`)' : 'one object per image (`job.inputFormat: images`)';
}

export function scale(s: FigureSources): string {
  const r = s.bench('scale');
  if (!r) return notMeasured('scale');
  const mb = (x: number | null) => (x === null ? '-' : String(x));
  const rows = r.sizes.map((z) => [
    z.model_cache ? `${count(z.images)} (model cache ${z.model_cache})` : count(z.images),
    `${fixed(z.command_s, 1)} (${fixed(z.command_images_per_s, 1)})`,
    `${fixed(z.job_step_s, 1)} (${fixed(z.job_images_per_s, 1)})`,
    z.tasks === null ? '-' : String(z.tasks),
    `${count(z.counts.featurized)} + ${count(z.counts.errors)} errors`,
    mb(z.memory.driver_jvm_mb),
    mb(z.memory.driver_python_mb),
    mb(z.memory.executor_mb),
    mb(z.memory.python_worker_mb),
  ]);
  // CPU per image by role: what the job's processes, MinIO and the workbench cost, next to the machine's total.
  const withCpu = r.sizes.filter((z) => z.cpu);
  // The roles in the order the bench writes them (bench/process-peaks.ts CPU_ROLES), each once.
  const roles = [...new Set(withCpu.flatMap((z) => Object.keys(z.cpu!.core_ms_per_image)))];
  const cpuRows = withCpu.map((z) => {
    const c = z.cpu!;
    return [
      count(z.images),
      ...roles.map((role) => (c.core_ms_per_image[role] === undefined ? '-' : fixed(c.core_ms_per_image[role]!, 2))),
      fixed((c.machine_busy_s * 1000) / z.images, 2),
      `${fixed((100 * c.machine_busy_s) / c.capacity_s, 0)}%`,
    ];
  });
  const cpu =
    cpuRows.length > 0
      ? [
          '',
          'Where the CPU went over the whole command, in core-milliseconds per image (CPU seconds per process role from /proc, sampled every 0.5 s; the machine column counts every process on it):',
          '',
          table(['images', ...roles, 'machine', 'machine busy'], cpuRows),
        ]
      : [];
  const formats = scaleFormats(r.sizes);
  const goals = r.goals.map((g) => `- ${g.what}: ${g.value === null ? 'not measured in this run' : `${ratio(g.value)}, ${g.met ? 'met' : '**not met**'}`} (goal ${g.kind === 'min' ? 'at least' : 'at most'} ${g.threshold})`);
  return [
    `The local stack (\`npm run local\`, MinIO + S3A, Spark \`local[*]\`, engine ${[...new Set(r.sizes.map((z) => z.engine))].join(', ')}${formats.length > 0 ? `, input ${formats.map(formatShown).join(' and ')}` : ''}) on the shared sample replicated with distinct keys, ${measured(r)}:`,
    '',
    table(['images', 'whole command, s (images/s)', 'job step, s (images/s)', 'tasks', 'featurized', 'driver JVM, MiB', 'driver Python, MiB', 'executor, MiB', 'one Python worker, MiB'], rows),
    ...cpu,
    '',
    'Goals (issue 20), same run:',
    ...goals,
    '',
    sourceLine(`\`${BENCH_RESULTS.scale.file}\``),
  ].join('\n');
}

/** The README's headline figures: one line per bench, each with its date. */
export function benchSummary(s: FigureSources): string {
  const lines: string[] = [];
  const f = s.bench('featurize');
  lines.push(
    f
      ? `- Featurization: the default engine (${f.default_engine}) at ${fixed(f.engines[f.default_engine]?.warm.images_per_s ?? NaN, 1)} images/s warm on ${f.cores} cores, ${ratio(f.ratios.job_vs_bare_keras)} bare Keras (${measured(f)}).`
      : `- Featurization: ${notMeasured('featurize')}`,
  );
  const e = s.bench('end-to-end');
  lines.push(
    e
      ? `- End to end, job against the single-process script (> 1: the job is faster): ${e.sizes.map((z) => `${ratio(e.ratios.job_vs_bare_keras[String(z.images)] ?? z.bare.total_s / z.job.total_s)} at ${count(z.images)} images`).join(', ')} (${measured(e)}).`
      : `- End to end: ${notMeasured('end-to-end')}`,
  );
  const sc = s.bench('scale');
  lines.push(
    sc
      ? `- Scale, whole command on the local stack${scaleFormats(sc.sizes).length > 0 ? `, input ${scaleFormats(sc.sizes).map(formatShown).join(' and ')}` : ''}: ${sc.sizes.map((z) => `${fixed(z.command_images_per_s, 1)} images/s at ${count(z.images)} images`).join(', ')} (${measured(sc)}).`
      : `- Scale: ${notMeasured('scale')}`,
  );
  const d = s.bench('docker');
  lines.push(
    d
      ? `- Docker backend: job ${fixed(d.docker.total_s, 1)} s against ${fixed(d.native.total_s, 1)} s native on ${count(d.images)} images, native / Docker time ${ratio(d.ratios.native_vs_docker)} (${measured(d)}).`
      : `- Docker backend: ${notMeasured('docker')}`,
  );
  return [...lines, '', sourceLine('`bench-results/*.json`')].join('\n');
}
