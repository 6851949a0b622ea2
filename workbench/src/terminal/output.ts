/**
 * The one owner of the terminal. Every module prints through an Output: permanent lines (`info`, `warn`),
 * results on stdout (`result`), and progress through `task()`. Nothing else writes to process.stderr or
 * process.stdout, so a live progress line is never garbled by another writer.
 *
 * This module is the ground floor: it imports nothing from the rest of the workbench.
 */
export interface Output {
  /** A permanent line on stderr (progress narration, hints). */
  info(line: string): void;
  /** A permanent `warning:` line on stderr. */
  warn(line: string): void;
  /** A result meant for the user (summary, tables, plans) on stdout. */
  result(line: string): void;
  /** Whether stderr is a terminal (live lines, colour). */
  readonly isTTY: boolean;
  /**
   * Starts a task with progress. On a TTY it owns one live line, redrawn in place below the permanent lines;
   * off a TTY it prints a plain line at each quarter of `total` (and nothing for `status`), so a CI log shows it
   * moving without carriage returns.
   */
  task(label: string, opts?: TaskOptions): Task;
}

export interface TaskOptions {
  /** Units expected in all; without it there are no quarters, only the live line. */
  total?: number;
  /** How `done` (and `total`) read: plain counts by default, or bytes (KiB/MiB). */
  unit?: 'count' | 'bytes';
}

export interface Task {
  /** Progress so far, in the task's unit. */
  progress(done: number, total?: number): void;
  /** Free text on the task's live line (TTY only): the current Spark stage, a cluster state. */
  status(text: string): void;
  /** Ends the task: its live line goes away and `line`, if given, is printed as a permanent line. Idempotent. */
  end(line?: string): void;
}
