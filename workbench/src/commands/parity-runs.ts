/**
 * The real implementations behind `npm run parity` (tests inject fakes through ParityDeps). They belong to the
 * command, not to parity/: parity compares outputs and knows nothing of how runs are made.
 * - produceRun: one run of `npm run local` on the given profile, with its own stack, stopped before the next
 *   run starts (the cluster run must not find the local run's stack still owned by this command);
 * - s3ClientFor: AWS (default credential chain) for the emr profile; the kept local stack's MinIO otherwise.
 */
import { ResourceStack } from '../lifecycle.js';
import { RunOutputError } from '../outputs/run-output-error.js';
import { keptStackS3 } from '../stack/index.js';
import { createS3Client } from '../storage/s3-client.js';
import { runOnLocalStack } from '../targets/local-stack.js';
import type { ParityDeps } from './parity-deps.js';

export const defaultParityDeps: ParityDeps = {
  async produceRun(profileName, { cfg, command }) {
    const profile = cfg.profiles[profileName];
    if (!profile) throw new Error(`profile ${profileName} is missing (checked by the parity command)`);
    const runCfg = { ...cfg, profileName, profile };
    const stack = new ResourceStack();
    try {
      command.out.info(`\n== parity: running the job on profile "${profileName}" ==`);
      const result = await runOnLocalStack(runCfg, { ...command, stack }, {
        keep: false,
        inputSource: 'job.input',
        cwd: command.env.INIT_CWD ?? process.cwd(),
      });
      for (const line of result.summary) command.out.info(line);
      return { runDir: result.runDir };
    } finally {
      await stack.dispose((line) => command.out.warn(line));
    }
  },
  s3ClientFor(cfg, where, command) {
    if (cfg.profile.kind === 'emr') {
      return command.stack.use(createS3Client({ region: cfg.profile.region }), (c) => c.destroy(), 's3 client');
    }
    const s3 = keptStackS3(cfg);
    if (!s3) {
      throw new RunOutputError(
        `s3://${where.bucket}/${where.key}`,
        `no local stack is running to read it from (profile ${cfg.profileName})`,
        'keep one running with `npm run local -- --keep`, or compare the downloaded runs/<id>/ folders instead',
      );
    }
    const client = createS3Client(s3);
    return command.stack.use(client, (c) => c.destroy(), 's3 client');
  },
};
