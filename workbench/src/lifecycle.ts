/**
 * One owner for everything a command starts. A command gets a `Scope`: an AbortSignal that fires on Ctrl-C
 * (SIGINT/SIGTERM) or on error, and a stack of async cleanups run in reverse order exactly once, on success,
 * on error and on interruption. Service handles, clusters and temp folders register their `stop()` here.
 *
 * (Node 20 has no AsyncDisposableStack; this is the small part of it we need.)
 */
export type Cleanup = () => Promise<void> | void;

export class ResourceStack {
  private readonly cleanups: { label: string; fn: Cleanup }[] = [];
  private disposed = false;

  /** Register a cleanup; returns the value for chaining (`const minio = stack.use(await startMinio(), m => m.stop())`). */
  use<T>(value: T, cleanup: (v: T) => Promise<void> | void, label = 'resource'): T {
    if (this.disposed) throw new Error(`cannot register ${label}: the stack is already disposed`);
    this.cleanups.push({ label, fn: () => cleanup(value) });
    return value;
  }

  defer(fn: Cleanup, label = 'cleanup'): void {
    this.use(undefined, fn, label);
  }

  /** Hand a resource over to someone else (e.g. `--keep`): its cleanup will not run. */
  release(label: string): void {
    for (let i = this.cleanups.length - 1; i >= 0; i--) if (this.cleanups[i]!.label === label) this.cleanups.splice(i, 1);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Runs every cleanup in reverse order; collects failures instead of stopping at the first. Idempotent. */
  async dispose(log: (line: string) => void = () => {}): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    while (this.cleanups.length > 0) {
      const { label, fn } = this.cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        errors.push(err);
        log(`cleanup of ${label} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup(s) failed`);
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
  opts: { log?: (line: string) => void; handleSignals?: boolean } = {},
): Promise<T> {
  const controller = new AbortController();
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
  try {
    return await body({ signal: controller.signal, stack });
  } finally {
    try {
      await stack.dispose(log);
    } finally {
      if (handle) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
  }
}
