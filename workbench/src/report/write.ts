/**
 * `writeReport(location)`: reads a run (a runs/<id>/ folder, a run id, or an s3:// output) through the one
 * reader of run outputs, finds the optional parity report and promote plan, and writes report.html: into the
 * run folder for a local run, into `outDir` for an s3:// output. The only effects of the report module.
 *
 * An EMR run's local folder (runs/<emr-run-id>/, written by npm run promote) holds the manifest and the plan but
 * not the Parquet outputs: those are read from the manifest's output_uri, so it needs an S3 client.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadRun } from '../outputs/load-run.js';
import { parseManifest } from '../outputs/manifest.js';
import type { RunData } from '../outputs/run-data.js';
import { RunOutputError } from '../outputs/run-output-error.js';
import type { ReadLimits } from '../outputs/sample.js';
import { LocalRunSource, openRunSource, type OpenOptions, type RunSource } from '../outputs/source.js';
import { loadChartAssets } from './assets.js';
import { readRunExtras } from './extras.js';
import { renderReportHtml, scatterStatement } from './html.js';
import { buildReportModel, type ReportInputs, type ReportModel } from './model.js';

export const REPORT_FILE = 'report.html';

export interface WriteReportOptions extends OpenOptions {
  /** Where report.html goes for an s3:// output (a folder, or one chosen from the run id); a local run folder gets it in place. */
  outDir?: string | ((runId: string) => string);
  profiles?: ReportInputs['profiles'];
  now?: Date;
  /** Batch and sample sizes of the outputs reader (outputs/sample.ts); the defaults unless a test shrinks them. */
  limits?: ReadLimits;
}

export interface BuiltReport {
  html: string;
  model: ReportModel;
  run: RunData;
  /** The local run folder, when the run has one. */
  runDir?: string;
  notes: string[];
}

/** The sources of one run: where its outputs are read, and the local folder (if any) holding plan and parity. */
async function sourcesOf(location: string, opts: WriteReportOptions): Promise<{ data: RunSource; side: RunSource; runDir?: string }> {
  const source = openRunSource(location, opts);
  if (!(source instanceof LocalRunSource)) return { data: source, side: source };
  const runDir = source.dir;
  if (existsSync(path.join(runDir, 'features')) || !existsSync(path.join(runDir, 'manifest.json'))) return { data: source, side: source, runDir };
  // A run record without outputs (an EMR run's folder): the outputs are where the manifest says.
  const manifest = parseManifest((await source.readText('manifest.json'))!, location);
  if (!/^s3a?:\/\//.test(manifest.output_uri)) {
    throw new RunOutputError(location, 'the folder has a manifest but no features/ and its output_uri is not on S3', 'copy the whole run output here, or rerun the job');
  }
  if (!opts.s3Client) {
    throw new RunOutputError(location, `the outputs of this run are in ${manifest.output_uri}, and no S3 access is configured here`, 'run `npm run report` with the profile that wrote it (e.g. --profile emr)');
  }
  return { data: openRunSource(manifest.output_uri.replace(/^s3a:/, 's3:'), opts), side: source, runDir };
}

export async function buildReport(location: string, opts: WriteReportOptions = {}): Promise<BuiltReport> {
  const { data, side, runDir } = await sourcesOf(location, opts);
  const run = await loadRun(data, opts.limits);
  if (data !== side) run.location = location;
  const extras = await readRunExtras(side, { runDir, runId: run.manifest.run_id });
  const model = buildReportModel({ run, profiles: opts.profiles, plan: extras.plan, parity: extras.parity, record: extras.record, now: opts.now });
  const notes = extras.unreadable.map((f) => `${f} is not valid JSON: left out of the report`);
  if (model.scatterSample) notes.push(`the PCA scatters show a ${scatterStatement(model)}; counts and classes are over all rows`);
  return { html: renderReportHtml(model, loadChartAssets()), model, run, runDir, notes };
}

/** Writes report.html and returns its path (and what was built, for the command's summary and the slides). */
export async function writeReportFile(location: string, opts: WriteReportOptions = {}): Promise<BuiltReport & { file: string }> {
  const built = await buildReport(location, opts);
  const dir = built.runDir ?? (typeof opts.outDir === 'function' ? opts.outDir(built.model.runId) : opts.outDir);
  if (!dir) {
    throw new RunOutputError(location, 'the run has no local folder to write report.html into', 'give a folder for it (npm run report -- <s3 uri> --out DIR)');
  }
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, REPORT_FILE);
  await writeFile(file, built.html);
  return { ...built, file };
}

/** `writeReport(location, opts)`: the path of the report.html written. */
export async function writeReport(location: string, opts: WriteReportOptions = {}): Promise<string> {
  return (await writeReportFile(location, opts)).file;
}
