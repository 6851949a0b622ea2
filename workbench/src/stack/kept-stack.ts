/**
 * The one reuse mechanism of both stack backends. A backend finds what it left where it keeps its state (native:
 * the state file <stateDir>/stack.json; Docker: the engine's labels) and says how healthy it is; this module
 * decides, the same way for both:
 *   - a stack whose owning command still runs (not kept) is refused: one stack per state folder / checkout;
 *   - a kept stack of the same shape is reused when the backend finds it healthy;
 *   - anything else found is stopped and forgotten, then a new stack starts (owned by the command's scope, or
 *     kept for `npm run stop` and the next command).
 * One command at a time decides, under a file lock in the state folder: two commands started at once find each
 * other instead of racing for the same ports and data.
 */
import path from 'node:path';
import { ServiceError } from '../errors.js';
import { isPidAlive, withFileLock } from '../host/file-lock.js';
import type { Output } from '../terminal/index.js';
import type { StartedStack } from './types.js';

/** What a backend found of an earlier stack, as far as the decision needs it. */
export interface FoundStack {
  /** Started with --keep (for `npm run stop` and the next command). */
  kept: boolean;
  /** The workbench command that owns a stack that is not kept (it stops it on exit). */
  ownerPid?: number;
  /** Something of it still runs (a process, a container). */
  running: boolean;
  /** Started for the shape asked for now; only then can it be reused. */
  sameShape: boolean;
}

export interface StackBackend<F extends FoundStack, S extends StartedStack> {
  /** How messages name the stack: "the stack in <stateDir>", "the Docker stack <name>". */
  what: string;
  /** The rule behind a refusal: "one stack per state folder", "one stack per checkout". */
  onePer: string;
  find(): Promise<F | undefined>;
  /** The found (kept, same-shape) stack as started, or undefined when it is not healthy enough to reuse. */
  reuse(found: F, signal: AbortSignal): Promise<S | undefined>;
  /** The line printed before the reused stack's endpoints. */
  reusingLine(found: F): string;
  /** Stops and forgets what was found and is not reused (saying what it stops). */
  replace(found: F): Promise<void>;
  /** Starts a new stack, recorded as kept or as owned by this process and registered on its scope. */
  start(keep: boolean): Promise<S>;
  /** The line printed before the endpoints of a stack left running with --keep. */
  keptLine: string;
  /** The endpoints, for the user (never the credentials). */
  describe(stack: S): string[];
}

/** What to do with what was found. Pure (given whether a pid runs). `reuse`: try it, if the backend finds it healthy. */
export type KeptDecision = { action: 'none' } | { action: 'refuse'; ownerPid: number } | { action: 'reuse' } | { action: 'replace' };

export function decideFound(found: FoundStack | undefined, pidAlive: (pid: number) => boolean = isPidAlive, self = process.pid): KeptDecision {
  if (!found) return { action: 'none' };
  const owner = found.ownerPid;
  if (!found.kept && found.running && owner !== undefined && owner > 0 && owner !== self && pidAlive(owner)) return { action: 'refuse', ownerPid: owner };
  return found.kept && found.sameShape ? { action: 'reuse' } : { action: 'replace' };
}

/** The refusal for a stack owned by another command that still runs (starting: wait; `npm run stop`: it stops it itself). */
export function ownedElsewhereError(what: string, ownerPid: number, o: { onePer: string } | { stopping: true }): ServiceError {
  return 'stopping' in o
    ? new ServiceError(`${what} belongs to a workbench command that is still running (pid ${ownerPid}); it stops it itself`, 'press Ctrl-C in that terminal (or kill -INT that pid)')
    : new ServiceError(`${what} belongs to a workbench command that is still running (pid ${ownerPid})`, `wait for it to finish, or stop it (Ctrl-C in its terminal); ${o.onePer}`);
}

/**
 * Reuses the kept stack when it can, otherwise replaces what is there with a new one. A backend given as a
 * function is made under the lock (the native backend reads or creates the state folder's credentials there).
 */
export async function reuseOrStart<F extends FoundStack, S extends StartedStack>(
  backendOf: StackBackend<F, S> | (() => StackBackend<F, S>),
  o: { stateDir: string; keep: boolean; out: Output; signal: AbortSignal },
): Promise<S> {
  const { out } = o;
  return withFileLock(
    path.join(o.stateDir, 'stack.lock'),
    o.signal,
    (pid) => out.info(`waiting for another workbench command (pid ${pid}) starting the stack...`),
    async () => {
      const backend = typeof backendOf === 'function' ? backendOf() : backendOf;
      const found = await backend.find();
      const decision = decideFound(found);
      if (decision.action === 'refuse') throw ownedElsewhereError(backend.what, decision.ownerPid, { onePer: backend.onePer });
      if (found) {
        const reused = decision.action === 'reuse' ? await backend.reuse(found, o.signal) : undefined;
        if (reused) {
          out.info(backend.reusingLine(found));
          for (const line of backend.describe(reused)) out.info(line);
          return reused;
        }
        await backend.replace(found);
      }
      const started = await backend.start(o.keep);
      if (o.keep) {
        out.info(backend.keptLine);
        for (const line of backend.describe(started)) out.info(line);
      }
      return started;
    },
  );
}
