/**
 * report.html's content, without a browser: a contract-shaped run folder (the parity fixture, written with
 * hyparquet-writer) is read through the one reader of run outputs, and the model and page are checked figure
 * by figure. The browser test (integration/report-browser.test.ts) checks the drawing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunOutputs } from '../../src/outputs/index.js';
import { buildReportModel, costOf, CSP, plotNames, renderReportHtml, writeReportFile } from '../../src/report/index.js';
import { installPlan, findChromium } from '../../src/setup/chromium.js';
import { baseRun, clone, writeRun } from '../fixtures/parity/synthetic-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'report-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const profiles = { local: { kind: 'local', region: 'eu-west-3' }, outside: { kind: 'cluster', region: 'eu-west-2' } };
const noAssets = { scripts: [] };

function runDir(name: string, mutate?: (r: ReturnType<typeof baseRun>) => void): string {
  const run = clone(baseRun());
  run.manifest.run_id = name;
  run.manifest.timings_s = { read: 1.5, weights: 0.5, featurize: 10, pca: 2, write: 1, total: 15 };
  mutate?.(run);
  return writeRun(path.join(tmp, 'runs', name), run);
}

describe('report model', () => {
  it('shows every figure the run folder holds', async () => {
    const run = await readRunOutputs(runDir('run-model'));
    const m = buildReportModel({ run, profiles, now: new Date('2026-12-01T00:00:00Z') });
    expect(m.counts).toEqual({ inputs: 13, features: 12, errors: 1, featurized: 13, consistent: true });
    expect(m.errors).toEqual([{ key: 'Apricot/broken.jpg', label: 'Apricot', reason: 'cannot identify image file' }]);
    expect(m.scatter).toHaveLength(run.features.size);
    expect(m.scatter[0]).toMatchObject({ key: 'Apricot/1_100.jpg', label: 'Apricot' });
    expect(m.classes).toEqual([
      { label: 'Apricot', images: 4, errors: 1 },
      { label: 'Banana', images: 4, errors: 0 },
      { label: 'Cherry', images: 4, errors: 0 },
    ]);
    expect(m.variance.k).toBe(4);
    expect(m.variance.cumulative.at(-1)).toBeCloseTo(0.9);
    expect(m.timings.map((t) => t.stage)).toEqual(['read', 'weights', 'featurize', 'pca', 'write']);
    expect(m.totalSeconds).toBe(15);
    expect(m.where).toMatchObject({ profile: 'local', region: 'eu-west-3', inEu: true });
    expect(m.where.statement).toMatch(/EU region \(GDPR\)/);
    expect(m.provenance.weightsMeaningful).toBe(false);
    expect(m.warnings.join(' ')).toMatch(/not meaningful/);
    expect(m.cost).toBeNull();
    expect(m.parity).toBeNull();
    expect(plotNames(m)).toEqual(['variance-bars', 'variance-cumulative', 'scatter-pc1-pc2', 'scatter-pc1-pc3', 'classes', 'timings']);
  });

  it('says so when a run ran outside the EU', async () => {
    const run = await readRunOutputs(runDir('run-outside', (r) => (r.manifest.spark = { master: 'spark://127.0.0.1:7077' })));
    const m = buildReportModel({ run, profiles });
    expect(m.where).toMatchObject({ profile: 'outside', region: 'eu-west-2', inEu: false });
    expect(m.where.statement).toMatch(/^WARNING/);
  });

  it('prices an EMR run: the plan estimate against the elapsed time', () => {
    const plan = { profileName: 'emr', region: 'eu-west-3', plannedMinutes: 30, estimate: { totalEur: 0.5, eurPerHour: 1, worstCaseEur: 1.5, priceTable: { date: '2026-11-25' } } };
    const fromJob = costOf(plan, { started_at: '2026-11-25T20:00:00Z', finished_at: '2026-11-25T20:12:00Z' });
    expect(fromJob).toMatchObject({ estimatedEur: 0.5, elapsedMinutes: 12, elapsedEur: 0.2, priceTableDate: '2026-11-25' });
    expect(fromJob.elapsedBasis).toMatch(/job's own time/);
    const fromCluster = costOf({ ...plan, outcome: { elapsedMs: 18 * 60_000, clusterId: 'j-1' } }, { started_at: 'x', finished_at: 'y' });
    expect(fromCluster).toMatchObject({ elapsedMinutes: 18, elapsedEur: 0.3 });
    expect(costOf(plan, { started_at: 'x', finished_at: 'y' }).elapsedEur).toBeNull();
  });

  it('finds the parity report and the promote plan beside the run', async () => {
    const dir = runDir('run-emr');
    writeFileSync(path.join(dir, 'promote-plan.json'), JSON.stringify({ profileName: 'emr', region: 'eu-west-1', plannedMinutes: 20, estimate: { totalEur: 0.4, eurPerHour: 1.2 } }));
    writeFileSync(
      path.join(tmp, 'runs', 'parity-run-local-vs-run-emr.json'),
      JSON.stringify({
        outcome: 'pass', failed_layer: null, a: { run_id: 'run-local', location: 'runs/run-local' }, b: { run_id: 'run-emr', location: dir },
        summary: { pass: 9, fail: 0, warn: 1, skip: 0 }, checks: [{ name: 'pca.subspace', status: 'pass', measured: 1, tolerance: '>= 0.9999', detail: 'k = 4' }],
      }),
    );
    const built = await writeReportFile(dir, { profiles });
    expect(built.file).toBe(path.join(dir, 'report.html'));
    expect(built.model.where).toMatchObject({ profile: 'emr', region: 'eu-west-1', inEu: true });
    expect(built.model.cost).toMatchObject({ estimatedEur: 0.4, plannedMinutes: 20 });
    expect(built.model.parity).toMatchObject({ outcome: 'pass', against: 'run-local (runs/run-local)' });
    const html = readFileSync(built.file, 'utf8');
    expect(html).toContain('parity holds');
    expect(html).toContain('id="cost"');
  });
});

describe('report page', () => {
  it('is self-contained: inlined library, a CSP that forbids fetches, no external reference', async () => {
    const built = await writeReportFile(runDir('run-page'), { profiles });
    const html = built.html;
    expect(html).toContain(`content="${CSP.replace(/'/g, '&#39;')}"`);
    expect(CSP).toMatch(/default-src 'none'/);
    expect(html).toMatch(/<script data-lib="d3@[\d.]+">/);
    expect(html).toMatch(/<script data-lib="@observablehq\/plot@[\d.]+">/);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    for (const name of plotNames(built.model)) expect(html).toContain(`data-plot="${name}"`);
  });

  it('escapes what comes from the run (keys, reasons) in tables and in the data island', async () => {
    const evil = '<img src=x onerror=alert(1)></script>';
    const run = await readRunOutputs(
      runDir('run-evil', (r) => {
        r.errors[0]!.reason = evil;
      }),
    );
    const html = renderReportHtml(buildReportModel({ run }), noAssets);
    expect(html).not.toContain(evil);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const island = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(island).scatter).toHaveLength(12);
  });
});

describe('chromium prerequisite', () => {
  it('installs with apt-get only as root on Debian, else names the command', () => {
    expect(installPlan({ isRoot: true, isDebian: true })).toMatchObject({ kind: 'apt' });
    expect(installPlan({ isRoot: false, isDebian: true })).toEqual({ kind: 'refuse', fix: 'install it: sudo apt-get install -y chromium' });
    expect(installPlan({ isRoot: true, isDebian: false }).kind).toBe('refuse');
  });

  it('prefers CHROME_PATH, then the usual places', () => {
    const exists = (p: string) => p === '/opt/chrome' || p === '/usr/bin/chromium-browser';
    expect(findChromium({ CHROME_PATH: '/opt/chrome' }, exists)).toBe('/opt/chrome');
    expect(findChromium({}, exists)).toBe('/usr/bin/chromium-browser');
    expect(findChromium({}, () => false)).toBeUndefined();
  });
});
