/**
 * The chart library pasted into every report: Observable Plot's UMD build and the d3 UMD build it runs on,
 * read from node_modules (npm installs them; nothing is fetched at report time).
 *
 * Why Observable Plot: it renders plain SVG synchronously (one <circle> per point with a <title> tooltip), so
 * the page needs no event code, screenshots and printing show exactly what is drawn, and the browser test can
 * count one mark per feature row; it needs no eval (a strict CSP holds); the two UMD files are ~0.5 MB
 * together, about half of Vega-Lite + Vega + vega-embed or of ECharts; it is maintained by Observable (ISC).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ChartAssets } from './html.js';

const require = createRequire(import.meta.url);

/** The installed package's folder: its entry point resolved, then up to the package.json naming it. */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of the npm package ${name} (run npm ci)`);
    dir = parent;
  }
}

/** [package, its UMD file (the package's "umd" export)], in load order. */
export const CHART_LIBRARIES: [string, string][] = [
  ['d3', 'dist/d3.min.js'],
  ['@observablehq/plot', 'dist/plot.umd.min.js'],
];

let cached: ChartAssets | undefined;

export function loadChartAssets(): ChartAssets {
  cached ??= {
    scripts: CHART_LIBRARIES.map(([name, file]) => {
      const dir = packageDir(name);
      const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
      return { name: `${name}@${version}`, source: readFileSync(path.join(dir, file), 'utf8') };
    }),
  };
  return cached;
}
