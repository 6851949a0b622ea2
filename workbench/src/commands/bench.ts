/**
 * `npm run bench`: throughput figures, written to bench-results/<name>.json and printed. Benchmarks measure;
 * they never fail a build on a number (tests assert behaviour, not speed).
 *
 * - featurize: pipeline/bench/featurize_bench.py: bare Keras vs the job's featurization stage per engine vs the
 *   common notebook baseline, same images, cores and batch size, cold and warm (bench-results/featurize.json).
 *   It runs first, so that scale's goal compares with the same run's warm rate.
 * - end-to-end: the job's stages (manifest) against a single-process decode + Keras + numpy PCA script, at 390
 *   and 3,120 images (the shared sample and 8 copies of it), same run (bench-results/end-to-end.json).
 * - docker: per release (cfg.release, --release): the image size, the first Docker run without a project image,
 *   and the Docker job against the native one on the same input (bench/docker.ts, bench-results/docker.json);
 *   only when a Docker engine answers.
 * - scale (only when named: about half an hour): the local stack at 3,120, 24,960 and 99,840 images, memory
 *   peaks and the issue's goals (bench/scale.ts, bench-results/scale.json); --skip-largest stops at 24,960.
 * - profile (only when named; also after scale and featurize): bench-results/throughput-profile.json derived
 *   from scale.json and featurize.json (bench/profile-refresh.ts), what the promote forecast reads; never from a
 *   scale.json measured with --input-format packed (EMR reads images).
 * The whole-run benches read their input as job.inputFormat says (--input-format, WORKBENCH_INPUT_FORMAT).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { JobError } from '../errors.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { ensureSetup } from '../setup/index.js';
import { sharedSampleImagesDir } from '../setup/shared.js';
import { benchEndToEnd, replicatedSample } from '../bench/end-to-end.js';
import { benchDocker, formatDockerBench, writeDockerResult } from '../bench/docker.js';
import { packedScaleError, refreshThroughputProfile, scaleMeasuredPacked } from '../bench/profile-refresh.js';
import { benchScaleSize, formatGoal, formatScaleSize, machineInfo, SCALE_COPIES, scaleGoals, type ScaleSize } from '../bench/scale.js';
import { resolveWeights } from '../setup/weights.js';
import { dockerProbe } from '../stack/backend-select.js';
import { stampResult } from '../docs/machine.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'bench',
  description: 'run the benchmarks (featurization throughput); figures go to bench-results/*.json',
  configure(cmd) {
    cmd
      .option('--input <dir>', 'images to use (default: the shared Fruits-360 sample when present, else the generated sample)')
      .option('--batch-size <n>', 'model batch = the job\'s Arrow batch', '64')
      .option('--cores <n>', 'cores for every variant (default: all)')
      .option('--only <names>', 'comma-separated: featurize, end-to-end, docker, scale, profile (default: featurize, end-to-end, docker, those that can run)')
      .option('--input-format <format>', 'images | packed: how the end-to-end, docker and scale runs read their input (default: job.inputFormat)')
      .option('--skip-largest', 'scale: stop at 24,960 images (skip the 99,840-image run, about 25 minutes here)');
  },
  async run({ options }, ctx) {
    const cfg = ctx.loadConfig({ inputFormat: options.inputFormat as string | undefined });
    const tools = await ensureSetup(cfg, ctx.out, ctx.signal, ctx.env);
    const cwd = ctx.env.INIT_CWD ?? process.cwd();
    let input = options.input ? path.resolve(cwd, String(options.input)) : sharedSampleImagesDir(cfg.root, ctx.env);
    if (!options.input && !existsSync(input)) {
      ctx.out.info(`bench: the shared sample is absent (${input}); using the generated sample data`);
      await ensureSampleData(cfg, tools, ctx.out, ctx.signal);
      input = path.join(cfg.root, 'sample-data', 'fruits-synthetic');
    }
    const outDir = path.join(cfg.root, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const only = options.only ? new Set(String(options.only).split(',').map((s) => s.trim())) : undefined;
    // scale and profile run only when named: scale takes about half an hour.
    const wants = (name: string) => (only ? only.has(name) : !['scale', 'profile'].includes(name));
    // The model alone first: scale's goal compares its whole-command rate with this figure, so both come from the
    // same bench run when both are asked for.
    if (wants('featurize')) {
      const outFile = path.join(outDir, 'featurize.json');
      const args = [path.join(cfg.root, 'pipeline', 'bench', 'featurize_bench.py'), '--input', input, '--out', outFile, '--batch-size', String(options.batchSize)];
      if (options.cores) args.push('--cores', String(options.cores));
      ctx.out.info(`bench: featurization on ${input} (this takes a few minutes)`);
      const res = await execa(tools.python, args, {
        cancelSignal: ctx.signal,
        reject: false,
        stdout: 'inherit',
        stderr: 'inherit',
        env: { JAVA_HOME: tools.javaHome, PYSPARK_PYTHON: tools.python },
      });
      if (res.exitCode !== 0) throw new JobError(`the featurization benchmark failed (exit ${res.exitCode})`, 'see its output above');
      stampResult(outFile);
      ctx.out.result(`bench: figures written to ${path.relative(cwd, outFile) || outFile}`);
      ctx.out.result(readFileSync(outFile, 'utf8').trim());
    }
    if (wants('end-to-end') || wants('docker') || wants('scale')) {
      const weights = await resolveWeights(cfg, tools, ctx.out, ctx.signal, ctx.env);
      const weightsFile = weights.weights.kind === 'file' ? weights.weights.path : undefined;
      if (!weightsFile) {
        ctx.out.warn(`bench: end-to-end and docker need a weights file (got ${weights.description}); skipped`);
      } else {
        if (wants('end-to-end')) {
          const sizes = [input, await replicatedSample(cfg.root, tools, input, 8, ctx.env, ctx.signal)];
          const results = [];
          for (const dir of sizes) {
            ctx.out.info(`bench: end to end on ${dir}`);
            results.push(await benchEndToEnd(cfg, ctx, tools, { input: dir, weightsFile }));
          }
          const ratios = Object.fromEntries(results.map((r) => [String(r.images), Number((r.bare.total_s / r.job.total_s).toFixed(3))]));
          const file = path.join(outDir, 'end-to-end.json');
          writeFileSync(file, `${JSON.stringify({ measured_at: new Date().toISOString(), sizes: results, ratios: { job_vs_bare_keras: ratios } }, null, 2)}\n`);
          stampResult(file); // the machine it was measured on: the docs cite it (npm run docs)
          ctx.out.result(`bench: end to end, job vs bare Keras script (> 1: the job is faster): ${Object.entries(ratios).map(([n, r]) => `${n} images ${r}x`).join(', ')} -> ${path.relative(cwd, file)}`);
        }
        if (wants('docker') && (await dockerProbe(ctx.env)()).ok) {
          ctx.out.info(`bench: docker, release ${cfg.release.label} (--release picks another)`);
          const entry = await benchDocker(cfg, ctx, { input, weightsFile });
          const file = path.join(outDir, 'docker.json');
          writeDockerResult(file, entry);
          for (const line of formatDockerBench(entry)) ctx.out.result(line);
          ctx.out.result(`bench: docker figures -> ${path.relative(cwd, file)}`);
        }
        if (wants('scale')) {
          const copies = options.skipLargest ? SCALE_COPIES.slice(0, -1) : [...SCALE_COPIES];
          const sizes: ScaleSize[] = [];
          for (const c of copies) {
            const dir = await replicatedSample(cfg.root, tools, input, c, ctx.env, ctx.signal);
            ctx.out.info(`bench: scale, ${c} copies of the sample (${dir})`);
            const size = await benchScaleSize(cfg, ctx, { input: dir, copies: c, weightsFile });
            sizes.push(size);
            ctx.out.result(`bench: scale, ${formatScaleSize(size)}`);
          }
          const featurizeFile = path.join(outDir, 'featurize.json');
          const engine = sizes[0]?.engine ?? cfg.job.engine;
          const featurizeWarm = existsSync(featurizeFile)
            ? ((JSON.parse(readFileSync(featurizeFile, 'utf8')) as { engines?: Record<string, { warm?: { images_per_s?: number } }> }).engines?.[engine]?.warm?.images_per_s ?? null)
            : null;
          const goals = scaleGoals(sizes, featurizeWarm);
          const file = path.join(outDir, 'scale.json');
          const result = {
            measured_at: new Date().toISOString(),
            machine: machineInfo(),
            load_average: os.loadavg().map((x) => Number(x.toFixed(2))),
            skipped_largest: Boolean(options.skipLargest),
            featurize_warm_images_per_s: featurizeWarm,
            featurize_warm_basis: featurizeWarm === null ? 'bench-results/featurize.json absent: run npm run bench -- --only featurize' : `bench-results/featurize.json engines.${engine}.warm`,
            sizes,
            goals,
          };
          writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
          for (const g of goals) ctx.out.result(`bench: goal, ${formatGoal(g)}`);
          ctx.out.result(`bench: scale figures -> ${path.relative(cwd, file)}`);
        }
      }
    }
    if (wants('scale') || wants('profile') || (wants('featurize') && existsSync(path.join(outDir, 'scale.json')))) {
      // A packed scale run measures the local stack only: the EMR forecast's profile keeps its images figures.
      if (!wants('profile') && scaleMeasuredPacked(cfg.root)) ctx.out.warn(`bench: throughput profile not refreshed: ${packedScaleError().problems[0]!.message}`);
      else await refreshProfile(cfg.root, ctx, cwd);
    }
    return 0;
  },
};

async function refreshProfile(root: string, ctx: Parameters<CommandSpec['run']>[1], cwd: string): Promise<void> {
  const { file, profile } = await refreshThroughputProfile(root);
  const rates = Object.entries(profile.engines).map(([e, r]) => `${e} ${r.imagesPerSecondPerCore} images/s per core`).join(', ');
  ctx.out.result(`bench: throughput profile (${profile.machine.cpuModel}, ${profile.machine.cores} cores): ${rates}; fixed ${profile.fixedSeconds} s -> ${path.relative(cwd, file)}`);
}
