/** A failure during clean-up never hides the error that came first (lifecycle.ts, cli.ts reportError). */
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli.js';
import { CleanupError, CloudError, JobError } from '../../src/errors.js';
import { withScope } from '../../src/lifecycle.js';
import { memoryOutput } from '../../src/terminal/index.js';

const quiet = { handleSignals: false, log: () => {} };

describe('errors during clean-up', () => {
  it('keep the first error, run every clean-up, and attach the failures with their own fixes', async () => {
    const ran: string[] = [];
    const err = await withScope(async (scope) => {
      scope.stack.defer(() => void ran.push('first registered'), 'temp folder');
      scope.stack.defer(() => {
        ran.push('cluster');
        throw new CloudError('cluster j-1 may still be running: the terminate request failed');
      }, 'EMR cluster j-1', 'run `npm run promote -- --cleanup --region eu-west-3`');
      throw new JobError('the EMR run failed: step FAILED', 'see the stderr tail above');
    }, quiet).catch((e: unknown) => e);

    expect(ran).toEqual(['cluster', 'first registered']);
    expect(err).toBeInstanceOf(CleanupError);
    const c = err as CleanupError;
    expect(c.original).toBeInstanceOf(JobError);
    expect(c.failures.map((f) => [f.label, f.fix])).toEqual([['EMR cluster j-1', 'run `npm run promote -- --cleanup --region eu-west-3`']]);

    const out = memoryOutput();
    expect(reportError(err, out)).toBe(5); // the JobError's exit code, not a clean-up code
    const text = out.lines.join('\n');
    const order = [
      'error: the EMR run failed: step FAILED',
      'fix: see the stderr tail above',
      'error during clean-up: EMR cluster j-1: cluster j-1 may still be running',
      'fix: run `npm run promote -- --cleanup --region eu-west-3`',
    ].map((s) => text.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).not.toContain('a bug');
  });

  it('report a clean-up failure after a successful body as its own typed error', async () => {
    const err = await withScope(async (scope) => {
      scope.stack.defer(() => {
        throw new Error('kill failed');
      }, 'stack', 'run `npm run stop`');
      return 'done';
    }, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CleanupError);
    const out = memoryOutput();
    expect(reportError(err, out)).toBe(9);
    expect(out.lines.join('\n')).toContain('fix: run `npm run stop`');
  });

  it('pass the first error through untouched when every clean-up succeeds', async () => {
    const first = new JobError('boom');
    await expect(withScope(async () => Promise.reject(first), quiet)).rejects.toBe(first);
  });
});
