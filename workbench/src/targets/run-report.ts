/**
 * report.html at the end of every run (local, rehearsal, promote). The run's outputs are what matters: a
 * report that cannot be written is a warning with the command that writes it later, never a failed run.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunContext } from '../context.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { reportProfiles, writeReport } from '../report/index.js';

export async function writeRunReport(runDir: string, cfg: WorkbenchConfig, ctx: RunContext, s3Client?: () => S3Client): Promise<string | undefined> {
  try {
    return await writeReport(runDir, { runsDir: cfg.runsDir, profiles: reportProfiles(cfg.profiles), ...(s3Client ? { s3Client } : {}) });
  } catch (err) {
    ctx.out.warn(`could not write ${runDir}/report.html: ${err instanceof Error ? err.message.split('\n')[0] : String(err)} (retry: npm run report -- ${runDir})`);
    return undefined;
  }
}
