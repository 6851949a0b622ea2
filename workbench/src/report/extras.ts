/**
 * The optional files a report shows beside the run's outputs: the promote plan (`promote-plan.json`, or an EMR
 * Serverless run's `serverless-plan.json`, with the cost estimate; `promote-outcome.json` when the promote command
 * records the cluster's up time, or the Serverless job run's billed usage) and a parity
 * report. Parity writes `parity-vs-local.json` into an EMR run's folder, and `parity-<a>-vs-<b>.json` beside
 * the first local run (runs/), so both places are looked at; the newest report naming this run wins.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunSource } from '../outputs/source.js';
import type { PromotePlanLike } from './cost.js';
import { parseRunRecord, RUN_RECORD, type RunRecord } from '../run/run-record.js';

/** The fields of a parity report (parity/report.ts ParityReport) the report shows. */
export interface ParityReportLike {
  outcome: 'pass' | 'fail';
  failed_layer: { layer: number; name: string } | null;
  a?: { run_id: string; location: string };
  b?: { run_id: string; location: string };
  summary?: Record<string, number>;
  checks?: { name: string; status: string; measured: unknown; tolerance: unknown; detail: unknown }[];
}

export interface RunExtras {
  plan?: PromotePlanLike;
  parity?: { file: string; report: ParityReportLike };
  /** run.json: which target ran the run (absent in run folders from before it). */
  record?: RunRecord;
  /** Files that were there but could not be read, for a warning (the report is still written). */
  unreadable: string[];
}

function isParityReport(v: unknown): v is ParityReportLike {
  return typeof v === 'object' && v !== null && ((v as { outcome?: unknown }).outcome === 'pass' || (v as { outcome?: unknown }).outcome === 'fail');
}

async function readJson(read: () => Promise<string | undefined>, name: string, unreadable: string[]): Promise<unknown> {
  let text: string | undefined;
  try {
    text = await read();
  } catch {
    return undefined; // an S3 source without the file (or without access to it): nothing to show
  }
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    unreadable.push(name);
    return undefined;
  }
}

/** Parity reports naming this run, in the run folder and beside it, newest first. */
export function parityCandidates(runDir: string, runId: string): string[] {
  const safe = runId.replace(/[^A-Za-z0-9._-]+/g, '_');
  const found: { file: string; mtime: number }[] = [];
  const look = (dir: string, accept: (name: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('parity-') || !name.endsWith('.json') || !accept(name)) continue;
      const file = path.join(dir, name);
      found.push({ file, mtime: statSync(file).mtimeMs });
    }
  };
  look(runDir, () => true);
  look(path.dirname(runDir), (name) => name.startsWith(`parity-${safe}-vs-`) || name.endsWith(`-vs-${safe}.json`));
  return found.sort((x, y) => y.mtime - x.mtime).map((f) => f.file);
}

export async function readRunExtras(source: RunSource, opts: { runDir?: string; runId: string }): Promise<RunExtras> {
  const unreadable: string[] = [];
  // An EMR on EC2 run keeps promote-plan.json, an EMR Serverless run serverless-plan.json (its estimate has the same fields).
  const plan = ((await readJson(() => source.readText('promote-plan.json'), 'promote-plan.json', unreadable)) ??
    (await readJson(() => source.readText('serverless-plan.json'), 'serverless-plan.json', unreadable))) as PromotePlanLike | undefined;
  const outcome = (await readJson(() => source.readText('promote-outcome.json'), 'promote-outcome.json', unreadable)) as PromotePlanLike['outcome'];
  const extras: RunExtras = { unreadable };
  const recordText = await source.readText(RUN_RECORD).catch(() => undefined);
  if (recordText !== undefined) {
    const record = parseRunRecord(recordText);
    if (record) extras.record = record;
    else unreadable.push(RUN_RECORD);
  }
  if (plan && typeof plan === 'object') extras.plan = outcome && typeof outcome === 'object' ? { ...plan, outcome } : plan;

  if (opts.runDir) {
    for (const file of parityCandidates(opts.runDir, opts.runId)) {
      const report = await readJson(() => readFile(file, 'utf8'), path.basename(file), unreadable);
      if (isParityReport(report)) {
        extras.parity = { file, report };
        break;
      }
    }
  } else {
    const report = await readJson(() => source.readText('parity-vs-local.json'), 'parity-vs-local.json', unreadable);
    if (isParityReport(report)) extras.parity = { file: 'parity-vs-local.json', report };
  }
  return extras;
}
