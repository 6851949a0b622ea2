/** Small HTTP probes for readiness checks: never throw, always bounded in time. */

export async function httpStatus(url: string, signal: AbortSignal, timeoutMs = 2000): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

export async function httpJson<T>(url: string, signal: AbortSignal, timeoutMs = 2000): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}
