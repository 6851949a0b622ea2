/**
 * `npm run local -- [--input DIR|URI] [--weights auto|imagenet|PATH|random:SEED] [--profile local|cluster]
 *                   [--backend auto|native|docker] [--input-format images|packed] [--keep] [--run-id ID] [--dry-run]`
 *
 * Parses the flags, loads the config and runs the local-stack target (targets/local-stack.ts).
 */
import { resolveFlagPath } from '../config/specs.js';
import { localStackTarget, SYNTHETIC_SAMPLE } from '../targets/local-stack.js';
import type { CommandSpec } from './types.js';

interface LocalOptions {
  input?: string;
  weights?: string;
  keep?: boolean;
  runId?: string;
  dryRun?: boolean;
  backend?: string;
  engine?: string;
  inputFormat?: string;
}

export const command: CommandSpec = {
  name: 'local',
  description: 'set up, start the local stack (MinIO + Spark), run the job on a folder of images, download the results',
  configure(cmd) {
    cmd
      .option('--input <dir-or-uri>', `folder of images to upload, or an s3:// URI in the stack's bucket (default: job.input, ${SYNTHETIC_SAMPLE})`)
      .option('--weights <spec>', 'auto | imagenet | PATH to a Keras weights file | random:SEED (default: job.weights, auto)')
      .option('--engine <engine>', 'keras | openvino | onnxruntime: who runs the model on the executors (default: job.engine)')
      .option('--input-format <format>', 'images | packed: packed packs a local input folder into Parquet files first, read by the job in a few objects (default: job.inputFormat, images)')
      .option('--backend <backend>', 'stack backend: auto (docker when an engine answers, else native) | native | docker')
      .option('--keep', 'leave the stack running after the run (npm run stop stops it; the next run reuses it)')
      .option('--run-id <id>', 'name of the run (default: UTC time + random suffix); an existing runs/<id>/ is replaced')
      .option('--dry-run', 'set up and print the upload and spark-submit plans; start and upload nothing');
  },
  async run({ options }, ctx) {
    const o = options as LocalOptions;
    // npm runs scripts from the package root; INIT_CWD is where the user typed the command.
    const cwd = ctx.env.INIT_CWD ?? process.cwd();
    const cfg = ctx.loadConfig({
      input: o.input !== undefined ? resolveFlagPath(o.input, cwd) : undefined,
      weights: o.weights !== undefined ? resolveFlagPath(o.weights, cwd) : undefined,
      backend: o.backend,
      engine: o.engine,
      inputFormat: o.inputFormat,
    });
    const target = localStackTarget(cfg, ctx, { keep: Boolean(o.keep), runId: o.runId, inputSource: o.input !== undefined ? '--input' : 'job.input', cwd });
    const plan = await target.plan();
    if (o.dryRun) {
      for (const line of target.describe(plan)) ctx.out.result(line);
      return 0;
    }
    const outcome = await target.execute(plan);
    for (const line of outcome.summary) ctx.out.result(line);
    return 0;
  },
};
