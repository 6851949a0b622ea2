/**
 * report.html in a real browser: Debian's chromium driven by playwright-core. A contract-shaped run folder
 * (written with hyparquet-writer, with an error row, a promote plan and a parity report beside it, so every
 * section of the page is present) goes through `writeReport`, and the page is opened from file://.
 * Checks: no console error, no request but the page itself, every plot drawn, each scatter with exactly one
 * mark per feature row whose tooltip is the image key, and a screenshot saved (temp folder, path printed).
 *
 * Chromium is a set-up prerequisite (setup/chromium.ts): under CI=true it is installed when missing (root on
 * Debian) and the test never skips; elsewhere it skips with the install command when chromium is absent.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunOutputs } from '../../src/outputs/index.js';
import { inspectReport, type PageInspection } from '../../src/report/browser.js';
import { plotNames, writeReportFile } from '../../src/report/index.js';
import { CHROMIUM_INSTALL, ensureChromium, findChromium } from '../../src/setup/chromium.js';
import { baseRun, writeRun } from '../fixtures/parity/synthetic-run.js';

const CI = process.env.CI === 'true';
const chromiumPath = findChromium(process.env);
const tmp = mkdtempSync(path.join(tmpdir(), 'report-browser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!CI && !chromiumPath)(`report.html in headless Chromium${chromiumPath || CI ? '' : ` (skipped: chromium is missing; ${CHROMIUM_INSTALL})`}`, () => {
  let executablePath: string;
  let page: PageInspection;
  let expectedKeys: string[];
  let plots: string[];
  const screenshot = path.join(tmpdir(), 'fruits-report-browser', 'report.png');

  beforeAll(async () => {
    executablePath = await ensureChromium({ out: { info: () => {} }, env: process.env });
    const run = baseRun({ labels: ['Apricot', 'Banana', 'Cherry', 'Kiwi', 'Lemon', 'Plum'], perLabel: 25, ratios: [0.35, 0.2, 0.12, 0.08, 0.05], dim: 32 });
    run.manifest.run_id = 'browser-run';
    run.manifest.timings_s = { read: 2.1, weights: 1.2, featurize: 40.5, pca: 3.3, write: 2.2, total: 49.3 };
    run.errors.push({ key: 'Kiwi/zero.jpg', label: 'Kiwi', reason: 'empty file (0 bytes)' });
    run.manifest.counts = { inputs: run.features.length + run.errors.length, features: run.features.length, errors: run.errors.length, featurized: run.features.length + run.errors.length };
    const runs = path.join(tmp, 'runs');
    const dir = writeRun(path.join(runs, 'browser-run'), run);
    writeFileSync(path.join(dir, 'promote-plan.json'), JSON.stringify({ profileName: 'emr', region: 'eu-west-3', plannedMinutes: 30, estimate: { totalEur: 0.61, eurPerHour: 1.22, worstCaseEur: 1.22 } }));
    writeFileSync(
      path.join(dir, 'parity-vs-local.json'),
      JSON.stringify({ outcome: 'pass', failed_layer: null, a: { run_id: 'local-run', location: 'runs/local-run' }, b: { run_id: 'browser-run', location: dir }, summary: { pass: 12, fail: 0, warn: 0, skip: 0 }, checks: [] }),
    );
    const data = await readRunOutputs(dir);
    expectedKeys = [...data.features.keys()].sort();
    const built = await writeReportFile(dir, { profiles: { emr: { kind: 'emr', region: 'eu-west-3' } } });
    plots = plotNames(built.model);
    page = await inspectReport(built.file, { executablePath, screenshot });
    console.log(`report screenshot: ${screenshot}`);
  });

  it('logs no console error', () => {
    expect(page.consoleErrors).toEqual([]);
  });

  it('makes no network request beyond the page itself', () => {
    expect(page.requests).toEqual([page.url]);
  });

  it('draws every plot', () => {
    expect(plots).toHaveLength(6);
    expect(page.figures.map((f) => f.name)).toEqual(plots);
    for (const f of page.figures) {
      expect(f.rendered, f.name).toBe(true);
      expect(f.svgs, f.name).toBeGreaterThan(0);
    }
  });

  it('puts exactly one mark per feature row in each scatter, with the image key as tooltip', () => {
    const scatters = page.figures.filter((f) => f.name.startsWith('scatter-'));
    expect(scatters.map((f) => f.name)).toEqual(['scatter-pc1-pc2', 'scatter-pc1-pc3']);
    for (const f of scatters) {
      expect(f.dots, f.name).toBe(expectedKeys.length);
      expect(f.dotTitles.map((t) => t.split('\n')[0]).sort(), f.name).toEqual(expectedKeys);
    }
  });

  it('saves a screenshot', () => {
    expect(existsSync(screenshot)).toBe(true);
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  });
});
