/**
 * The EMR releases the workbench supports, as data (versions.json `releases`): what each runs (Spark, Scala,
 * Python, Java, Hadoop), its two locks, the s3a jars that match its Hadoop client and the Hadoop minicluster of the
 * YARN rehearsal. A release is chosen per profile (`release`) or by `--release` / WORKBENCH_RELEASE; every runtime
 * surface (native stack, Docker image, YARN rehearsal, EMR plan) then runs that release's Spark, and every cache
 * that depends on it (venv, images, converted models) is keyed by it, so two releases live side by side.
 *
 * Adding a release: an entry in versions.json, its locks under pipeline/locks/<label>/ (pipeline/README.md says
 * how to generate them), and the s3a jars its Hadoop needs, with their sha256. Pure: this module only reads the
 * JSON the checkout carries.
 */
import versions from '../../../versions.json' with { type: 'json' };

/** A jar from Maven Central with its pinned sha256: set-up refuses any other bytes. */
export interface MavenJar {
  group: string;
  artifact: string;
  version: string;
  sha256: string;
}

export interface Release {
  /** The EMR release label, e.g. emr-spark-8.1.0 or emr-7.13.0 (the two shapes AWS uses). */
  label: string;
  /** When AWS released it, where known. */
  released?: string;
  note: string;
  /** EMR's own Spark build, for the record (4.1.1-amzn-0). */
  emrSpark: string;
  /** The Apache Spark version pip's pyspark brings locally, the one EMR's build is based on. */
  spark: string;
  scala: string;
  python: string;
  java: string;
  /** The Hadoop client pyspark bundles (and hadoop-aws must match). */
  hadoop: string;
  /** Repo-relative paths of the runtime lock (what a node installs) and the test lock (runtime + tools). */
  locks: { runtime: string; test: string };
  s3a: {
    /** fs.s3a.aws.credentials.provider: the v1 SDK class on Hadoop 3.3, the v2 one on Hadoop 3.4. */
    credentialsProvider: string;
    jars: MavenJar[];
  };
  /** org.apache.hadoop:hadoop-minicluster version the YARN rehearsal runs (the release's Hadoop line). */
  yarnMinicluster: string;
}

interface ReleasesJson {
  defaultRelease: string;
  releases: Record<string, Omit<Release, 'label'>>;
  knownUnsupportedReleases?: Record<string, string>;
}

const table = versions as unknown as ReleasesJson;

/** Every supported release, the default first. */
export const RELEASES: readonly Release[] = Object.entries(table.releases)
  .map(([label, r]) => ({ label, ...r }))
  .sort((a, b) => Number(b.label === table.defaultRelease) - Number(a.label === table.defaultRelease));

export const RELEASE_LABELS: readonly string[] = RELEASES.map((r) => r.label);

/** The release the defaults follow (versions.json `defaultRelease`). */
export const DEFAULT_RELEASE: Release = RELEASES[0]!;

/**
 * Why a label is not supported, in one line with what to use instead: the knowingly left-out labels
 * (versions.json `knownUnsupportedReleases`, e.g. emr-7.14.0) say why; any other label gets the supported list.
 */
export function unsupportedReleaseMessage(label: string): string {
  const why = table.knownUnsupportedReleases?.[label];
  const supported = `one of ${RELEASE_LABELS.join(', ')}`;
  return why ? `${label} is not supported: ${why}; use ${supported}` : `must be a supported release: ${supported}`;
}

export function findRelease(label: string): Release | undefined {
  return RELEASES.find((r) => r.label === label);
}

/** The release for a label that config validation already accepted. */
export function releaseByLabel(label: string): Release {
  const r = findRelease(label);
  if (!r) throw new Error(`unknown release ${JSON.stringify(label)}: supported are ${RELEASE_LABELS.join(', ')}`);
  return r;
}

/** One line for plans and summaries: "emr-spark-8.1.0 (Spark 4.1.1, Scala 2.13.17, Python 3.11, Java 17, Hadoop 3.4.2)". */
export function describeRelease(r: Release): string {
  return `${r.label} (Spark ${r.spark}, Scala ${r.scala}, Python ${r.python}, Java ${r.java}, Hadoop ${r.hadoop})`;
}
