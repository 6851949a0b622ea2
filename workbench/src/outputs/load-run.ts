/**
 * Reads one run's outputs from a RunSource into RunData: manifest first (its absence means the run did not
 * complete), then explained_variance.json and the four Parquet tables (read with hyparquet; Spark writes snappy).
 * Every row is checked against the contract's columns so a wrong file fails here with its name, not in a check.
 */
import { parquetReadObjects } from 'hyparquet';
import { parseExplainedVariance, parseManifest } from './manifest.js';
import type { ErrorRow, FeatureRow, PcaRow, RunData } from './run-data.js';
import { RunOutputError } from './run-output-error.js';
import type { RunSource } from './source.js';

type Row = Record<string, unknown>;

async function readTable(source: RunSource, table: string, columns: string[]): Promise<{ part: string; row: Row }[]> {
  const parts = await source.parquetParts(table);
  if (!parts) {
    throw new RunOutputError(source.location, `the ${table}/ output folder is missing`, 'copy the whole run output (docs/job-contract.md lists the folders), or rerun the job');
  }
  const out: { part: string; row: Row }[] = [];
  for (const part of parts) {
    let rows: Row[];
    try {
      rows = (await parquetReadObjects({ file: await part.open(), columns })) as Row[];
    } catch (err) {
      if (err instanceof RunOutputError) throw err;
      throw new RunOutputError(
        source.location,
        `${part.name} is not a readable Parquet file with columns ${columns.join(', ')} (${err instanceof Error ? err.message : String(err)})`,
        'rerun the job for this output, or copy the part files again',
        { cause: err },
      );
    }
    for (const row of rows) out.push({ part: part.name, row });
  }
  return out;
}

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

function index<T>(rows: { key: string; value: T }[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const { key, value } of rows) if (!map.has(key)) map.set(key, value);
  return map;
}

export async function loadRun(source: RunSource): Promise<RunData> {
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

  const featureRows = (await readTable(source, 'features', ['key', 'label', 'features'])).map(({ part, row }) => ({
    key: text(row, 'key', part, loc),
    value: { label: text(row, 'label', part, loc), features: Float32Array.from(vector(row, 'features', dim, part, loc)) } satisfies FeatureRow,
  }));
  const errorRows = (await readTable(source, 'errors', ['key', 'label', 'reason'])).map(({ part, row }) => ({
    key: text(row, 'key', part, loc),
    value: { label: text(row, 'label', part, loc), reason: String(row.reason ?? '') } satisfies ErrorRow,
  }));
  const pcaRows = (await readTable(source, 'pca', ['key', 'label', 'pca'])).map(({ part, row }) => ({
    key: text(row, 'key', part, loc),
    value: { label: text(row, 'label', part, loc), pca: Float64Array.from(vector(row, 'pca', k, part, loc)) } satisfies PcaRow,
  }));
  const componentRows = (await readTable(source, 'pca_components', ['pc', 'vector'])).map(({ part, row }) => {
    const pc = row.pc;
    if (typeof pc !== 'number' || !Number.isInteger(pc) || pc < 1) {
      throw new RunOutputError(loc, `${part}: column "pc" must be an integer >= 1, found ${JSON.stringify(pc)}`);
    }
    return { pc, vector: Float64Array.from(vector(row, 'vector', dim, part, loc)) };
  });
  componentRows.sort((x, y) => x.pc - y.pc);
  const pcs = componentRows.map((c) => c.pc);
  if (pcs.some((pc, i) => pc !== i + 1)) {
    throw new RunOutputError(loc, `pca_components/ must hold pc 1..n once each, found pc ${pcs.join(', ')}`, 'rerun the job for this output');
  }

  return {
    location: loc,
    manifest,
    explainedVariance,
    features: index(featureRows),
    errors: index(errorRows),
    pca: index(pcaRows),
    components: componentRows.map((c) => c.vector),
    rows: { features: featureRows.length, errors: errorRows.length, pca: pcaRows.length },
  };
}
