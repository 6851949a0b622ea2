/**
 * What every piece of work below the commands gets from its command: the scope (AbortSignal + the resource
 * stack that stops everything), the one terminal output, and the process environment passed in explicitly
 * (nothing below config/ reads process.env by itself).
 */
import type { Scope } from './lifecycle.js';
import type { Output } from './terminal/index.js';

export interface RunContext extends Scope {
  out: Output;
  env: Record<string, string | undefined>;
}
