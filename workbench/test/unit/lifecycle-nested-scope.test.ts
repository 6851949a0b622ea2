/** A scope nested in a command's scope (a bench's run per size) stops when the command is aborted (lifecycle.ts). */
import { describe, expect, it } from 'vitest';
import { withScope } from '../../src/lifecycle.js';

const quiet = { handleSignals: false, log: () => {} };

/** Resolves when `signal` aborts, with its reason. */
const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('a nested scope', () => {
  it('is aborted by its parent signal, with the parent\'s reason, and still runs its clean-ups', async () => {
    const parent = new AbortController();
    const ran: string[] = [];
    const inner = withScope(async (scope) => {
      scope.stack.defer(() => void ran.push('stack stopped'), 'stack');
      const reason = await aborted(scope.signal);
      throw reason;
    }, { ...quiet, parent: parent.signal });
    parent.abort(new Error('received SIGINT'));
    await expect(inner).rejects.toThrow('received SIGINT');
    expect(ran).toEqual(['stack stopped']);
  });

  it('starts aborted under an aborted parent, and lets go of the parent when done', async () => {
    const parent = new AbortController();
    parent.abort(new Error('already stopping'));
    expect(await withScope(async (scope) => scope.signal.aborted, { ...quiet, parent: parent.signal })).toBe(true);

    const live = new AbortController();
    let innerSignal: AbortSignal | undefined;
    await withScope(async (scope) => void (innerSignal = scope.signal), { ...quiet, parent: live.signal });
    live.abort(new Error('later'));
    expect(innerSignal!.aborted).toBe(false);
  });
});
