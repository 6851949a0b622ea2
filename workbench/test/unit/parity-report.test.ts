/** The report: JSON with tolerances, file placement, and the aligned table (colour only when asked). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParitySchema } from '../../src/config/schema.js';
import { compareRuns } from '../../src/parity/compare.js';
import { loadRun } from '../../src/outputs/load-run.js';
import { buildReport, formatReport, reportPath } from '../../src/parity/report.js';
import { openRunSource } from '../../src/outputs/source.js';
import { baseRun, removeImage, rerun, writeRun } from '../fixtures/parity/synthetic-run.js';

const tolerances = ParitySchema.parse({});
const root = mkdtempSync(path.join(tmpdir(), 'parity-report-'));

async function report(bEdit = (r: ReturnType<typeof baseRun>) => r) {
  const base = baseRun();
  const a = await loadRun(openRunSource(writeRun(path.join(root, 'a'), base)));
  const b = await loadRun(openRunSource(writeRun(path.join(root, 'b'), bEdit(rerun(base)))));
  return buildReport(a, b, compareRuns(a, b, tolerances), tolerances, new Date('2026-11-25T20:00:00Z'));
}

describe('parity report', () => {
  it('records outcome, runs, tolerances and a summary', async () => {
    const r = await report();
    expect(r).toMatchObject({
      schema_version: 1, created_at: '2026-11-25T20:00:00.000Z', outcome: 'pass', failed_layer: null,
      a: { run_id: 'run-a', location: path.join(root, 'a') }, b: { run_id: 'run-b', output_uri: 's3a://fruits/runs/run-b/' },
      tolerances,
    });
    expect(r.summary).toEqual({ pass: r.checks.length, fail: 0, warn: 0, skip: 0 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('is written beside the first local run, else beside the second, else in runs/', () => {
    const ids = { aRunId: '2026 a', bRunId: 'b/2', runsDir: '/repo/runs' };
    expect(reportPath({ ...ids, aDir: '/repo/runs/a', bDir: '/x/b' })).toBe('/repo/runs/parity-2026_a-vs-b_2.json');
    expect(reportPath({ ...ids, bDir: '/x/b' })).toBe('/x/parity-2026_a-vs-b_2.json');
    expect(reportPath(ids)).toBe('/repo/runs/parity-2026_a-vs-b_2.json');
  });

  it('prints an aligned plain table, the listings of failed checks and the verdict', async () => {
    const r = await report((b) => removeImage(b, 'Cherry/1_100.jpg'));
    const lines = formatReport(r, { color: false });
    const text = lines.join('\n');
    expect(text).not.toMatch(/\x1b\[/);
    const header = lines.find((l) => l.startsWith('layer'))!;
    const row = lines.find((l) => l.includes('provenance.input-set'))!;
    expect(row.indexOf('FAIL')).toBe(header.indexOf('status'));
    expect(row.indexOf('equal')).toBe(header.indexOf('tolerance'));
    expect(text).toMatch(/\nprovenance\.input-set:\n {2}only in A: Cherry\/1_100\.jpg\n/);
    expect(lines.find((l) => l.startsWith('4 features'))).toMatch(/skip\s+-\s+-\s+skipped: layer 1 \(provenance\) failed/);
    expect(lines.at(-2)).toBe('parity FAILED at layer 1 (provenance): provenance.input-set');
    expect(formatReport(r, { color: true }).join('\n')).toMatch(/\x1b\[31m/);
  });
});
