/**
 * `npm run parity -- A B`: compares two run outputs (runs/<id> folders, run ids, file://, s3:// or s3a:// URIs),
 * prints the layered checks as a table, writes the JSON report next to the runs and fails (ParityError, exit 6)
 * when a check fails. With no operands it first runs the job on the `local` and the `cluster` profile, same input.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, ParityError } from '../errors.js';
import { compareOutputs } from '../parity/compare-outputs.js';
import { openRunSource, type RunSource } from '../outputs/source.js';
import type { ParityDeps } from './parity-deps.js';
import { defaultParityDeps } from './parity-runs.js';
import type { CommandContext, CommandSpec } from './types.js';

export function createParityCommand(deps: ParityDeps): CommandSpec {
  return {
    name: 'parity',
    description: 'check, layer by layer, that two runs of the job agree (no runs given: run local and cluster, then compare)',
    configure(cmd: Command) {
      cmd
        .argument('[runs...]', 'two run outputs: runs/<id> folders, run ids, or s3:// / s3a:// output URIs')
        .option('--all-layers', 'run every layer even after one fails (see how far apart two runs are)')
        .option('--report <file>', 'where to write the JSON report (default: parity-<a>-vs-<b>.json beside the first local run)');
    },
    async run({ options, operands }, ctx: CommandContext) {
      if (operands.length !== 0 && operands.length !== 2) {
        throw new ConfigError(
          [{ key: 'runs', message: `got ${operands.length} run(s)`, fix: 'give two run outputs (npm run parity -- A B), or none to run local and cluster and compare' }],
          'parity',
        );
      }
      const cfg = ctx.loadConfig();
      let locations = operands;
      if (locations.length === 0) {
        const missing = (['local', 'cluster'] as const).filter((name) => cfg.profiles[name]?.kind !== name);
        if (missing.length > 0) {
          throw new ConfigError(
            missing.map((name) => ({ key: `profiles.${name}`, message: `parity's default run needs a ${name} profile of kind ${name}`, fix: 'add it, or compare two existing outputs: npm run parity -- A B' })),
            'parity',
          );
        }
        ctx.out.info('parity: no runs given: running the job on the local profile, then on the cluster profile (same input and settings)');
        const local = await deps.produceRun('local', { cfg, command: ctx });
        const cluster = await deps.produceRun('cluster', { cfg, command: ctx });
        locations = [local.runDir, cluster.runDir];
      }

      const sources = locations.map((loc) =>
        openRunSource(loc, { runsDir: cfg.runsDir, s3Client: (where) => deps.s3ClientFor(cfg, where, ctx) }),
      );
      const { comparison, report, file } = await compareOutputs(sources as [RunSource, RunSource], {
        tolerances: cfg.parity,
        runsDir: cfg.runsDir,
        out: ctx.out,
        allLayers: Boolean(options.allLayers),
        reportFile: options.report ? path.resolve(String(options.report)) : undefined,
      });
      if (!comparison.passed) {
        const failed = comparison.checks.filter((c) => c.status === 'fail');
        throw new ParityError(
          `parity failed at layer ${report.failed_layer!.layer} (${report.failed_layer!.name}): ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
          `the table above shows every check and ${path.basename(file)} the same as JSON; tolerances live under parity: in workbench.yaml`,
        );
      }
      return 0;
    },
  };
}

export const command: CommandSpec = createParityCommand(defaultParityDeps);
