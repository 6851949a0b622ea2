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
  rows: Row[];
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
export async function partsOf(source: RunSource, table: string): Promise<ParquetPart[]> {
  const parts = await source.parquetParts(table);
  if (!parts) {
    throw new RunOutputError(source.location, `the ${table}/ output folder is missing`, 'copy the whole run output (docs/job-contract.md lists the folders), or rerun the job');
  }
  return parts;
}

/** Every row of `table`, batch by batch (each batch within one row group of one part file). */
export async function* readBatches(source: RunSource, table: string, columns: string[], batchRows: number): AsyncGenerator<RowBatch> {
  if (!(batchRows >= 1)) throw new RangeError(`batchRows must be >= 1, got ${batchRows}`);
  for (const part of await partsOf(source, table)) {
    let file: AsyncBuffer;
    let metadata: FileMetaData;
    try {
      file = await part.open();
      metadata = await parquetMetadataAsync(file);
    } catch (err) {
      throw unreadable(source, part, columns, err);
    }
    let groupStart = 0;
    for (let g = 0; g < metadata.row_groups.length; g++) {
      const groupRows = Number(metadata.row_groups[g]!.num_rows);
      // Without an offset index a range read decodes the whole column chunk anyway: read the group once, then slice.
      const readRows = readInRanges(metadata, g, columns) ? batchRows : groupRows;
      for (let start = 0; start < groupRows; start += readRows) {
        const end = Math.min(groupRows, start + readRows);
        let rows: Row[];
        try {
          rows = (await parquetReadObjects({ file, metadata, columns, rowStart: groupStart + start, rowEnd: groupStart + end, useOffsetIndex: true })) as Row[];
        } catch (err) {
          throw unreadable(source, part, columns, err);
        }
        for (let i = 0; i < rows.length; i += batchRows) yield { part: part.name, rows: rows.slice(i, i + batchRows) };
      }
      groupStart += groupRows;
    }
  }
}
