/**
 * >>> WIRING POINT for the lead: the real implementations behind `npm run parity`. <<<
 *
 * - produceRun: plug in the local-run orchestration of `npm run local` (start the stack for `profile`, upload the
 *   input, run the job, copy the outputs to runs/<id>/, return that folder). Until then the no-operand default
 *   says so and tells the user to compare two existing runs.
 * - s3ClientFor: for local/cluster profiles, give storage/s3-client.ts `createS3Client` the running stack's MinIO
 *   endpoint and generated credentials. The emr profile already works (AWS default credential chain).
 *
 * Nothing else in parity/ knows the stack or storage (parity/manifest.ts reuses the job's manifest schema).
 */
import { JobError } from '../errors.js';
import { createS3Client } from '../storage/s3-client.js';
import type { ParityDeps } from './deps.js';
import { RunOutputError } from './run-output-error.js';

export const defaultParityDeps: ParityDeps = {
  async produceRun(profile) {
    throw new JobError(
      `parity without operands runs the job on the local and cluster profiles, and that runner is not wired into parity yet (profile ${profile})`,
      'compare two existing outputs instead: npm run parity -- runs/<run-a> runs/<run-b>',
    );
  },
  s3ClientFor(cfg, where, command) {
    if (cfg.profile.kind === 'emr') {
      return command.stack.use(createS3Client({ region: cfg.profile.region }), (c) => c.destroy(), 's3 client');
    }
    throw new RunOutputError(
      `s3://${where.bucket}/${where.prefix}`,
      `reading the local stack's MinIO from parity is not wired yet (profile ${cfg.profileName})`,
      'copy the run to runs/<id>/ (npm run local does), or pass --profile emr for an EMR output',
    );
  },
};
