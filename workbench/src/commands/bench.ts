/**
 * `npm run bench`: throughput figures, written to bench-results/<name>.json and printed. Benchmarks measure;
 * they never fail a build on a number (tests assert behaviour, not speed).
 *
 * - featurize: pipeline/bench/featurize_bench.py: bare Keras vs the job's featurization stage vs the common
 *   notebook baseline, same images, cores and batch size (goal: the job at >= 0.9x bare Keras).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { JobError } from '../errors.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { ensureSetup } from '../setup/index.js';
import { sharedSampleImagesDir } from '../setup/shared.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'bench',
  description: 'run the benchmarks (featurization throughput); figures go to bench-results/*.json',
  configure(cmd) {
    cmd
      .option('--input <dir>', 'images to use (default: the shared Fruits-360 sample when present, else the generated sample)')
      .option('--batch-size <n>', 'model batch = the job\'s Arrow batch', '64')
      .option('--cores <n>', 'cores for every variant (default: all)');
  },
  async run({ options }, ctx) {
    const cfg = ctx.loadConfig();
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
    ctx.out.result(`bench: figures written to ${path.relative(cwd, outFile) || outFile}`);
    ctx.out.result(readFileSync(outFile, 'utf8').trim());
    return 0;
  },
};
