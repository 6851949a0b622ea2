/**
 * One owner for everything a command starts. A command gets a `Scope`: an AbortSignal that fires on Ctrl-C
 * (SIGINT/SIGTERM) or on error, and a stack of async cleanups run in reverse order exactly once, on success,
 * on error and on interruption. Service handles, clusters and temp folders register their `stop()` here.
 *
 * (Node 20 has no AsyncDisposableStack; this is the small part of it we need.)
 */
import { CleanupError, type CleanupFailure } from './errors.js';

export type Cleanup = () => Promise<void> | void;

/** The fix shown for a clean-up that failed when its registration gave none. */
export const DEFAULT_CLEANUP_FIX = 'run `npm run stop` to stop what the workbench started locally, and `npm run promote -- --cleanup` for EMR clusters';

export class ResourceStack {
  private readonly cleanups: { label: string; fn: Cleanup; fix?: string }[] = [];
  private disposed = false;

  /**
   * Register a cleanup; returns the value for chaining (`const minio = stack.use(await startMinio(), m => m.stop())`).
   * `fix` tells the user how to finish it by hand if it fails.
   */
  use<T>(value: T, cleanup: (v: T) => Promise<void> | void, label = 'resource', fix?: string): T {
    if (this.disposed) throw new Error(`cannot register ${label}: the stack is already disposed`);
    this.cleanups.push({ label, fn: () => cleanup(value), fix });
    return value;
  }

  defer(fn: Cleanup, label = 'cleanup', fix?: string): void {
    this.use(undefined, fn, label, fix);
  }

  /** Hand a resource over to someone else (e.g. `--keep`): its cleanup will not run. */
  release(label: string): void {
    for (let i = this.cleanups.length - 1; i >= 0; i--) if (this.cleanups[i]!.label === label) this.cleanups.splice(i, 1);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Runs every cleanup in reverse order, all of them even when some fail, and returns the failures. Idempotent
   * (a second call returns none). Never throws: the caller decides how failures meet the error that came first.
   */
  async disposeAll(log: (line: string) => void = () => {}): Promise<CleanupFailure[]> {
    if (this.disposed) return [];
    this.disposed = true;
    const failures: CleanupFailure[] = [];
    while (this.cleanups.length > 0) {
      const { label, fn, fix } = this.cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        failures.push({ label, error: err, fix: fix ?? (err instanceof CleanupError ? err.fix! : (err as { fix?: string }).fix ?? DEFAULT_CLEANUP_FIX) });
        log(`cleanup of ${label} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures;
  }

  /** Runs every cleanup; throws a CleanupError listing the failures, if any. */
  async dispose(log: (line: string) => void = () => {}): Promise<void> {
    const failures = await this.disposeAll(log);
    if (failures.length > 0) throw new CleanupError(failures);
  }
}

export interface Scope {
  signal: AbortSignal;
  stack: ResourceStack;
}

/**
 * Runs `body` inside a scope bound to process signals. The first SIGINT/SIGTERM aborts the signal (the body
 * should stop promptly; child processes are killed by their handles) and cleanups run; a second one while
 * cleaning up is ignored so teardown (e.g. terminating an EMR cluster) is not cut short.
 */
export async function withScope<T>(
  body: (scope: Scope) => Promise<T>,
  opts: {
    log?: (line: string) => void;
    handleSignals?: boolean;
    /**
     * The enclosing command's signal, for a scope nested in it (a bench runs a whole local run per size): its
     * abort aborts this scope, so Ctrl-C stops the inner run instead of waiting for it to finish.
     */
    parent?: AbortSignal;
  } = {},
): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(opts.parent!.reason);
  if (opts.parent?.aborted) onParentAbort();
  else opts.parent?.addEventListener('abort', onParentAbort, { once: true });
  const stack = new ResourceStack();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log(`${sig} again: still cleaning up, please wait`);
      return;
    }
    log(`\n${sig}: stopping and cleaning up...`);
    controller.abort(new Error(`received ${sig}`));
  };
  const handle = opts.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let result: T;
  try {
    result = await body({ signal: controller.signal, stack });
  } catch (err) {
    // The first error wins: clean-up failures are attached to it, never thrown in its place.
    const failures = await stack.disposeAll(log);
    release();
    throw failures.length > 0 ? new CleanupError(failures, err) : err;
  }
  const failures = await stack.disposeAll(log);
  release();
  if (failures.length > 0) throw new CleanupError(failures);
  return result;

  function release() {
    opts.parent?.removeEventListener('abort', onParentAbort);
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
