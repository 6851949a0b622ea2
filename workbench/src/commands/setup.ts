/**
 * `npm run setup`: installs (or finds cached) everything a run needs outside the repo, generates the sample
 * data and tells which weights a run would use. `--print-python` prints only the venv python's path on
 * stdout (the Makefile runs pytest with it); progress still goes to stderr. `--data` (make data) downloads the
 * real Fruits-360 dataset and extracts a subset into sample-data/fruits-360. `--browser` also installs Chromium
 * (Debian's package), which the report's browser test and the slides' PDF need.
 */
import { ensureChromium } from '../setup/chromium.js';
import { ensureSetup } from '../setup/index.js';
import { downloadRealDataset } from '../setup/real-dataset.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { resolveWeights } from '../setup/weights.js';
import { InvalidArgumentError } from 'commander';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'setup',
  description: 'install the python venv, the s3a jars and MinIO (cached outside the repo), and generate the sample data',
  configure(cmd) {
    cmd
      .option('--print-python', 'print only the path of the venv python on stdout')
      .option('--data', 'download the real Fruits-360 dataset (online) and extract a subset into sample-data/fruits-360')
      .option('--per-class <n>', 'with --data: images per class', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
        return n;
      })
      .option('--zip <file>', 'with --data: use this fruits.zip instead of downloading it')
      .option('--browser', "also install Chromium (the report's browser test, the slides' PDF)");
  },
  async run({ options }, ctx) {
    const cfg = ctx.loadConfig();
    const tools = await ensureSetup(cfg, ctx.out, ctx.signal, ctx.env);
    if (options.browser) await ensureChromium({ out: ctx.out, signal: ctx.signal, env: ctx.env });
    if (options.printPython) {
      ctx.out.result(tools.python);
      return 0;
    }
    if (options.data) {
      const dir = await downloadRealDataset(cfg, tools, ctx.out, ctx.signal, {
        perClass: options.perClass as number | undefined,
        zip: options.zip as string | undefined,
      });
      ctx.out.result(`real dataset subset in ${dir} (run on it: npm run local -- --input ${dir})`);
      return 0;
    }
    const data = await ensureSampleData(cfg, tools, ctx.out, ctx.signal);
    const weights = await resolveWeights(cfg, tools, ctx.out, ctx.signal, ctx.env);
    ctx.out.result(`set-up complete (cache: ${cfg.cacheDir})`);
    ctx.out.result(`  python:      ${tools.python}`);
    ctx.out.result(`  spark:       ${tools.sparkHome}`);
    ctx.out.result(`  s3a jars:    ${tools.s3aJars.join(', ')}`);
    ctx.out.result(`  minio:       ${tools.minio}`);
    ctx.out.result(`  java:        ${tools.javaHome}`);
    ctx.out.result(`  sample data: ${data}`);
    ctx.out.result(`  weights:     ${weights.description}`);
    return 0;
  },
};
