/**
 * Loads two run outputs, runs the layered checks, writes the JSON report and prints the table. Shared by
 * `npm run parity` and by `npm run promote` (EMR run vs the local run of the same input).
 */
import path from 'node:path';
import type { Output } from '../terminal/index.js';
import type { ParityTolerances } from '../config/schema.js';
import { compareRuns, type Comparison } from './compare.js';
import { loadRun } from '../outputs/load-run.js';
import { buildReport, formatReport, reportPath, writeReport, type ParityReport } from './report.js';
import { LocalRunSource, type RunSource } from '../outputs/source.js';
import type { ReadLimits } from '../outputs/sample.js';

export interface CompareOutputsResult {
  comparison: Comparison;
  report: ParityReport;
  /** Where the JSON report was written. */
  file: string;
}

export async function compareOutputs(
  sources: [RunSource, RunSource],
  opts: { tolerances: ParityTolerances; runsDir: string; out: Output; allLayers?: boolean; reportFile?: string; limits?: ReadLimits },
): Promise<CompareOutputsResult> {
  const runs = [];
  for (const source of sources) {
    opts.out.info(`parity: reading ${source.location}`);
    const run = await loadRun(source, opts.limits);
    const f = run.tables.features;
    const kept = f.valuesBound === undefined ? 'all kept' : `a seeded sample of ${run.features.size} kept (seed ${run.limits.seed})`;
    opts.out.info(`parity: ${f.rows} feature rows, ${run.rows.errors} error rows streamed; feature values: ${kept}`);
    runs.push(run);
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
  const comparison = compareRuns(a, b, opts.tolerances, { allLayers: Boolean(opts.allLayers) });
  const report = buildReport(a, b, comparison, opts.tolerances);
  const dirOf = (i: number) => (sources[i] instanceof LocalRunSource ? sources[i].dir : undefined);
  const file =
    opts.reportFile ?? reportPath({ aRunId: a.manifest.run_id, bRunId: b.manifest.run_id, aDir: dirOf(0), bDir: dirOf(1), runsDir: opts.runsDir });
  writeReport(file, report);
  for (const line of formatReport(report, { color: opts.out.isTTY })) opts.out.result(line);
  const shown = path.relative(process.cwd(), file);
  opts.out.info(`parity: report written to ${shown.startsWith('..') ? file : shown}`);
  return { comparison, report, file };
}
