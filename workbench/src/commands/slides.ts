/**
 * `npm run slides -- <run folder | run id | s3:// output> [--template slides/deck.md]`: the defence deck from a
 * run. Writes report.html first (the deck shows the report's own figures), then under `<run folder>/slides/`:
 * deck.md (the template with the run's figures filled in), deck.html (always; Marp CLI, one file with the plots
 * as data: images) and deck.pdf (when Chromium is present: setup/chromium.ts; Marp drives it via --browser-path).
 * Without Chromium the plots are not drawn to images: the deck points to report.html instead, and says so.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { marpCli } from '@marp-team/marp-cli';
import type { Command } from 'commander';
import { ConfigError, JobError } from '../errors.js';
import { defaultParityDeps } from './parity-runs.js';
import { inspectReport } from '../report/browser.js';
import { countSlides, deckFields, fillDeck } from '../report/deck.js';
import { writeReportFile } from '../report/write.js';
import { reportProfiles } from '../report/model.js';
import { displayPath } from '../run/locations.js';
import { findChromium, CHROMIUM_INSTALL } from '../setup/chromium.js';
import { readVersions } from '../setup/versions.js';
import { planProfile } from './report.js';
import type { CommandContext, CommandSpec } from './types.js';

/** versions.json's EMR release (setup/versions.ts types only what set-up reads). */
function emrRelease(root: string): string {
  return (readVersions(root) as { emr?: { releaseLabel?: string } }).emr?.releaseLabel ?? 'the pinned release';
}

async function marp(args: string[], what: string): Promise<void> {
  const code = await marpCli(args);
  if (code !== 0) throw new JobError(`Marp CLI could not build the ${what} (exit ${code})`, 'see its messages above; check the deck template');
}

export const command: CommandSpec = {
  name: 'slides',
  description: "build the defence deck from a run (slides/deck.md + the run's figures): HTML always, PDF when Chromium is present",
  configure(cmd: Command) {
    cmd
      .argument('<run>', 'a runs/<id> folder, a run id under runs/, or an s3:// / s3a:// output URI')
      .option('--template <file>', 'Marp Markdown template (default: slides/deck.md)')
      .option('--out <dir>', 'folder for report.html when the run is an s3:// output (default: runs/reports/<run-id>/)')
      .option('--no-pdf', 'HTML only, even when Chromium is present');
  },
  async run({ options, operands }, ctx: CommandContext) {
    if (operands.length !== 1) {
      throw new ConfigError([{ key: 'run', message: `got ${operands.length} runs`, fix: 'give one: npm run slides -- runs/<id>' }], 'slides');
    }
    const cwd = ctx.env.INIT_CWD ?? process.cwd();
    const location = operands[0]!;
    const named = options.profile === undefined ? planProfile(location, cwd, path.join(ctx.root, 'runs')) : undefined;
    const cfg = ctx.loadConfig(named ? { profile: named } : {});
    const profiles = reportProfiles(cfg.profiles);
    const report = await writeReportFile(location, {
      cwd,
      runsDir: cfg.runsDir,
      s3Client: (where) => defaultParityDeps.s3ClientFor(cfg, where, ctx),
      outDir: options.out ? path.resolve(cwd, String(options.out)) : (runId: string) => path.join(cfg.runsDir, 'reports', runId),
      profiles,
    });
    const deckDir = path.join(path.dirname(report.file), 'slides');
    await mkdir(deckDir, { recursive: true });

    const chromium = findChromium(ctx.env);
    const figures: Record<string, string> = {};
    if (chromium) {
      const page = await inspectReport(report.file, { executablePath: chromium, figuresDir: path.join(deckDir, 'figures'), width: 1280 });
      for (const f of page.figures) {
        if (f.rendered && f.png) figures[f.name] = `data:image/png;base64,${(await readFile(f.png)).toString('base64')}`;
      }
    } else {
      ctx.out.warn(`chromium is missing: the deck points to report.html instead of showing the plots, and no PDF is made (${CHROMIUM_INSTALL})`);
    }

    const templateFile = options.template ? path.resolve(cwd, String(options.template)) : path.join(ctx.root, 'slides', 'deck.md');
    const template = await readFile(templateFile, 'utf8');
    const filled = fillDeck(template, deckFields(report.model, { emrRelease: emrRelease(ctx.root) }), figures);
    if (filled.unknownFields.length > 0) ctx.out.warn(`the template uses fields the run does not give: ${filled.unknownFields.join(', ')}`);
    const md = path.join(deckDir, 'deck.md');
    await writeFile(md, filled.markdown);

    const html = path.join(deckDir, 'deck.html');
    await marp([md, '--html', '--no-stdin', '-o', html], 'HTML deck');
    const outputs = [displayPath(html, cwd)];
    if (chromium && options.pdf !== false) {
      const pdf = path.join(deckDir, 'deck.pdf');
      await marp([md, '--pdf', '--html', '--no-stdin', '--browser-path', chromium, '-o', pdf], 'PDF deck');
      outputs.push(displayPath(pdf, cwd));
    }
    ctx.out.result(`slides: ${outputs.join(', ')} (${countSlides(filled.markdown)} slides from run ${report.model.runId}; report ${displayPath(report.file, cwd)})`);
    return 0;
  },
};
