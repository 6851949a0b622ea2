/**
 * Opens a report in headless Chromium (playwright-core driving the system's chromium, setup/chromium.ts) and
 * says what a reader would see: console errors, every network request the page made, each figure's state and
 * marks, and optionally a screenshot of the page and one PNG per figure (the slides reuse those). Used by the
 * browser test and by `npm run slides`; nothing here decides pass or fail.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../setup/chromium.js';

export interface FigureState {
  name: string;
  rendered: boolean;
  /** SVG elements drawn in the figure. */
  svgs: number;
  /** Scatter marks: circles of the dot mark, and their tooltips (<title> text). */
  dots: number;
  dotTitles: string[];
  /** PNG of the figure, when figuresDir was given. */
  png?: string;
}

export interface PageInspection {
  url: string;
  consoleErrors: string[];
  /** Every request the page made, the page itself included (file:// URL). */
  requests: string[];
  figures: FigureState[];
  title: string;
  screenshot?: string;
}

export async function inspectReport(
  file: string,
  o: { executablePath: string; screenshot?: string; figuresDir?: string; width?: number },
): Promise<PageInspection> {
  const browser = await chromium.launch({
    executablePath: o.executablePath,
    // playwright adds --headless and a fresh --user-data-dir itself.
    args: CHROMIUM_FLAGS.filter((f) => f !== '--headless'),
  });
  try {
    const page = await browser.newPage({ viewport: { width: o.width ?? 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
    page.on('request', (req) => requests.push(req.url()));
    const url = pathToFileURL(path.resolve(file)).href;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-report-ready="true"]', { timeout: 30_000 });

    const figures: FigureState[] = await page.$$eval('figure[data-plot]', (els) =>
      els.map((el) => {
        const dots = Array.from(el.querySelectorAll('g[aria-label="dot"] circle'));
        return {
          name: el.getAttribute('data-plot') ?? '',
          rendered: el.getAttribute('data-rendered') === 'true',
          svgs: el.querySelectorAll('svg').length,
          dots: dots.length,
          dotTitles: dots.map((d) => (d as { querySelector(s: string): { textContent: string | null } | null }).querySelector('title')?.textContent ?? ''),
        };
      }),
    );
    if (o.figuresDir) {
      await mkdir(o.figuresDir, { recursive: true });
      for (const f of figures) {
        const png = path.join(o.figuresDir, `${f.name}.png`);
        await page.locator(`figure[data-plot="${f.name}"]`).screenshot({ path: png });
        f.png = png;
      }
    }
    if (o.screenshot) {
      await mkdir(path.dirname(o.screenshot), { recursive: true });
      await page.screenshot({ path: o.screenshot, fullPage: true });
    }
    return { url, consoleErrors, requests, figures, title: await page.title(), screenshot: o.screenshot };
  } finally {
    await browser.close();
  }
}
