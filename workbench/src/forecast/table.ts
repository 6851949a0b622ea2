/** The forecast table --dry-run prints: one row per input size, and how to print it. Pure. */
import type { EmrForecast } from './emr.js';

/** The sizes of the table (issue 20): 10k, 100k, 1M and 10M images. */
export const TABLE_SIZES = [10_000, 100_000, 1_000_000, 10_000_000] as const;

export function forecastTable(forecastFor: (images: number) => EmrForecast, sizes: readonly number[] = TABLE_SIZES): EmrForecast[] {
  return sizes.map((n) => forecastFor(n));
}

const num = (n: number) => n.toLocaleString('en-US');
const eur = (x: number) => `${x < 0.01 && x > 0 ? '<0.01' : x.toFixed(2)} EUR`;
const min = (m: number) => (m < 10 ? m.toFixed(1) : String(Math.round(m)));

export function formatForecastLine(f: EmrForecast): string {
  const p = f.phases;
  return (
    `${num(f.images)} images on ${f.coreNodes} x ${f.coreInstanceType}: ${min(f.totalMinutes)} min, ${f.totalEur.toFixed(2)} EUR ` +
    `(provisioning ${min(p.provisioning.minutes)}, bootstrap ${min(p.bootstrap.minutes)}, step ${min(p.step.minutes)} [${f.step.tasks} tasks, ${f.step.imagesPerSecond} images/s], teardown ${min(p.teardown.minutes)} min; ` +
    `S3 requests ${eur(f.requests.scanEur)} for ${num(f.requests.scan)} reads)` +
    (f.requests.upload > 0 ? `; before it, the upload's ${num(f.requests.upload)} PUTs: up to ${eur(f.requests.uploadEur)} (once)` : '')
  );
}

export function formatForecastTable(rows: EmrForecast[]): string[] {
  const header = ['images', 'core nodes', 'step min', 'total min', 'EUR', 'of it S3 requests', 'EUR per 1M images'];
  const body = rows.map((f) => [
    num(f.images),
    `${f.coreNodes} x ${f.coreInstanceType}`,
    min(f.phases.step.minutes),
    min(f.totalMinutes),
    f.totalEur.toFixed(2),
    f.requests.scanEur.toFixed(2),
    ((f.totalEur / f.images) * 1e6).toFixed(2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padStart(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), ...body.map(line)];
}
