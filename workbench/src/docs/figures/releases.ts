/** The supported releases, from the release table (versions.json `releases`, config/releases.ts): never typed by hand. */
import { DEFAULT_RELEASE, RELEASES } from '../../config/releases.js';
import { sourceLine } from '../format.js';

export function releasesTable(): string {
  const rows = RELEASES.map((r) => {
    const jars = r.s3a.jars.length;
    const s3a = r.s3a.jars.some((j) => j.artifact === 'aws-java-sdk-bundle')
      ? `hadoop-aws ${r.hadoop} + the v1 SDK bundle (${jars} jars)`
      : `hadoop-aws ${r.hadoop} + the AWS SDK v2 modules S3A uses (${jars} jars)`;
    const label = r.label === DEFAULT_RELEASE.label ? `\`${r.label}\` (default)` : `\`${r.label}\``;
    return `| ${label} | ${r.emrSpark} | ${r.scala} | ${r.python} | ${r.java} | ${r.hadoop} | ${s3a} | \`${r.locks.runtime}\` | ${r.note} |`;
  });
  return [
    '| release | Spark (EMR build) | Scala | Python | Java | Hadoop | s3a jars (local stack) | runtime lock | note |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    sourceLine('`releases` in `versions.json` (`workbench/src/config/releases.ts`)'),
  ].join('\n');
}
