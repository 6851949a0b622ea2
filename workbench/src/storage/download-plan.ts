/**
 * Which objects of a job's output prefix go where in the local run folder (docs/job-contract.md, "The local run
 * folder"). Pure.
 *
 *   manifest.json, explained_variance.json       as they are
 *   pca_csv/<the one part file>.csv              -> pca.csv
 *   features/ errors/ pca/ pca_components/       their Parquet part files, same relative paths
 *
 * Spark's bookkeeping (_SUCCESS, .crc files) and the PCA model (Spark ML metadata, only useful to Spark) stay in
 * the bucket. The manifest is always last, so a run folder with a manifest has everything else.
 */
import type { RemoteObject } from './upload-plan.js';

export interface DownloadItem {
  key: string;
  /** Path relative to the run folder, '/' separators. */
  localPath: string;
  size: number;
}

export const PARQUET_OUTPUTS = ['features', 'errors', 'pca', 'pca_components'] as const;

export function planDownload(objects: RemoteObject[], outputPrefix: string): DownloadItem[] {
  const prefix = outputPrefix.endsWith('/') ? outputPrefix : `${outputPrefix}/`;
  const items: DownloadItem[] = [];
  let manifest: DownloadItem | undefined;
  for (const o of objects) {
    if (!o.key.startsWith(prefix)) continue;
    const rel = o.key.slice(prefix.length);
    const [top, ...rest] = rel.split('/');
    const name = rest.at(-1) ?? top!;
    if (name.startsWith('_') || name.startsWith('.')) continue;
    if (rel === 'manifest.json') manifest = { key: o.key, localPath: rel, size: o.size };
    else if (rel === 'explained_variance.json') items.push({ key: o.key, localPath: rel, size: o.size });
    else if (top === 'pca_csv' && name.endsWith('.csv')) items.push({ key: o.key, localPath: 'pca.csv', size: o.size });
    else if ((PARQUET_OUTPUTS as readonly string[]).includes(top!) && name.endsWith('.parquet')) {
      items.push({ key: o.key, localPath: rel, size: o.size });
    }
  }
  const csvs = items.filter((i) => i.localPath === 'pca.csv');
  if (csvs.length > 1) {
    throw new Error(`expected one CSV file under ${prefix}pca_csv/, found ${csvs.length}: ${csvs.map((c) => c.key).join(', ')}`);
  }
  items.sort((a, b) => (a.localPath < b.localPath ? -1 : a.localPath > b.localPath ? 1 : 0));
  if (manifest) items.push(manifest);
  return items;
}
