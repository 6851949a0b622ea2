/**
 * Reads one run's outputs from a RunSource into RunData, in bounded memory: manifest first (its absence means the
 * run did not complete), then explained_variance.json, then each Parquet table streamed batch by batch
 * (stream.ts) into its summary: row count, digests, rows per label, and the keys and values sample.ts says to
 * keep. Every row read is checked against the contract's columns (all rows of a run read whole; key and label of
 * every row and the values of the sampled rows otherwise), so a wrong file fails here with its name, not in a
 * check.
 */
import { parseExplainedVariance, parseManifest } from './manifest.js';
import type { ErrorRow, FeatureRow, KeptKey, PcaRow, RunData, TableSummary } from './run-data.js';
import { RunOutputError } from './run-output-error.js';
import { BottomK, keyRank, READ_LIMITS, sampleCeiling, SetDigest, type Rank, type ReadLimits } from './sample.js';
import type { RunSource } from './source.js';
import { readBatches, type Row } from './stream.js';

function text(row: Row, column: string, part: string, location: string): string {
  const v = row[column];
  if (typeof v !== 'string') throw new RunOutputError(location, `${part}: column "${column}" must be a non-null string, found ${JSON.stringify(v)}`);
  return v;
}

function vector(row: Row, column: string, length: number | undefined, part: string, location: string): number[] {
  const v = row[column];
  const key = typeof row.key === 'string' ? ` (key ${row.key})` : '';
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw new RunOutputError(location, `${part}${key}: column "${column}" must be an array of numbers without nulls`);
  }
  if (length !== undefined && v.length !== length) {
    throw new RunOutputError(location, `${part}${key}: column "${column}" has ${v.length} values, the manifest says ${length}`);
  }
  return v as number[];
}

/** How many keys / values a table keeps: whole when the manifest says it is small enough, else the sample. */
function capacities(expectedRows: number, limits: ReadLimits, valuesWhole: number) {
  return {
    keys: expectedRows <= limits.keysWhole ? limits.keysWhole : limits.sampleRows,
    values: expectedRows <= valuesWhole ? valuesWhole : limits.sampleRows,
  };
}

interface KeyedTable<V> {
  summary: TableSummary;
  values: Map<string, V>;
}

/**
 * Streams a keyed table (key, label, ...values): every row is counted, digested and offered to the key and
 * value samples; `value` builds (and validates) a kept row's value, called only for rows the sample admits.
 * When the values are a sample, only key and label are read for every row and the value columns only for the
 * admitted rows (stream.ts reads just their pages); when they are whole, every row is read and validated.
 */
async function readKeyed<V>(
  source: RunSource,
  table: string,
  valueColumns: string[],
  expectedRows: number,
  valuesWhole: number,
  limits: ReadLimits,
  value: (row: Row, part: string, label: string) => V,
  validate: (row: Row, part: string) => void,
): Promise<KeyedTable<V>> {
  const loc = source.location;
  const cap = capacities(expectedRows, limits, valuesWhole);
  const sampled = cap.values < expectedRows;
  const keys = new BottomK<string>(cap.keys);
  const values = new BottomK<V>(cap.values, sampled ? sampleCeiling(cap.values, expectedRows) : Infinity);
  const keyDigest = new SetDigest();
  const pairDigest = new SetDigest();
  const labels = new Map<string, number>();
  let rows = 0;
  const [eager, lazy] = sampled ? [['key', 'label'], valueColumns] : [['key', 'label', ...valueColumns], []];
  for await (const batch of readBatches(source, table, eager, limits.batchRows, lazy)) {
    const admitted: { index: number; rank: Rank; label: string }[] = [];
    batch.rows.forEach((row, index) => {
      const key = text(row, 'key', batch.part, loc);
      const label = text(row, 'label', batch.part, loc);
      if (!sampled) validate(row, batch.part);
      rows++;
      keyDigest.add(key);
      pairDigest.add(`${key}\0${label}`);
      labels.set(label, (labels.get(label) ?? 0) + 1);
      const rank = keyRank(key, limits.seed);
      keys.offer(rank, () => label);
      if (values.admits(rank)) admitted.push({ index, rank, label });
    });
    if (admitted.length === 0) continue;
    const full = await batch.more(admitted.map((a) => a.index));
    admitted.forEach((a, j) => values.offer(a.rank, () => value(full[j]!, batch.part, a.label)));
  }
  const kept = new Map<string, KeptKey>();
  for (const { rank, value: label } of keys.entries()) kept.set(rank.key, { label, rank });
  return {
    summary: { rows, keyDigest, pairDigest, labels, keys: kept, keysBound: keys.bound, repeats: keys.repeats, valuesBound: values.bound },
    values: new Map(values.entries().map(({ rank, value: v }) => [rank.key, v])),
  };
}

