/**
 * The parity report: one JSON document (written next to the runs, with the tolerances used and what was sampled,
 * so a result can be judged later) and the same as an aligned plain-text table for the terminal (colours only on
 * a TTY), which says which checks were sampled and on how many rows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import type { ParityTolerances } from '../config/schema.js';
import { fmt, LAYER_NAMES, type CheckResult, type CheckStatus, type Layer } from './check-result.js';
import type { Comparison } from './compare.js';
import type { RunData } from '../outputs/run-data.js';

export interface RunRef {
  location: string;
  run_id: string;
  output_uri: string;
  input_uri: string;
}

export interface ParityReport {
  schema_version: 1;
  created_at: string;
  outcome: 'pass' | 'fail';
  /** The first layer that failed, with its name; null when parity holds. */
  failed_layer: { layer: Layer; name: string } | null;
  a: RunRef;
  b: RunRef;
  tolerances: ParityTolerances;
  summary: Record<CheckStatus, number>;
  /**
   * What was compared on a seeded sample rather than on every row (large runs; outputs/sample.ts): the seed, the
   * limits, and each sampled check with its row counts. Empty `checks` when every row was compared.
   */
  sampling: {
    seed: number;
    limits: { keysWhole: number; valuesWhole: number; sampleRows: number };
    checks: { name: string; rows: number; of: number }[];
  };
  checks: CheckResult[];
}

function ref(run: RunData): RunRef {
  const m = run.manifest;
  return { location: run.location, run_id: m.run_id, output_uri: m.output_uri, input_uri: m.input_uri };
}

export function buildReport(a: RunData, b: RunData, comparison: Comparison, tolerances: ParityTolerances, now = new Date()): ParityReport {
  const summary: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const c of comparison.checks) summary[c.status]++;
  return {
    schema_version: 1,
    created_at: now.toISOString(),
    outcome: comparison.passed ? 'pass' : 'fail',
    failed_layer: comparison.failedLayer ? { layer: comparison.failedLayer, name: LAYER_NAMES[comparison.failedLayer] } : null,
    a: ref(a),
    b: ref(b),
    tolerances,
    summary,
    sampling: {
      seed: a.limits.seed,
      limits: { keysWhole: a.limits.keysWhole, valuesWhole: a.limits.valuesWhole, sampleRows: a.limits.sampleRows },
      checks: comparison.checks.flatMap((c) => (c.sample ? [{ name: c.name, rows: c.sample.rows, of: c.sample.of }] : [])),
    },
    checks: comparison.checks,
  };
}

const safe = (id: string) => id.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * `parity-<a>-vs-<b>.json` beside the first local run folder (runs/ for runs/<id>), else in runsDir when both
 * runs were read from S3.
 */
export function reportPath(opts: { aRunId: string; bRunId: string; aDir?: string; bDir?: string; runsDir: string }): string {
  const dir = opts.aDir ? path.dirname(opts.aDir) : opts.bDir ? path.dirname(opts.bDir) : opts.runsDir;
  return path.join(dir, `parity-${safe(opts.aRunId)}-vs-${safe(opts.bRunId)}.json`);
}

export function writeReport(file: string, report: ParityReport): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

const STATUS_TEXT: Record<CheckStatus, string> = { pass: 'pass', fail: 'FAIL', warn: 'warn', skip: 'skip' };

/** The report as terminal lines: header, aligned table, listings, verdict. */
export function formatReport(report: ParityReport, opts: { color: boolean }): string[] {
  const c = pc.createColors(opts.color);
  const paint: Record<CheckStatus, (s: string) => string> = { pass: c.green, fail: c.red, warn: c.yellow, skip: c.dim };
  const header = ['layer', 'check', 'status', 'measured', 'tolerance', 'detail'];
  const rows = report.checks.map((r) => [
    `${r.layer} ${LAYER_NAMES[r.layer]}`,
    r.name,
    STATUS_TEXT[r.status],
    r.measured === null ? '-' : typeof r.measured === 'number' ? fmt(r.measured) : r.measured,
    r.tolerance ?? '-',
    r.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[], status?: CheckStatus) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
        return i === 2 && status ? paint[status](padded) : padded;
      })
      .join('  ')
      .trimEnd();

  const out = [
    `parity  A: ${report.a.location} (run ${report.a.run_id})`,
    `        B: ${report.b.location} (run ${report.b.run_id})`,
    '',
    c.bold(line(header)),
    ...rows.map((row, i) => line(row, report.checks[i]!.status)),
  ];
  const listings = report.checks.filter((r) => r.items && r.items.length > 0 && r.status !== 'pass');
  for (const r of listings) {
    out.push('', `${r.name}:`, ...r.items!.map((item) => `  ${item}`));
  }
  out.push('', ...samplingLines(report));
  const s = report.summary;
  const counts = `${s.pass} passed, ${s.fail} failed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.skip} skipped`;
  if (report.outcome === 'pass') {
    out.push(c.green(`parity holds: ${counts}`));
  } else {
    const fl = report.failed_layer!;
    const failed = report.checks.filter((r) => r.status === 'fail').map((r) => r.name);
    out.push(c.red(`parity FAILED at layer ${fl.layer} (${fl.name}): ${failed.join(', ')}`), counts);
  }
  return out;
}

/** One line per sample size: which checks looked at a sample, and of how many rows; nothing when all rows were compared. */
export function samplingLines(report: ParityReport): string[] {
  const sampled = report.sampling?.checks ?? [];
  if (sampled.length === 0) return [];
  const groups = new Map<string, string[]>();
  for (const c of sampled) {
    const key = `${c.rows} of ${c.of}`;
    groups.set(key, [...(groups.get(key) ?? []), c.name]);
  }
  return [
    ...[...groups].map(([size, names]) => `sampled: ${names.join(', ')} on a sample of ${size} rows (seed ${report.sampling.seed})`),
    'counts and key sets are compared over all rows (streamed counts, digests of every key)',
    '',
  ];
}
