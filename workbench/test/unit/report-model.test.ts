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
import { READ_LIMITS } from '../../src/outputs/sample.js';
import { buildReportModel, costOf, CSP, plotNames, renderReportHtml, writeReportFile } from '../../src/report/index.js';
import { installPlan, findChromium } from '../../src/setup/chromium.js';
import { baseRun, clone, writeRun } from '../fixtures/parity/synthetic-run.js';
import { runRecord, writeRunRecord } from '../../src/run/run-record.js';

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
    const m = buildReportModel({ run, profiles, record: runRecord('run-model', 'local', 'local'), now: new Date('2026-12-01T00:00:00Z') });
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
    const dir = runDir('run-outside');
    await writeRunRecord(dir, runRecord('run-outside', 'cluster', 'outside'));
    const m = (await writeReportFile(dir, { profiles })).model;
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

  it('an EMR Serverless run: its serverless-plan.json estimate and what AWS billed, side by side in vCPU-h, GB-h and EUR', async () => {
    const dir = runDir('run-sls');
    await writeRunRecord(dir, runRecord('run-sls', 'serverless', 'serverless', 'eu-west-1'));
    writeFileSync(path.join(dir, 'serverless-plan.json'), JSON.stringify({ profileName: 'serverless', region: 'eu-west-1', estimate: { totalEur: 0.02, minutes: 2, worstCaseEur: 0.3, rate: { eurPerHour: 0.6, vcpu: 8, memoryGb: 32 }, priceTable: { date: '2026-12-04' } } }));
    writeFileSync(
      path.join(dir, 'promote-outcome.json'),
      JSON.stringify({ applicationId: 'app-1', jobRunId: 'jr-1', elapsedMs: 150_000, billed: { vCPUHour: 0.3125, memoryGBHour: 1.25, storageGBHour: 0, eur: 0.0206, region: 'eu-west-1' }, estimate: { vCPUHour: 0.2667, memoryGBHour: 1.0667, storageGBHour: 0, eur: 0.02 } }),
    );
    const built = await writeReportFile(dir, { profiles });
    expect(built.model.cost).toMatchObject({ estimatedEur: 0.02, eurPerHour: 0.6, plannedMinutes: 2, elapsedMinutes: 2.5, priceTableDate: '2026-12-04' });
    expect(built.model.cost?.elapsedBasis).toMatch(/job run time.*jr-1/);
    expect(built.model.cost?.usage).toEqual({
      estimated: { vCPUHour: 0.2667, memoryGBHour: 1.0667, storageGBHour: 0, eur: 0.02 },
      billed: { vCPUHour: 0.3125, memoryGBHour: 1.25, storageGBHour: 0, eur: 0.0206 },
    });
    const html = readFileSync(built.file, 'utf8');
    expect(html).toContain('Cost (EMR Serverless)');
    expect(html).toMatch(/billed-vs-estimate[\s\S]*estimate \(plan\)<\/td><td>0\.2667<\/td><td>1\.0667<\/td><td>0\.0000<\/td><td>0\.0200 EUR[\s\S]*billed \(AWS\)<\/td><td>0\.3125<\/td><td>1\.2500<\/td><td>0\.0000<\/td><td>0\.0206 EUR/);
  });

  it('an EMR Serverless run whose job run reported no billed usage says so (the estimate is still shown)', async () => {
    const dir = runDir('run-sls-unbilled');
    await writeRunRecord(dir, runRecord('run-sls-unbilled', 'serverless', 'serverless', 'eu-west-1'));
    writeFileSync(path.join(dir, 'serverless-plan.json'), JSON.stringify({ estimate: { totalEur: 0.02, minutes: 2, rate: { eurPerHour: 0.6 } } }));
    writeFileSync(path.join(dir, 'promote-outcome.json'), JSON.stringify({ jobRunId: 'jr-2', elapsedMs: 60_000, billed: null, estimate: { vCPUHour: 0.1, memoryGBHour: 0.4, storageGBHour: 0, eur: 0.02 } }));
    const built = await writeReportFile(dir, { profiles });
    expect(built.model.cost?.usage).toMatchObject({ billed: null, estimated: { eur: 0.02 } });
    expect(built.html).toMatch(/billed \(AWS\)<\/td><td>not reported by GetJobRun/);
  });

  it('an EMR on EC2 run has no billed-vs-estimate table', () => {
    expect(costOf({ estimate: { totalEur: 1, eurPerHour: 2 }, outcome: { elapsedMs: 60_000, clusterId: 'j-1' } }, { started_at: 'x', finished_at: 'y' }).usage).toBeNull();
  });

  it('shows the bytes the broadcast carries: engine.broadcast_bytes (the converted model), an old run\'s weights.broadcast_bytes labelled as such', async () => {
    const now = (await writeReportFile(runDir('run-engine-broadcast', (r) => {
      delete r.manifest.weights.broadcast_bytes;
      r.manifest.engine = { name: 'onnxruntime', precision: 'f32', parity_safe: true, broadcast_bytes: 9 * 1024 * 1024 };
    }), { profiles }));
    expect(now.model.provenance.broadcastBytes).toBe(9 * 1024 * 1024);
    expect(now.model.provenance.broadcastLabel).toMatch(/onnxruntime model/);
    expect(now.html).toContain('9.0 MiB');
    const old = (await writeReportFile(runDir('run-weights-broadcast'), { profiles })).model.provenance;
    expect(old.broadcastBytes).toBe(1234);
    expect(old.broadcastLabel).toMatch(/weights.broadcast_bytes.*older run/);
  });

  it('a rehearsal ran on this machine: no AWS region claimed and no EMR cost (run.json says rehearsal)', async () => {
    const dir = runDir('run-rehearsal', (r) => (r.manifest.spark = { master: 'yarn' }));
    writeFileSync(path.join(dir, 'promote-plan.json'), JSON.stringify({ profileName: 'emr', region: 'eu-west-3', plannedMinutes: 20, estimate: { totalEur: 0.4, eurPerHour: 1.2 } }));
    writeFileSync(path.join(dir, 'promote-outcome.json'), JSON.stringify({ rehearsal: true, elapsedMs: 120_000 }));
    await writeRunRecord(dir, runRecord('run-rehearsal', 'rehearsal', 'emr', 'eu-west-3'));
    const built = await writeReportFile(dir, { profiles });
    expect(built.model.where.statement).not.toMatch(/stayed in eu-west-3/);
    expect(built.model.where.target).toBe('rehearsal');
    expect(built.model.where.statement).toMatch(/this machine/);
    expect(built.model.cost).toBeNull();
    expect(built.html).not.toContain('id="cost"');
  });

  it('where a run ran comes from run.json, not from the Spark master (a Docker run, a run from before run.json)', async () => {
    const docker = runDir('run-docker', (r) => (r.manifest.spark = { master: 'spark://spark-master:7077' }));
    await writeRunRecord(docker, runRecord('run-docker', 'docker', 'local'));
    const m = (await writeReportFile(docker, { profiles })).model;
    expect(m.where).toMatchObject({ target: 'docker', profile: 'local', region: 'eu-west-3', inEu: true });
    const old = (await writeReportFile(runDir('run-old'), { profiles })).model;
    expect(old.where).toMatchObject({ target: null, profile: null, region: null, inEu: null });
    expect(old.where.statement).toMatch(/not recorded/);
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

describe('report of a large run', () => {
  // 6 classes x 80 images with the scatter limit shrunk to 50 points (the default is READ_LIMITS.scatterPoints).
  const limits = { ...READ_LIMITS, batchRows: 32, keysWhole: 300, valuesWhole: 200, sampleRows: 100, scatterPoints: 50 };
  const large = (name: string, layout: { parts: number; rowGroupSize: number }) => {
    const run = baseRun({ labels: ['Apricot', 'Banana', 'Cherry', 'Kiwi', 'Lemon', 'Plum'], perLabel: 80 });
    run.manifest.run_id = name;
    return writeRun(path.join(tmp, 'runs', name), run, layout);
  };

  it('draws a stated, seeded sample in the scatters, the same keys in every run, and counts classes over all rows', async () => {
    const built = await writeReportFile(large('run-large', { parts: 9, rowGroupSize: 20 }), { profiles, limits });
    const m = built.model;
    expect(m.scatter).toHaveLength(50);
    expect(m.scatterSample).toEqual({ shown: 50, of: 480, seed: 20 });
    expect(m.classes.map((c) => c.images)).toEqual([80, 80, 80, 80, 80, 80]);
    expect(m.classes.reduce((s, c) => s + c.errors, 0)).toBe(1);
    expect(m.counts).toMatchObject({ inputs: 481, features: 480, errors: 1, consistent: true });
    const html = built.html;
    expect(html.match(/sample of 50 of 480 images \(seed 20\)/g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('id="sampled"');
    expect(built.notes).toEqual(['the PCA scatters show a sample of 50 of 480 images (seed 20); counts and classes are over all rows']);
    const island = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
    expect(island.scatter).toHaveLength(50);

    const other = await writeReportFile(large('run-large-again', { parts: 4, rowGroupSize: 33 }), { profiles, limits });
    expect(other.model.scatter.map((p) => p.key)).toEqual(m.scatter.map((p) => p.key));
  });

  it('says "all N images" when every point is drawn', async () => {
    const built = await writeReportFile(runDir('run-all-points'), { profiles });
    expect(built.model.scatterSample).toBeNull();
    expect(built.html).toContain('all 12 images');
    expect(built.html).not.toContain('id="sampled"');
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
