/**
 * `npm run slides`: the deck is built from a run (a contract-shaped run folder written with hyparquet-writer)
 * with the repo's template, through the slides command itself; then deck.html is opened in Chromium
 * (playwright-core) and must render exactly the template's number of slides, with the report's figures as
 * images, no console error and no request but the page (and its data: images). The PDF must exist too.
 * Chromium is a set-up prerequisite: installed under CI=true when missing; elsewhere the test skips with why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as slides } from '../../src/commands/slides.js';
import type { CommandContext } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import { withScope } from '../../src/lifecycle.js';
import { countSlides } from '../../src/report/deck.js';
import { CHROMIUM_FLAGS, CHROMIUM_INSTALL, ensureChromium, findChromium } from '../../src/setup/chromium.js';
import { baseRun, writeRun } from '../fixtures/parity/synthetic-run.js';
import { linesOutput } from '../../src/terminal/index.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CI = process.env.CI === 'true';
const present = findChromium(process.env);
const tmp = mkdtempSync(path.join(tmpdir(), 'slides-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!CI && !present)(`npm run slides${present || CI ? '' : ` (skipped: chromium is missing; ${CHROMIUM_INSTALL})`}`, () => {
  const lines: string[] = [];
  let deckDir: string;
  let executablePath: string;

  beforeAll(async () => {
    executablePath = await ensureChromium({ out: { info: () => {} }, env: process.env });
    const run = baseRun({ labels: ['Apricot', 'Banana', 'Cherry', 'Kiwi'], perLabel: 15, dim: 24 });
    run.manifest.run_id = 'slides-run';
    run.manifest.timings_s = { read: 2, weights: 1, featurize: 30, pca: 3, write: 2, total: 38 };
    const dir = writeRun(path.join(tmp, 'runs', 'slides-run'), run);
    const out = linesOutput((l) => lines.push(l));
    const code = await withScope((scope) =>
      slides.run({ options: { pdf: true }, operands: [dir] }, {
        ...scope,
        out,
        env: { ...process.env, CHROME_PATH: executablePath, INIT_CWD: ROOT },
        root: ROOT,
        loadConfig: (flags = {}) => loadConfig({ root: ROOT, env: {}, flags }),
      } as CommandContext),
    );
    expect(code, lines.join('\n')).toBe(0);
    deckDir = path.join(dir, 'slides');
  });

  it('fills the template from the run and embeds the report figures', () => {
    const md = readFileSync(path.join(deckDir, 'deck.md'), 'utf8');
    expect(md).not.toMatch(/\{\{[a-z_:-]+\}\}/);
    expect(md).toContain('slides-run');
    const template = readFileSync(path.join(ROOT, 'slides', 'deck.md'), 'utf8');
    const figures = template.match(/\{\{fig:[a-z0-9-]+\}\}/g)!.length;
    expect(md.match(/data:image\/png;base64,/g)).toHaveLength(figures);
    expect(countSlides(md)).toBe(countSlides(template));
  });

  it('renders the expected number of slides in Chromium, offline and without errors', async () => {
    const expected = countSlides(readFileSync(path.join(ROOT, 'slides', 'deck.md'), 'utf8'));
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS.filter((f) => f !== '--headless') });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(path.join(deckDir, 'deck.html')).href;
      await page.goto(url, { waitUntil: 'load' });
      const slideCount = await page.locator('svg[data-marpit-svg]').count();
      const images = await page.$$eval('svg[data-marpit-svg] img', (els) => els.map((e) => (e as unknown as { naturalWidth: number }).naturalWidth));
      await page.screenshot({ path: path.join(tmpdir(), 'fruits-slides-test', 'first-slide.png') });
      expect(slideCount).toBe(expected);
      expect(images.length).toBeGreaterThan(0);
      for (const w of images) expect(w).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(requests.filter((r) => !r.startsWith('data:'))).toEqual([url]);
    } finally {
      await browser.close();
    }
  });

  it('writes the PDF', () => {
    const pdf = path.join(deckDir, 'deck.pdf');
    expect(existsSync(pdf)).toBe(true);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });
});
