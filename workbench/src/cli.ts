#!/usr/bin/env node
/**
 * argv -> a command, and the one top-level error handler: typed WorkbenchErrors become an exit code and a
 * one-line fix; anything else is a bug and is printed with its stack.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { createColors } from 'picocolors';
import { loadConfig, type ConfigOverrides } from './config/load.js';
import { DEFAULT_RELEASE, RELEASE_LABELS } from './config/releases.js';
import { AbortedError, CleanupError, WorkbenchError } from './errors.js';
import { withScope } from './lifecycle.js';
import { command as bench } from './commands/bench.js';
import { command as docs } from './commands/docs.js';
import { command as local } from './commands/local.js';
import { command as notebook } from './commands/notebook.js';
import { command as parity } from './commands/parity.js';
import { command as promote } from './commands/promote.js';
import { command as report } from './commands/report.js';
import { command as setup } from './commands/setup.js';
import { command as slides } from './commands/slides.js';
import { command as stop } from './commands/stop.js';
import type { CommandSpec } from './commands/types.js';
import { processOutput, type Output } from './terminal/index.js';

export const COMMANDS: CommandSpec[] = [setup, local, stop, parity, promote, bench, report, slides, notebook, docs];
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');


export function reportError(err: unknown, out: Output): number {
  // Colour on a terminal only: CI logs and captured output stay plain text.
  const pc = createColors(out.isTTY);
  if (err instanceof CleanupError) {
    // The error that happened first, with its fix; then each clean-up failure with its own fix.
    const code = err.original !== undefined ? reportError(err.original, out) : err.exitCode;
    for (const f of err.failures) {
      out.info(`${pc.red('error during clean-up:')} ${f.label}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
      out.info(`${pc.cyan('fix:')} ${f.fix}`);
    }
    return code;
  }
  if (err instanceof WorkbenchError) {
    out.info(`${pc.red('error:')} ${err.message}`);
    if (err.fix) out.info(`${pc.cyan('fix:')} ${err.fix}`);
    return err.exitCode;
  }
  if (err instanceof CommanderError) return err.exitCode;
  out.info(pc.red('unexpected error (a bug: please report it with the lines below)'));
  out.info(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const out = processOutput();
  const program = new Command('workbench')
    .description('Fruits! workbench: run the PySpark image job locally, check parity, promote to EMR (EU).')
    .showHelpAfterError()
    .exitOverride();
  let exitCode = 0;
  for (const spec of COMMANDS) {
    const cmd = program
      .command(spec.name)
      .description(spec.description)
      .option('-c, --config <file>', 'config file (default: workbench.yaml at the repo root)')
      .option('-p, --profile <name>', 'profile: local | cluster | emr (default: defaultProfile in the config)')
      .option('--release <label>', `EMR release whose Spark the profile runs: ${RELEASE_LABELS.join(' | ')} (default: ${DEFAULT_RELEASE.label}); env WORKBENCH_RELEASE`)
      .exitOverride();
    spec.configure(cmd);
    cmd.action(async (...actionArgs: unknown[]) => {
      const self = actionArgs.at(-1) as Command;
      const options = self.opts();
      const operands = self.args;
      exitCode =
        (await withScope(async (scope) => {
          let loaded = false;
          const ctx = {
            ...scope,
            out,
            env: process.env,
            root: REPO_ROOT,
            loadConfig(flags: ConfigOverrides = {}) {
              if (loaded) throw new Error('loadConfig called twice in one command');
              loaded = true;
              return loadConfig({
                root: REPO_ROOT,
                configPath: options.config ? path.resolve(String(options.config)) : undefined,
                env: process.env,
                flags: { profile: options.profile as string | undefined, release: options.release as string | undefined, ...flags },
              });
            },
          };
          const code = await spec.run({ options, operands }, ctx);
          if (scope.signal.aborted) throw new AbortedError();
          return code ?? 0;
        }, { log: (line) => out.info(line) })) ?? 0;
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')) return 0;
    if (err instanceof CommanderError && err.code === 'commander.help') return 0;
    return reportError(err, out);
  }
}

// The AWS SDK warns on every client creation that Node 20 support ends; the workbench supports Node >= 20 on
// purpose (the machines it targets), so the warning is noise here, not news.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportError(err, processOutput())),
  );
}
