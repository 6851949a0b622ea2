/**
 * The one kept-stack mechanism (stack/kept-stack.ts) both backends go through: refuse a stack whose command still
 * runs, reuse a healthy kept stack of the same shape, replace anything else, then start; under the state folder's
 * lock. A recording backend stands in for native/Docker (their own parts are covered by the stack integration
 * tests); the decision, the order of calls and what the user reads are checked here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/errors.js';
import { decideFound, reuseOrStart, type FoundStack, type StackBackend } from '../../src/stack/kept-stack.js';
import type { StartedStack } from '../../src/stack/types.js';
import { memoryOutput } from '../../src/terminal/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stackNamed = (name: string, reused: boolean) => ({ backend: 'native', reused, services: [], sparkMaster: name, s3: {}, stop: async () => {} }) as unknown as StartedStack;

function recordingBackend(found: FoundStack | undefined, healthy: boolean) {
  const calls: string[] = [];
  const backend: StackBackend<FoundStack, StartedStack> = {
    what: 'the stack in /state',
    onePer: 'one stack per state folder',
    keptLine: 'stack kept running (npm run stop stops it):',
    find: async () => (calls.push('find'), found),
    reusingLine: () => 'reusing the kept stack',
    reuse: async () => (calls.push('reuse'), healthy ? stackNamed('old', true) : undefined),
    replace: async () => void calls.push('replace'),
    start: async (keep) => (calls.push(`start keep=${keep}`), stackNamed('new', false)),
    describe: (s) => [`  master ${s.sparkMaster}`],
  };
  return { backend, calls };
}

async function run(found: FoundStack | undefined, healthy: boolean, keep = false) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'wb-kept-'));
  dirs.push(stateDir);
  const out = memoryOutput();
  const { lines } = out;
  const { backend, calls } = recordingBackend(found, healthy);
  const result = await reuseOrStart(backend, { stateDir, keep, out, signal: new AbortController().signal }).catch((err: unknown) => err);
  return { result, calls, lines };
}

const kept: FoundStack = { kept: true, running: true, sameShape: true };

describe('reuseOrStart (both backends)', () => {
  it('nothing found: starts', async () => {
    const r = await run(undefined, true);
    expect(r.calls).toEqual(['find', 'start keep=false']);
    expect((r.result as StartedStack).reused).toBe(false);
  });

  it('a healthy kept stack of the same shape is reused and its endpoints are shown', async () => {
    const r = await run(kept, true);
    expect(r.calls).toEqual(['find', 'reuse']);
    expect((r.result as StartedStack).reused).toBe(true);
    expect(r.lines.join('\n')).toContain('reusing the kept stack\n  master old');
  });

  it('kept but unhealthy, or another shape: replaced, then a new one starts', async () => {
    expect((await run(kept, false)).calls).toEqual(['find', 'reuse', 'replace', 'start keep=false']);
    expect((await run({ ...kept, sameShape: false }, true)).calls).toEqual(['find', 'replace', 'start keep=false']);
  });

  it('the remains of a crashed command (owner gone) are replaced', async () => {
    const r = await run({ kept: false, running: true, sameShape: true, ownerPid: 2 ** 22 + 12345 }, true);
    expect(r.calls).toEqual(['find', 'replace', 'start keep=false']);
  });

  it('a stack owned by another command that still runs is refused, with the rule in the fix', async () => {
    const r = await run({ kept: false, running: true, sameShape: true, ownerPid: process.ppid }, true);
    expect(r.result).toBeInstanceOf(ServiceError);
    expect((r.result as ServiceError).message).toContain(`the stack in /state belongs to a workbench command that is still running (pid ${process.ppid})`);
    expect((r.result as ServiceError).fix).toContain('one stack per state folder');
    expect(r.calls).toEqual(['find']);
  });

  it('--keep: the new stack is started kept and its endpoints are shown', async () => {
    const r = await run(undefined, true, true);
    expect(r.calls).toEqual(['find', 'start keep=true']);
    expect(r.lines.join('\n')).toContain('stack kept running (npm run stop stops it):\n  master new');
  });
});

describe('decideFound', () => {
  it('a command never waits for itself; a kept stack is never refused', () => {
    expect(decideFound({ kept: false, running: true, sameShape: true, ownerPid: 7 }, () => true, 7)).toEqual({ action: 'replace' });
    expect(decideFound({ kept: true, running: true, sameShape: true, ownerPid: 8 }, () => true, 7)).toEqual({ action: 'reuse' });
    expect(decideFound({ kept: false, running: false, sameShape: true, ownerPid: 8 }, () => true, 7)).toEqual({ action: 'replace' });
  });
});
