/**
 * report.html for one run: a self-contained page (chart library inlined, no fetch) showing what ran, the
 * counts and errors, explained variance, PCA scatters, images per class, stage timings, EMR cost and parity.
 * model.ts builds the figures (pure), html.ts lays them out (pure), write.ts reads the run and writes the file.
 */
export { buildReportModel, reportProfiles, type ReportModel, type ReportInputs } from './model.js';
export { renderReportHtml, plotNames, chartData, CSP, type ChartAssets } from './html.js';
export { loadChartAssets, CHART_LIBRARIES } from './assets.js';
export { readRunExtras, type RunExtras, type ParityReportLike } from './extras.js';
export { costOf, type CostView, type PromotePlanLike } from './cost.js';
export { buildReport, writeReport, writeReportFile, REPORT_FILE, type WriteReportOptions, type BuiltReport } from './write.js';
