/**
 * `npm run local -- [--input DIR|URI] [--weights imagenet|PATH|random:SEED] [--profile local|cluster] [--keep]
 *                   [--run-id ID] [--dry-run]`
 *
 * Parses the flags, loads the config and hands over to run/local-run.ts, which does the run.
 */
import path from 'node:path';
import { isWeightsPath, resolveUserPath } from '../run/locations.js';
import { executeLocalRun, SYNTHETIC_SAMPLE } from '../run/local-run.js';
import type { CommandContext, CommandSpec } from './types.js';

interface LocalOptions {
  input?: string;
  weights?: string;
  keep?: boolean;
  runId?: string;
  dryRun?: boolean;
  backend?: string;
}

async function run(opts: LocalOptions, ctx: CommandContext): Promise<number> {
  const { out, signal } = ctx;
  // npm runs scripts from the package root; INIT_CWD is where the user typed the command.
  const cwd = ctx.env.INIT_CWD ?? process.cwd();
  const flagWeights = opts.weights !== undefined && isWeightsPath(opts.weights) ? path.resolve(cwd, opts.weights) : opts.weights;
  const cfg = ctx.loadConfig({
    input: opts.input !== undefined ? resolveUserPath(opts.input, cwd) : undefined,
    weights: flagWeights,
    backend: opts.backend,
  });
  const result = await executeLocalRun(cfg, ctx, {
    keep: Boolean(opts.keep),
    runId: opts.runId,
    dryRun: Boolean(opts.dryRun),
    inputSource: opts.input !== undefined ? '--input' : 'job.input',
    cwd,
  });
  for (const line of result?.summary ?? []) ctx.out.result(line);
  return 0;
}

export const command: CommandSpec = {
  name: 'local',
  description: 'set up, start the local stack (MinIO + Spark), run the job on a folder of images, download the results',
  configure(cmd) {
    cmd
      .option('--input <dir-or-uri>', `folder of images to upload, or an s3:// URI in the stack's bucket (default: job.input, ${SYNTHETIC_SAMPLE})`)
      .option('--weights <spec>', 'imagenet | PATH to a Keras weights file | random:SEED (default: job.weights, auto)')
      .option('--backend <backend>', 'stack backend: auto (docker when an engine answers, else native) | native | docker')
      .option('--keep', 'leave the stack running after the run (npm run stop stops it; the next run reuses it)')
      .option('--run-id <id>', 'name of the run (default: UTC time + random suffix); an existing runs/<id>/ is replaced')
      .option('--dry-run', 'set up and print the upload and spark-submit plans; start and upload nothing');
  },
  async run({ options }, ctx) {
    return run(options as LocalOptions, ctx);
  },
};
