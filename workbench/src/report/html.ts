/**
 * Lays a ReportModel out as ONE self-contained HTML page: tables and text rendered here (escaped), the charts
 * drawn in the browser by browser-script.ts from a JSON island, with the chart library's source inlined
 * (assets.ts). A Content-Security-Policy forbids every fetch (default-src 'none'), so the page provably works
 * offline and cannot leak anything. Pure: model and library text in, HTML out.
 */
import { BROWSER_SCRIPT } from './browser-script.js';
import type { ReportModel } from './model.js';

export interface ChartAssets {
  /** Library sources pasted into the page, in load order (d3 then Observable Plot). */
  scripts: { name: string; source: string }[];
}

/** Only what the browser script draws: keeps the page small (no feature vectors). */
export function chartData(m: ReportModel) {
  return {
    variance: { k: m.variance.k, threshold: m.variance.threshold, ratios: m.variance.ratios, cumulative: m.variance.cumulative },
    scatter: m.scatter.map((p) => ({ key: p.key, label: p.label, pc1: p.pc1, pc2: p.pc2, pc3: p.pc3 })),
    classes: m.classes,
    timings: m.timings,
  };
}

/** "sample of 5000 of 1000000 images (seed 20)" when the scatter is sampled, else "all 390 images". */
export function scatterStatement(m: ReportModel): string {
  const s = m.scatterSample;
  return s ? `sample of ${s.shown} of ${s.of} images (seed ${s.seed})` : `all ${m.scatter.length} images`;
}

/** The figures the page has, in order; scatters only for the axes the run kept. Tests compare against it. */
export function plotNames(m: ReportModel): string[] {
  const names = ['variance-bars', 'variance-cumulative'];
  if (m.variance.k >= 2 && m.scatter.length > 0) names.push('scatter-pc1-pc2');
  if (m.variance.k >= 3 && m.scatter.length > 0) names.push('scatter-pc1-pc3');
  if (m.classes.length > 0) names.push('classes');
  if (m.timings.length > 0) names.push('timings');
  return names;
}

