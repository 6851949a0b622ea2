/** Figures as the terminal shows them. Pure. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** "12/390" or "1.3 MB / 4.0 MB", with the percentage when the total is known. */
export function formatProgress(done: number, total: number | undefined, unit: 'count' | 'bytes'): string {
  const f = unit === 'bytes' ? formatBytes : String;
  if (total === undefined || total <= 0) return f(done);
  const pct = Math.min(100, Math.floor((done / total) * 100));
  return `${f(done)}${unit === 'bytes' ? ' / ' : '/'}${f(total)} (${pct}%)`;
}
