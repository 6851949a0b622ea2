/**
 * EMR release label -> what it runs. The job is pinned to one Spark (versions.json); a release whose Spark
 * differs would run different code than the local run we compare against, so it is refused. Pure.
 *
 * Source: Amazon EMR Release Guide, "Spark release history" and "Application versions in Amazon EMR 7.x
 * releases" (docs.aws.amazon.com/emr/latest/ReleaseGuide/), read 2026-11-25. EMR builds carry an `-amzn-N`
 * suffix on the Apache version; `spark` below is the Apache version it is based on. Java 17 is the default JVM
 * of EMR 7.x; Python 3.11 is installable next to the system 3.9 from emr-7.1.0 on (emr-7.0.0 has 3.9 only).
 */
import versions from '../../../versions.json' with { type: 'json' };
import { PlanRefusedError } from '../errors.js';

export interface EmrRelease {
  label: string;
  /** Apache Spark version the EMR build is based on. */
  spark: string;
  /** EMR's own build string, for the record. */
  emrSpark: string;
  /** The python the job runs with (PYSPARK_PYTHON), installed by the bootstrap action. */
  python: string;
  java: string;
}

export const EMR_RELEASES: readonly EmrRelease[] = [
  { label: 'emr-7.13.0', spark: '3.5.6', emrSpark: '3.5.6-amzn-2', python: '3.11', java: '17' },
  { label: 'emr-7.12.0', spark: '3.5.6', emrSpark: '3.5.6-amzn-1', python: '3.11', java: '17' },
  { label: 'emr-7.11.0', spark: '3.5.6', emrSpark: '3.5.6-amzn-0', python: '3.11', java: '17' },
  { label: 'emr-7.10.0', spark: '3.5.5', emrSpark: '3.5.5-amzn-1', python: '3.11', java: '17' },
  { label: 'emr-7.9.0', spark: '3.5.5', emrSpark: '3.5.5-amzn-0', python: '3.11', java: '17' },
  { label: 'emr-7.8.0', spark: '3.5.4', emrSpark: '3.5.4-amzn-0', python: '3.11', java: '17' },
];

/** The Spark version the whole project pins (versions.json "spark"). */
export const PINNED_SPARK: string = versions.spark;

/**
 * The release for `label`, if it runs the pinned Spark; PlanRefusedError otherwise, naming the labels that do.
 */
export function releaseFor(label: string, pinnedSpark: string = PINNED_SPARK): EmrRelease {
  const matching = EMR_RELEASES.filter((r) => r.spark === pinnedSpark).map((r) => r.label);
  const fix = matching.length
    ? `set profiles.<emr>.releaseLabel to one of ${matching.join(', ')}`
    : `add the EMR release that ships Spark ${pinnedSpark} to workbench/src/emr/releases.ts`;
  const release = EMR_RELEASES.find((r) => r.label === label);
  if (!release) {
    throw new PlanRefusedError(
      `refused: EMR release ${JSON.stringify(label)} is not in the workbench's release table, so its Spark version is unknown`,
      fix,
    );
  }
  if (release.spark !== pinnedSpark) {
    throw new PlanRefusedError(
      `refused: ${label} runs Spark ${release.emrSpark} but the job is pinned to Spark ${pinnedSpark} (versions.json); ` +
        'the EMR run would not be comparable with the local run',
      fix,
    );
  }
  return release;
}
