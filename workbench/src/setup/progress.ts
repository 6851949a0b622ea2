/**
 * A download progress line: rewritten in place on a terminal, a plain line every quarter otherwise (CI logs).
 */
import type { Output } from '../commands/types.js';

const MiB = 1024 * 1024;

export function progressReporter(out: Output, label: string, total: number | undefined): (done: number) => void {
  let lastQuarter = -1;
  let lastDraw = 0;
  return (done: number) => {
    const pct = total ? Math.min(100, Math.floor((done / total) * 100)) : undefined;
    const text = `${label}: ${(done / MiB).toFixed(1)}${total ? ` / ${(total / MiB).toFixed(1)}` : ''} MiB${pct !== undefined ? ` (${pct}%)` : ''}`;
    const finished = total !== undefined && done >= total;
    if (out.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && !finished) return;
      lastDraw = now;
      process.stderr.write(`\r\x1b[K${text}${finished ? '\n' : ''}`);
      return;
    }
    const quarter = pct === undefined ? -1 : Math.floor(pct / 25);
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      out.info(text);
    }
  };
}
