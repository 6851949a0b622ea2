/**
 * Streams one output table: every Parquet part file in name order (a table may have any number of them: one per
 * task, or parts assembled later), each row group of each part, in batches of at most `batchRows` rows. Memory
 * is one batch of decoded rows (plus, for a part file without an offset index, its current row group, which
 * hyparquet must decode whole: Spark writes offset indexes, with 1 MB pages in row groups of 128 MB). Nothing
 * is kept between batches.
 */
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { RunOutputError } from './run-output-error.js';
import type { ParquetPart, RunSource } from './source.js';

export type Row = Record<string, unknown>;

export interface RowBatch {
  /** The part file the rows came from (features/part-00000-....parquet), for messages. */
  part: string;
  /** The eagerly read columns of every row of the batch. */
  rows: Row[];
  /** Every column (eager and lazy) of the rows at these indices of `rows`, in the same order. */
  more(indices: number[]): Promise<Row[]>;
}

function unreadable(source: RunSource, part: ParquetPart, columns: string[], err: unknown): RunOutputError {
  if (err instanceof RunOutputError) return err;
  return new RunOutputError(
    source.location,
    `${part.name} is not a readable Parquet file with columns ${columns.join(', ')} (${err instanceof Error ? err.message : String(err)})`,
    'rerun the job for this output, or copy the part files again',
    { cause: err },
  );
}

/**
 * Whether to read a row group in batch-sized ranges: when its largest requested column chunk (the features) has
 * an offset index, hyparquet reads only the pages a range needs. A small single-page chunk (the keys) has none
 * and is decoded whole for each range, which costs little. Without an offset index on the largest chunk, a
 * range read would decode the whole chunk for every batch: read the group once instead.
 */
function readInRanges(metadata: FileMetaData, group: number, columns: string[]): boolean {
  const chunks = (metadata.row_groups[group]?.columns ?? []).filter((c) => columns.includes(c.meta_data?.path_in_schema[0] ?? ''));
  const size = (c: (typeof chunks)[number]) => Number(c.meta_data?.total_uncompressed_size ?? 0);
  const largest = chunks.reduce<(typeof chunks)[number] | undefined>((top, c) => (!top || size(c) > size(top) ? c : top), undefined);
  return Boolean(largest?.offset_index_offset && largest.offset_index_length);
}

/** The table's parts, or a RunOutputError when its folder is missing. */
async function partsOf(source: RunSource, table: string): Promise<ParquetPart[]> {
  const parts = await source.parquetParts(table);
  if (!parts) {
    throw new RunOutputError(source.location, `the ${table}/ output folder is missing`, 'copy the whole run output (docs/job-contract.md lists the folders), or rerun the job');
  }
  return parts;
}

/**
 * Every row of `table`, batch by batch (each batch within one row group of one part file). `columns` are read
 * for every row; `lazy` columns only for the rows a caller asks for (RowBatch.more): a sampled read of a large
 * table decodes the keys of every row but the 1280 features of only the sampled rows' pages.
 */
export async function* readBatches(source: RunSource, table: string, columns: string[], batchRows: number, lazy: string[] = []): AsyncGenerator<RowBatch> {
  if (!(batchRows >= 1)) throw new RangeError(`batchRows must be >= 1, got ${batchRows}`);
  const all = [...columns, ...lazy];
  for (const part of await partsOf(source, table)) {
    let file: AsyncBuffer;
    let metadata: FileMetaData;
    try {
      file = await part.open();
      metadata = await parquetMetadataAsync(file);
    } catch (err) {
      throw unreadable(source, part, all, err);
    }
    const read = async (cols: string[], rowStart: number, rowEnd: number): Promise<Row[]> => {
      try {
        return (await parquetReadObjects({ file, metadata, columns: cols, rowStart, rowEnd, useOffsetIndex: true })) as Row[];
      } catch (err) {
        throw unreadable(source, part, all, err);
      }
    };
    let groupStart = 0;
    for (let g = 0; g < metadata.row_groups.length; g++) {
      const groupRows = Number(metadata.row_groups[g]!.num_rows);
      if (readInRanges(metadata, g, all)) {
        for (let start = 0; start < groupRows; start += batchRows) {
          const from = groupStart + start;
          const rows = await read(columns, from, Math.min(groupStart + groupRows, from + batchRows));
          yield { part: part.name, rows, more: (indices) => readSome(read, lazy, from, rows, indices) };
        }
      } else {
        // Without an offset index a range read decodes the whole column chunk anyway: read the group once, then slice.
        const rows = await read(all, groupStart, groupStart + groupRows);
        for (let i = 0; i < rows.length; i += batchRows) {
          const slice = rows.slice(i, i + batchRows);
          yield { part: part.name, rows: slice, more: async (indices) => indices.map((j) => slice[j]!) };
        }
      }
      groupStart += groupRows;
    }
  }
}

/**
 * Up to this many rows of a batch are read one run at a time (each read decodes the page(s) holding it: about
 * 200 rows of 1280 float32 in Spark's 1 MB pages, ~20 pages per 4,096-row batch); beyond it, the span at once.
 */
const SEPARATE_READS = 16;

/** The lazy columns of some rows of a batch, merged into those rows: one ranged read per run of consecutive indices. */
async function readSome(
  read: (cols: string[], rowStart: number, rowEnd: number) => Promise<Row[]>,
  lazy: string[],
  from: number,
  rows: Row[],
  indices: number[],
): Promise<Row[]> {
  if (lazy.length === 0) return indices.map((i) => rows[i]!);
  const sorted = [...new Set(indices)].sort((x, y) => x - y);
  const got = new Map<number, Row>();
  if (sorted.length > SEPARATE_READS) {
    // Many rows: their pages are most of the batch's, so one read of the span decodes each page once.
    const [first, last] = [sorted[0]!, sorted.at(-1)!];
    const values = await read(lazy, from + first, from + last + 1);
    return indices.map((i) => ({ ...rows[i], ...values[i - first] }));
  }
  for (let r = 0; r < sorted.length; ) {
    let end = r + 1;
    while (end < sorted.length && sorted[end] === sorted[end - 1]! + 1) end++;
    const values = await read(lazy, from + sorted[r]!, from + sorted[end - 1]! + 1);
    values.forEach((v, k) => got.set(sorted[r + k]!, { ...rows[sorted[r + k]!], ...v }));
    r = end;
  }
  return indices.map((i) => got.get(i)!);
}
