/**
 * The Output of a real process: live task lines on a terminal, plain quarter lines elsewhere.
 *
 * On a TTY the live region is the last lines of stderr, one per running task. A permanent line (info, warn,
 * and results when stdout is the same terminal) first erases the region, prints, then redraws it, so live
 * lines always stay below everything else and never end up in the scrollback. Redraws are throttled: a
 * download calls progress() thousands of times.
 */
import pc from 'picocolors';
import { formatProgress } from './format.js';
import type { Output, Task, TaskOptions } from './output.js';

export interface TerminalStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const REDRAW_EVERY_MS = 80;
/** Off a TTY, progress lines at these fractions of the total. */
const QUARTERS = [0.25, 0.5, 0.75];

interface LiveTask {
  text: string;
}

export function createTerminalOutput(streams: { stderr: TerminalStream; stdout: TerminalStream }, now: () => number = Date.now): Output {
  const { stderr, stdout } = streams;
  const tty = Boolean(stderr.isTTY);
  const live: LiveTask[] = [];
  let drawn = 0;
  let lastDraw = 0;

  const width = () => Math.max(20, (stderr.columns || 100) - 1);
  const fit = (text: string) => (text.length > width() ? `${text.slice(0, width() - 1)}…` : text);
  const erase = () => {
    if (drawn === 0) return;
    // Cursor is at the end of the last live line: clear it, then each line above it.
    let s = '\r\x1b[2K';
    for (let i = 1; i < drawn; i++) s += '\x1b[1A\x1b[2K';
    stderr.write(s);
    drawn = 0;
  };
  const draw = () => {
    const lines = live.map((t) => fit(t.text)).filter((t) => t !== '');
    if (lines.length > 0) stderr.write(lines.join('\n'));
    drawn = lines.length;
    lastDraw = now();
  };
  const redraw = (force: boolean) => {
    if (!tty) return;
    if (!force && now() - lastDraw < REDRAW_EVERY_MS) return;
    erase();
    draw();
  };
  const permanent = (stream: TerminalStream, line: string) => {
    const sharesTerminal = tty && (stream === stderr || stream.isTTY);
    if (sharesTerminal) erase();
    stream.write(`${line}\n`);
    if (sharesTerminal) draw();
  };

  const output: Output = {
    isTTY: tty,
    info: (line) => permanent(stderr, line),
    warn: (line) => permanent(stderr, `${tty ? pc.yellow('warning:') : 'warning:'} ${line}`),
    result: (line) => permanent(stdout, line),
    task(label: string, opts: TaskOptions = {}): Task {
      const unit = opts.unit ?? 'count';
      let total = opts.total;
      const me: LiveTask = { text: label };
      let ended = false;
      let nextQuarter = 0;
      if (tty) {
        live.push(me);
        redraw(true);
      }
      return {
        progress(done, newTotal) {
          if (ended) return;
          if (newTotal !== undefined) total = newTotal;
          const text = `${label}: ${formatProgress(done, total, unit)}`;
          if (tty) {
            me.text = text;
            redraw(total !== undefined && done >= total);
            return;
          }
          if (total === undefined || total <= 0) return;
          let crossed = false;
          while (nextQuarter < QUARTERS.length && done / total >= QUARTERS[nextQuarter]! && done < total) {
            nextQuarter++;
            crossed = true;
          }
          if (crossed) stderr.write(`${text}\n`);
        },
        status(text) {
          if (ended || !tty) return;
          me.text = text;
          redraw(false);
        },
        end(line) {
          if (ended) return;
          ended = true;
          if (tty) {
            erase();
            live.splice(live.indexOf(me), 1);
            if (line !== undefined) stderr.write(`${line}\n`);
            draw();
          } else if (line !== undefined) {
            stderr.write(`${line}\n`);
          }
        },
      };
    },
  };
  return output;
}

/** The process's own terminal. */
export function processOutput(): Output {
  return createTerminalOutput({ stderr: process.stderr, stdout: process.stdout });
}
