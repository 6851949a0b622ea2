/**
 * An Output that keeps what it would print, for tests and for callers that want the lines (no terminal).
 * Tasks print their quarter lines and end lines like a non-TTY terminal.
 */
import { createTerminalOutput } from './terminal-output.js';
import type { Output } from './output.js';

export interface MemoryOutput extends Output {
  /** Every stderr line (info, warn, progress), in order. */
  readonly lines: string[];
  /** Every stdout line (result). */
  readonly results: string[];
  /** lines and results together, in order. */
  text(): string;
}

export function memoryOutput(): MemoryOutput {
  const lines: string[] = [];
  const results: string[] = [];
  const all: string[] = [];
  const sink = (into: string[]) => ({
    write(s: string) {
      for (const line of s.replace(/\n$/, '').split('\n')) {
        into.push(line);
        all.push(line);
      }
    },
    isTTY: false,
  });
  const out = createTerminalOutput({ stderr: sink(lines), stdout: sink(results) });
  return Object.assign(out, { lines, results, text: () => all.join('\n') });
}

/**
 * A non-TTY Output whose stderr lines (info, `warning: ` lines, progress) go to `line` and stdout lines to
 * `result` (default: `line` too).
 */
export function linesOutput(line: (text: string) => void, result: (text: string) => void = line): Output {
  const sink = (push: (text: string) => void) => ({
    write(s: string) {
      for (const l of s.replace(/\n$/, '').split('\n')) push(l);
    },
    isTTY: false,
  });
  return createTerminalOutput({ stderr: sink(line), stdout: sink(result) });
}
