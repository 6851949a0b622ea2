/**
 * Retrying one S3 call through a store that goes away for a while (a MinIO restart, a throttled or briefly
 * unreachable endpoint). The SDK's own retries last well under a second, which a restarting server outlasts;
 * this waits with exponential backoff up to a deadline, and never retries what a retry cannot fix (denied,
 * missing bucket, bad request).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);
const RETRYABLE_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'SlowDown', 'ServiceUnavailable', 'InternalError', 'XMinioServerNotInitialized', 'BadDigest']);

export interface RetryPolicy {
  /** Give up when the next wait would end past this many ms after the first failure. */
  deadlineMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const STORE_RETRY: RetryPolicy = { deadlineMs: 60_000, firstDelayMs: 250, maxDelayMs: 4_000 };

export function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (/socket hang up|ECONNREFUSED|ECONNRESET|EPIPE/.test(String((err as Error).message ?? ''))) return true;
  return e.cause !== undefined && e.cause !== err && isRetryable(e.cause);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(fn: () => Promise<T>, o: { signal?: AbortSignal; policy?: RetryPolicy; now?: () => number } = {}): Promise<T> {
  const policy = o.policy ?? STORE_RETRY;
  const now = o.now ?? Date.now;
  let firstFailure: number | undefined;
  let delay = policy.firstDelayMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (o.signal?.aborted || !isRetryable(err)) throw err;
      firstFailure ??= now();
      if (now() + delay - firstFailure > policy.deadlineMs) throw err;
      await sleep(delay, o.signal);
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}
