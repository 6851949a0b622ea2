/**
 * The image pins of the Docker backend. versions.json is the one place that holds them (`docker.*`, `spark`);
 * the workbench passes them to compose through the generated env file. The defaults written in
 * docker-compose.yml and the ARG defaults of docker/spark/Dockerfile are copies for people running compose by
 * hand; unit tests fail when a copy differs from versions.json.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface DockerPins {
  /** Official Apache Spark image the Spark image is built FROM. */
  sparkBaseImage: string;
  minioImage: string;
  mcImage: string;
  /** Spark version; the base image's, the lock's pyspark and versions.json `spark` agree (checked at build). */
  spark: string;
}

/** The files whose bytes define the built Spark image: any change gives a new tag, hence a rebuild. */
export const SPARK_IMAGE_INPUTS = ['docker/spark/Dockerfile', 'docker/spark/lock-without-pyspark.sh', 'pipeline/requirements.lock'] as const;

export const SPARK_IMAGE_REPOSITORY = 'fruits-workbench/spark';

export function readDockerPins(root: string): DockerPins {
  const file = path.join(root, 'versions.json');
  const v = JSON.parse(readFileSync(file, 'utf8')) as { spark?: string; docker?: Partial<Record<string, string>> };
  const d = v.docker ?? {};
  const pins = { sparkBaseImage: d.sparkImage, minioImage: d.minioImage, mcImage: d.mcImage, spark: v.spark };
  for (const [key, value] of Object.entries(pins)) {
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: missing ${key === 'spark' ? 'spark' : `docker.${key}`}`);
  }
  return pins as DockerPins;
}

/**
 * The tag of the Spark image built from this checkout: `<repo>:<spark>-<sha256 of the inputs>[:12]`. Content
 * addressed, so compose builds only when the Dockerfile or the lock changed, and two checkouts share an image
 * when they are the same. Pure (given the file contents).
 */
export function sparkImageTag(spark: string, inputs: readonly string[]): string {
  const h = createHash('sha256');
  for (const text of inputs) h.update(createHash('sha256').update(text).digest('hex')).update('\n');
  return `${SPARK_IMAGE_REPOSITORY}:${spark}-${h.digest('hex').slice(0, 12)}`;
}

export function sparkImageTagOf(root: string, spark: string): string {
  return sparkImageTag(
    spark,
    SPARK_IMAGE_INPUTS.map((f) => readFileSync(path.join(root, f), 'utf8')),
  );
}
