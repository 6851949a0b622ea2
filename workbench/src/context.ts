/**
 * What every piece of work below the commands gets from its command: the scope (AbortSignal + the resource
 * stack that stops everything), the one terminal output, and the process environment passed in explicitly.
 * Nothing below the commands reads process.env by itself: only process entries do (cli.ts, and the helper
 * processes stack/docker/driver-run.ts and targets/rehearsal/aws-s3-cp.mjs), at their edge
 * (workbench/test/unit/layers.test.ts checks it).
 */
import type { Scope } from './lifecycle.js';
import type { Output } from './terminal/index.js';

export interface RunContext extends Scope {
  out: Output;
  env: Record<string, string | undefined>;
}
