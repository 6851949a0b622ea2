/**
 * job.inputFormat packed is the local stack's alone: it packs a local folder on the host and mirrors the packed
 * files to its MinIO (targets/packed-input.ts). The other targets upload and read the images themselves, so they
 * refuse the setting up front rather than run a job whose input they did not prepare.
 */
import type { WorkbenchConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';

export function refusePackedInput(cfg: WorkbenchConfig, command: string, what: string): void {
  if (cfg.job.inputFormat !== 'packed') return;
  throw new ConfigError(
    [{ key: 'job.inputFormat', message: `packed is supported by npm run local only; ${what} reads the images themselves`, fix: 'set job.inputFormat: images for this target' }],
    command,
  );
}