export async function loadRun(source: RunSource, limits: ReadLimits = READ_LIMITS): Promise<RunData> {
  const loc = source.location;
  const manifestText = await source.readText('manifest.json');
  if (manifestText === undefined) {
    throw new RunOutputError(loc, 'no manifest.json: the run did not complete, or this is not a run output folder');
  }
  const manifest = parseManifest(manifestText, loc);
  const evText = await source.readText('explained_variance.json');
  if (evText === undefined) throw new RunOutputError(loc, 'no explained_variance.json next to the manifest', 'copy the whole run output, or rerun the job');
  const explainedVariance = parseExplainedVariance(evText, loc);
  const dim = manifest.feature_dim;
  const k = manifest.pca.k;
  const counts = manifest.counts;

  const features = await readKeyed<FeatureRow>(
    source, 'features', ['features'], counts.features, limits.valuesWhole, limits,
    (row, part, label) => ({ label, features: Float32Array.from(vector(row, 'features', dim, part, loc)) }),
    (row, part) => void vector(row, 'features', dim, part, loc),
  );
  // Error rows are small (key, label, reason): they are kept as long as their keys are.
  const errors = await readKeyed<ErrorRow>(
    source, 'errors', ['reason'], counts.errors, limits.keysWhole, limits,
    (row, _part, label) => ({ label, reason: String(row.reason ?? '') }),
    () => {},
  );
  const pca = await readKeyed<PcaRow>(
    source, 'pca', ['pca'], counts.features, limits.valuesWhole, limits,
    (row, part, label) => ({ label, pca: Float64Array.from(vector(row, 'pca', k, part, loc)) }),
    (row, part) => void vector(row, 'pca', k, part, loc),
  );

  // k axes of feature_dim values: small at any n.
  const componentRows: { pc: number; vector: Float64Array }[] = [];
  for await (const batch of readBatches(source, 'pca_components', ['pc', 'vector'], limits.batchRows)) {
    for (const row of batch.rows) {
      const pc = row.pc;
      if (typeof pc !== 'number' || !Number.isInteger(pc) || pc < 1) {
        throw new RunOutputError(loc, `${batch.part}: column "pc" must be an integer >= 1, found ${JSON.stringify(pc)}`);
      }
      componentRows.push({ pc, vector: Float64Array.from(vector(row, 'vector', dim, batch.part, loc)) });
    }
  }
  componentRows.sort((x, y) => x.pc - y.pc);
  const pcs = componentRows.map((c) => c.pc);
  if (pcs.some((pc, i) => pc !== i + 1)) {
    throw new RunOutputError(loc, `pca_components/ must hold pc 1..n once each, found pc ${pcs.join(', ')}`, 'rerun the job for this output');
  }

  return {
    location: loc,
    manifest,
    explainedVariance,
    features: features.values,
    errors: errors.values,
    pca: pca.values,
    components: componentRows.map((c) => c.vector),
    rows: { features: features.summary.rows, errors: errors.summary.rows, pca: pca.summary.rows },
    tables: { features: features.summary, errors: errors.summary, pca: pca.summary },
    limits,
  };
}
