/**
 * The read-only shared folder next to the repo (../shared: real sample images, real MobileNetV2 weights as
 * .npy). Never copied into the repo; FRUITS_SHARED_DIR points elsewhere.
 */
import path from 'node:path';

export const SHARED_DIR_ENV = 'FRUITS_SHARED_DIR';

export function sharedDir(root: string, env: Record<string, string | undefined>): string {
  return path.resolve(env[SHARED_DIR_ENV] || path.join(root, '..', 'shared'));
}

export function sharedNpyWeightsDir(root: string, env: Record<string, string | undefined>): string {
  return path.join(sharedDir(root, env), 'models', 'mobilenet_v2_1.0_224_no_top_npy');
}

export function sharedSampleImagesDir(root: string, env: Record<string, string | undefined>): string {
  return path.join(sharedDir(root, env), 'datasets', 'fruits-360-sample');
}
