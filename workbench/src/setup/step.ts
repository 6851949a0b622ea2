/**
 * The one way set-up reports a step: "X: cached" when nothing had to be done, else "installing X..." once
 * before the work. Keeps `npm run setup` and every `npm run local` quiet when everything is cached.
 */
import type { Output } from '../terminal/index.js';

export async function cachedStep<T>(
  out: Output,
  what: string,
  cached: () => Promise<T | undefined>,
  install: () => Promise<T>,
  detail = '',
): Promise<T> {
  const hit = await cached();
  if (hit !== undefined) {
    out.info(`${what}: cached`);
    return hit;
  }
  out.info(`installing ${what}${detail ? ` (${detail})` : ''}...`);
  return install();
}
