/** Run ids: `20261125T200102Z-ab12cd` (UTC start time + random suffix), the format the job generates too. Pure. */
import { randomBytes } from 'node:crypto';

/** Safe in a folder name, an S3 key and a Spark app name. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function newRunId(now: Date = new Date(), suffix: string = randomBytes(3).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${suffix}`;
}

/** Returns a reason when `id` cannot be used as a run id, undefined when it can. */
export function invalidRunIdReason(id: string): string | undefined {
  if (RUN_ID_PATTERN.test(id)) return undefined;
  return 'a run id is 1-128 characters: letters, digits, dot, dash and underscore, starting with a letter or digit';
}
