/**
 * `npm run docs`: regenerates the figure blocks (`<!-- figures:NAME -->` ... `<!-- /figures:NAME -->`) of the
 * README, the critical review, docs/promote.md, docs/job-contract.md and pipeline/README.md from their sources:
 * the committed bench results, emr/sizing.ts, the price table, the artifact's file list (workbench/src/docs/).
 *
 *   npm run docs                      rewrite the stale blocks in place
 *   npm run docs -- --check           change nothing; exit 1 naming each file, block and first differing line
 *   npm run docs -- --stamp FILE...   add this machine and the date to bench results that lack them
 *
 * Needs no set-up, network or stack: `make test` (and so CI) runs the check.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatProblem, renderDocs } from '../docs/check.js';
import { stampResult } from '../docs/machine.js';
import { repoSources } from '../docs/sources.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'docs',
  description: 'regenerate the figures in the docs from bench-results/, emr/sizing.ts and the price table (--check: only verify)',
  configure(cmd) {
    cmd
      .option('--check', 'change nothing; exit 1 when a figure disagrees with its source')
      .option('--stamp <files...>', 'add this machine and the measurement date to bench result files that lack them, then regenerate');
  },
  async run({ options }, ctx) {
    const cwd = ctx.env.INIT_CWD ?? process.cwd();
    if (options.stamp) {
      for (const f of options.stamp as string[]) {
        const added = stampResult(path.resolve(cwd, f));
        ctx.out.info(added.length ? `docs: ${f}: added ${added.join(' and ')}` : `docs: ${f}: already has its machine and date`);
      }
    }
    const { docs, problems } = renderDocs(ctx.root, repoSources(ctx.root));
    if (options.check) {
      for (const p of problems) ctx.out.info(formatProblem(p));
      if (problems.length > 0) {
        ctx.out.info(`docs: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the figures of ${docs.length} docs`);
        return 1;
      }
      ctx.out.result(`docs: the figures of ${docs.length} docs agree with their sources`);
      return 0;
    }
    let written = 0;
    for (const d of docs) {
      if (d.after !== undefined && d.after !== d.before) {
        writeFileSync(path.join(ctx.root, d.file), d.after);
        ctx.out.info(`docs: regenerated ${d.file}`);
        written++;
      }
    }
    // What regeneration cannot fix (missing or unknown blocks, bad sources, figures typed in prose) is left to the user.
    const left = renderDocs(ctx.root, repoSources(ctx.root)).problems;
    for (const p of left) ctx.out.info(formatProblem(p));
    ctx.out.result(`docs: ${written} doc${written === 1 ? '' : 's'} regenerated${left.length ? `; ${left.length} problem(s) need a hand` : ''}`);
    return left.length > 0 ? 1 : 0;
  },
};
