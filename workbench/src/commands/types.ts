import type { Command } from 'commander';
import type { ConfigOverrides } from '../config/load.js';
import type { WorkbenchConfig } from '../config/schema.js';
import type { RunContext } from '../context.js';

export type { Output } from '../terminal/index.js';

export interface CommandContext extends RunContext {
  /** Loads and validates the config once (file <- env <- flags); call at most once per command. */
  loadConfig(flags?: ConfigOverrides): WorkbenchConfig;
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
