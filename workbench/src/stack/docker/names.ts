/**
 * How a Docker stack is named and labelled. The engine is the Docker backend's state: every container, volume
 * and network of a stack carries these labels (docker-compose.yml sets them from the env file), so `npm run
 * stop` and the clean-up after a crash find everything by label, without a state file and without compose.
 */
import { createHash } from 'node:crypto';

export const LABEL = {
  /** The stack (= compose project) name. */
  stack: 'com.fruits-workbench.stack',
  /** Which checkout of the repository started it: `npm run stop` only touches its own. */
  checkout: 'com.fruits-workbench.checkout',
  profile: 'com.fruits-workbench.profile',
  /** Hash of the stack shape (profile kind, region, bucket, workers...): a kept stack is reused only for the same. */
  shape: 'com.fruits-workbench.shape',
  /** "true" when started with --keep; otherwise the owner process stops it on exit. */
  kept: 'com.fruits-workbench.kept',
  /** The workbench process that owns a stack that is not kept. */
  owner: 'com.fruits-workbench.owner-pid',
  /** minio | create-bucket | spark-master | spark-worker | spark-driver */
  role: 'com.fruits-workbench.role',
  /** On images the workbench builds (the Spark image). */
  image: 'com.fruits-workbench.image',
  /** On the Spark images: the EMR release label the image runs (one image per release, side by side). */
  release: 'com.fruits-workbench.release',
} as const;

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Stable id of a checkout (its absolute root path). Pure. */
export function checkoutId(root: string): string {
  return sha(root).slice(0, 10);
}

/**
 * One Docker stack per checkout, as the native backend has one stack per state folder: a valid compose project
 * name (lower case, digits, dashes) that two checkouts on one machine never share. Pure.
 */
export function stackName(root: string): string {
  return `fruits-wb-${checkoutId(root)}`;
}

/** Short hash of any JSON-able shape, for a label value. Pure. */
export function shapeHash(shape: unknown): string {
  return sha(JSON.stringify(shape)).slice(0, 16);
}

/** The name of the one-off driver container of a run (container names allow [a-zA-Z0-9_.-]). Pure. */
export function driverContainerName(stack: string, runId: string): string {
  return `${stack}-driver-${runId.replace(/[^a-zA-Z0-9_.-]/g, '-')}`.slice(0, 120);
}