export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** JSON safe inside a <script> element: no `</script>`, no HTML comment openers. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Library code inside <script>: only `</script` could end the element early. */
function scriptText(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const secs = (s: number) => (s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`);
const eur = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)} EUR`);

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function kv(rows: [string, string][]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

const code = (s: string | null) => (s ? `<code>${esc(s)}</code>` : '<span class="muted">none</span>');

function figure(name: string, title: string, caption: string): string {
  return `<figure data-plot="${esc(name)}"><figcaption><strong>${esc(title)}</strong> ${caption}</figcaption><div class="chart"></div></figure>`;
}

function whatRan(m: ReportModel): string {
  const p = m.provenance;
  const weights = p.weightsMeaningful
    ? `<span class="ok">meaningful</span> (${esc(p.weightsSource)})`
    : `<span class="bad">NOT meaningful</span> (${esc(p.weightsSource)} weights: the features and PCA only exercise the pipeline)`;
  const where = m.where;
  return `<section id="what-ran"><h2>What ran</h2>
<p class="${where.inEu === false ? 'bad' : 'eu'}" id="eu-statement">${esc(where.statement)}</p>
${kv([
  ['run', code(m.runId)],
  ['profile', esc(where.profile ?? 'unknown')],
  ['region', esc(where.region ?? 'not recorded')],
  ['spark master', code(p.sparkMaster)],
  ['input', code(m.inputUri)],
  ['output', code(m.outputUri)],
  ['started / finished', `${esc(m.startedAt)} / ${esc(m.finishedAt)}`],
  ['artifact sha256', code(p.artifactSha256)],
  ['code sha256', code(p.codeSha256)],
  ['weights', `${code(p.weightsSpec)} ${weights}`],
  ['weights sha256', code(p.weightsSha256)],
  ['broadcast', p.broadcastBytes === null ? '-' : `${(p.broadcastBytes / 1024 / 1024).toFixed(1)} MiB, sent once from the driver: ${esc(p.broadcastLabel ?? '')}`],
  ['versions', p.versions.map(([n, v]) => `${esc(n)} ${esc(v)}`).join(', ')],
  ['settings', p.settings.map(([n, v]) => `${esc(n)}=${esc(v)}`).join(', ')],
])}
</section>`;
}

function countsSection(m: ReportModel): string {
  const c = m.counts;
  const errorRows = m.errors.slice(0, 1000).map((e) => [code(e.key), esc(e.label), esc(e.reason)]);
  // The model holds every error row of a normal run, a seeded sample of a huge one: the count is the manifest's.
  const total = Math.max(m.errors.length, c.errors);
  const more = total > errorRows.length ? `<p class="muted">${total - errorRows.length} more in errors/.</p>` : '';
  return `<section id="counts"><h2>Counts</h2>
<p class="counts"><span class="big">${c.inputs}</span> inputs = <span class="big">${c.features}</span> featurized + <span class="big">${c.errors}</span> errors` +
    `${c.featurized !== null ? ` <span class="muted">(the UDF ran ${c.featurized} times)</span>` : ''}</p>
${m.scatterSample ? `<p class="muted" id="sampled">Counts and images per class are over all rows; the PCA scatters show a ${esc(scatterStatement(m))}.</p>` : ''}
<h3>Errors</h3>
${m.errors.length === 0 ? '<p class="muted" id="no-errors">No image was rejected.</p>' : table(['path (key)', 'class', 'reason'], errorRows, 'errors') + more}
</section>`;
}

function costSection(m: ReportModel): string {
  if (!m.cost) return '';
  const c = m.cost;
  return `<section id="cost"><h2>Cost (${c.usage ? 'EMR Serverless' : 'EMR'})</h2>${kv([
    ['estimated (plan)', `${eur(c.estimatedEur)} for ${c.plannedMinutes ?? '-'} min at ${c.eurPerHour === null ? '-' : `${c.eurPerHour.toFixed(2)} EUR/h`}; worst case ${eur(c.worstCaseEur)}`],
    ['elapsed', c.elapsedMinutes === null ? 'not recorded' : `${eur(c.elapsedEur)} for ${c.elapsedMinutes.toFixed(1)} min: ${esc(c.elapsedBasis)}`],
    ['price table', esc(c.priceTableDate ?? '-')],
  ])}${usageTable(c)}${c.phases.length ? `<h3>Forecast vs actual</h3>${table(['phase', 'forecast (min)', 'actual (min)'], c.phases.map((p) => [esc(p.phase), p.predictedMinutes === null ? '-' : p.predictedMinutes.toFixed(1), p.actualMinutes === null ? '-' : p.actualMinutes.toFixed(1)]), 'forecast-vs-actual')}` : ''}</section>`;
}

/** An EMR Serverless run: the plan's estimate and what AWS billed (billedResourceUtilization), in the same units. */
function usageTable(c: NonNullable<ReportModel['cost']>): string {
  if (!c.usage) return '';
  const hours = (x: number) => x.toFixed(4);
  const row = (name: string, u: { vCPUHour: number; memoryGBHour: number; storageGBHour: number; eur: number } | null, missing: string) =>
    u ? [esc(name), hours(u.vCPUHour), hours(u.memoryGBHour), hours(u.storageGBHour), `${u.eur.toFixed(4)} EUR`] : [esc(name), missing, '-', '-', '-'];
  return `<h3>Billed vs estimate</h3>${table(
    ['', 'vCPU-h', 'GB-h', 'storage GB-h', 'EUR'],
    [row('estimate (plan)', c.usage.estimated, 'not recorded'), row('billed (AWS)', c.usage.billed, 'not reported by GetJobRun')],
    'billed-vs-estimate',
  )}<p class="muted">Billed: GetJobRun billedResourceUtilization (1-minute minimum per worker, storage above 20 GB per worker), priced at the plan's price table (${esc(c.priceTableDate ?? '-')}).</p>`;
}

function paritySection(m: ReportModel): string {
  if (!m.parity) return '';
  const p = m.parity;
  const verdict = p.outcome === 'pass' ? '<span class="ok">parity holds</span>' : `<span class="bad">parity FAILED at layer ${esc(p.failedLayer ?? '?')}</span>`;
  const s = Object.entries(p.summary).map(([k, n]) => `${n} ${esc(k)}`).join(', ');
  return `<section id="parity"><h2>Parity</h2><p id="parity-verdict">${verdict} against ${esc(p.against)} (${s}); report ${code(p.file)}</p>
${table(['check', 'status', 'measured', 'tolerance', 'detail'], p.checks.map((c) => [code(c.name), `<span class="${c.status === 'fail' ? 'bad' : c.status === 'pass' ? 'ok' : 'muted'}">${esc(c.status)}</span>`, esc(c.measured), esc(c.tolerance), esc(c.detail)]))}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#2f4b26;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85}
main{padding:8px 28px 40px;max-width:1240px}section{margin:22px 0}h2{border-bottom:2px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.kv th{background:#f0f0f0;white-space:nowrap}code{font:12px ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.muted{color:#777}.eu{background:#e8f5e9;padding:6px 10px;border-left:4px solid #2e7d32}
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:6px 10px}.big{font-size:22px;font-weight:700}
.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;background:#fff;border:1px solid #e0e0e0;padding:10px;flex:1 1 560px;max-width:600px}
figcaption{margin-bottom:6px}`;

export function renderReportHtml(m: ReportModel, assets: ChartAssets): string {
  const plots = new Set(plotNames(m));
  const fig = (name: string, title: string, caption: string) => (plots.has(name) ? figure(name, title, caption) : '');
  const v = m.variance;
  const threshold = v.threshold === null ? `k fixed at ${v.k}` : `threshold ${pct(v.threshold)}, k = ${v.k} is the smallest k reaching it`;
  const timingsCaption = m.totalSeconds === null ? '' : `total ${secs(m.totalSeconds)} (the job's own stages, manifest timings_s)`;
  const warnings = m.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('');
  const scatterCaption = m.scatterSample
    ? `(<span class="scatter-sample">${esc(scatterStatement(m))}</span>: the keys of lowest sha1 rank, the same keys in every run; one point per sampled image, coloured by class; hover for the image key; class counts are over all images)`
    : `(one point per image, ${esc(scatterStatement(m))}, coloured by class; hover for the image key)`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fruits! run ${esc(m.runId)}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>Fruits! run ${esc(m.runId)}</h1><p>${esc(m.location)} · report written ${esc(m.generatedAt)}</p></header>
<main>
${warnings}
${whatRan(m)}
${countsSection(m)}
<section id="pca"><h2>PCA</h2>
<p>${v.fitted} components fitted on ${m.counts.features} images; kept k = ${v.k} (${esc(v.kMode)}), variance kept ${pct(v.kept)}; ${threshold}.</p>
<div class="grid">
${fig('variance-bars', 'Explained variance per component', `(first ${v.ratios.length} of ${v.fitted}; k marked)`)}
${fig('variance-cumulative', 'Cumulative explained variance', `(${esc(threshold)})`)}
${fig('scatter-pc1-pc2', 'PC1 × PC2', scatterCaption)}
${fig('scatter-pc1-pc3', 'PC1 × PC3', scatterCaption)}
</div></section>
<section id="classes-timings"><h2>Images per class and stage timings</h2><div class="grid">
${fig('classes', 'Images per class', `(${m.classes.length} classes)`)}
${fig('timings', 'Stage timings', timingsCaption)}
</div></section>
${costSection(m)}
${paritySection(m)}
</main>
<script type="application/json" id="report-data">${scriptJson(chartData(m))}</script>
${assets.scripts.map((s) => `<script data-lib="${esc(s.name)}">${scriptText(s.source)}</script>`).join('\n')}
<script>${BROWSER_SCRIPT}</script>
</body></html>
`;
}
