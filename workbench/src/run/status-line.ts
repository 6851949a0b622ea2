/**
 * One updating status line on a terminal (stderr), plain lines elsewhere. On a TTY `update()` rewrites the
 * line in place and `line()` prints a permanent line above it; without a TTY (CI, a pipe, a log file)
 * `update()` prints nothing and `line()` prints a plain line, so logs never contain carriage returns.
 */
export interface StatusLine {
  update(text: string): void;
  line(text: string): void;
  clear(): void;
}

export function createStatusLine(stream: { write(s: string): unknown; isTTY?: boolean; columns?: number }): StatusLine {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(text) {
      if (!tty) return;
      // columns is 0 or undefined on some pseudo-terminals: assume a usual width then.
      const width = Math.max(20, (stream.columns || 100) - 1);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    clear,
  };
}
