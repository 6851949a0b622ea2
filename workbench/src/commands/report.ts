/**
 * `npm run report -- <run folder | run id | s3:// output> [--out DIR]`: writes report.html for one run (see
 * workbench/src/report/). A local run gets runs/<id>/report.html; an s3:// output gets DIR/report.html (default
 * runs/reports/<run-id>/). S3 is read with the selected profile's access, exactly as `npm run parity` does
 * (the kept local stack's MinIO, or AWS for the emr profile); an EMR run's folder (with promote-plan.json)
 * selects the profile named in its plan unless --profile says otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { defaultParityDeps } from './parity-runs.js';
import { displayPath } from '../run/locations.js';
import { writeReportFile } from '../report/write.js';
import { reportProfiles } from '../report/model.js';
import { plotNames } from '../report/html.js';
import type { CommandContext, CommandSpec } from './types.js';

/** The profile named by an EMR run's saved plan, when `location` is such a folder. */
export function planProfile(location: string, cwd: string, runsDir?: string): string | undefined {
  for (const dir of [path.resolve(cwd, location), ...(runsDir ? [path.join(runsDir, location)] : [])]) {
    const file = path.join(dir, 'promote-plan.json');
    if (!existsSync(file)) continue;
    try {
      const name = (JSON.parse(readFileSync(file, 'utf8')) as { profileName?: unknown }).profileName;
      return typeof name === 'string' ? name : 'emr';
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export const command: CommandSpec = {
  name: 'report',
  description: 'write report.html for a run (self-contained, opens offline): provenance, counts, errors, PCA plots, timings, cost, parity',
  configure(cmd: Command) {
    cmd
      .argument('<run>', 'a runs/<id> folder, a run id under runs/, or an s3:// / s3a:// output URI')
      .option('--out <dir>', 'folder for report.html when the run is an s3:// output (default: runs/reports/<run-id>/)');
  },
  async run({ options, operands }, ctx: CommandContext) {
    if (operands.length !== 1) {
      throw new ConfigError([{ key: 'run', message: `got ${operands.length} runs`, fix: 'give one: npm run report -- runs/<id>' }], 'report');
    }
    const cwd = ctx.env.INIT_CWD ?? process.cwd();
    const location = operands[0]!;
    // Only the EMR run's plan decides the profile when the user did not: it names where its outputs live.
    const named = options.profile === undefined ? planProfile(location, cwd, path.join(ctx.root, 'runs')) : undefined;
    const cfg = ctx.loadConfig(named ? { profile: named } : {});
    const outDir = options.out ? path.resolve(cwd, String(options.out)) : (runId: string) => path.join(cfg.runsDir, 'reports', runId);
    const profiles = reportProfiles(cfg.profiles);
    const built = await writeReportFile(location, {
      cwd,
      runsDir: cfg.runsDir,
      s3Client: (where) => defaultParityDeps.s3ClientFor(cfg, where, ctx),
      outDir,
      profiles,
    });
    for (const note of built.notes) ctx.out.warn(note);
    const m = built.model;
    ctx.out.result(
      `report: ${displayPath(built.file, cwd)} (run ${m.runId}: ${m.counts.inputs} inputs, ${m.counts.errors} errors, k = ${m.variance.k}, ` +
        `${plotNames(m).length} plots${m.parity ? `, parity ${m.parity.outcome}` : ''}${m.cost ? ', EMR cost' : ''})`,
    );
    return 0;
  },
};
