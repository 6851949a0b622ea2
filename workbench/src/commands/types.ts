import type { Command } from 'commander';
import type { ConfigOverrides } from '../config/load.js';
import type { WorkbenchConfig } from '../config/schema.js';
import type { Scope } from '../lifecycle.js';

/** Where a command prints: plain lines on stdout (results) and stderr (progress, warnings). */
export interface Output {
  info(line: string): void;
  warn(line: string): void;
  /** Results meant for the user (summary, tables); stdout. */
  result(line: string): void;
  isTTY: boolean;
}

export interface CommandContext extends Scope {
  /** Loads and validates the config once (file <- env <- flags); call at most once per command. */
  loadConfig(flags?: ConfigOverrides): WorkbenchConfig;
  out: Output;
  /** The process env, for the few things that legitimately come from it (AWS credential chain, CI). */
  env: Record<string, string | undefined>;
  root: string;
}

export interface CommandSpec {
  name: string;
  description: string;
  /** Adds the command's own options/arguments. The global --config/--profile are already there. */
  configure(cmd: Command): void;
  /** Returns the exit code (0 when omitted). Throws WorkbenchError subclasses for expected failures. */
  run(args: { options: Record<string, unknown>; operands: string[] }, ctx: CommandContext): Promise<number | void>;
}
