/**
 * Where a run's outputs are read from: a local run folder (`runs/<id>/`, any folder with the contract layout, or a
 * file:// URI) or an s3:// / s3a:// output URI read through an injected S3Client (MinIO locally, AWS for EMR runs).
 * Both give the same two operations, so loading and checking never know where the bytes live.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../storage/listing.js';
import { asyncBufferFromFile, type AsyncBuffer } from 'hyparquet';
import { CloudError } from '../errors.js';
import { asPrefix, tryParseS3Uri, type S3Location } from '../storage/s3-uri.js';
import { RunOutputError } from './run-output-error.js';

export interface ParquetPart {
  /** File name (part-00000-....snappy.parquet), for messages. */
  name: string;
  open(): Promise<AsyncBuffer>;
}

export interface RunSource {
  /** The run as the user named it. */
  readonly location: string;
  /** A file at the run root (manifest.json, explained_variance.json); undefined when absent. */
  readText(name: string): Promise<string | undefined>;
  /** The Parquet part files of one output table, in name order; undefined when the table folder is absent. */
  parquetParts(table: string): Promise<ParquetPart[] | undefined>;
}

/** Spark's part files; `_SUCCESS`, `.crc` and other hidden files are not data. */
function isDataPart(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.endsWith('.parquet') && !base.startsWith('_') && !base.startsWith('.');
}

export class LocalRunSource implements RunSource {
  constructor(
    readonly location: string,
    /** Absolute folder path. */
    readonly dir: string,
  ) {}

  async readText(name: string): Promise<string | undefined> {
    const file = path.join(this.dir, name);
    return existsSync(file) ? readFile(file, 'utf8') : undefined;
  }

  async parquetParts(table: string): Promise<ParquetPart[] | undefined> {
    const folder = path.join(this.dir, table);
    if (!existsSync(folder)) return undefined;
    const names = (await readdir(folder)).filter(isDataPart).sort();
    return names.map((name) => ({ name: `${table}/${name}`, open: () => asyncBufferFromFile(path.join(folder, name)) }));
  }
}

export type { S3Location };

export class S3RunSource implements RunSource {
  constructor(
    readonly location: string,
    private readonly where: S3Location,
    private readonly client: S3Client,
  ) {}

  private key(name: string): string {
    return asPrefix(this.where.key) + name;
  }

  private async getBytes(key: string, range?: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: key, ...(range ? { Range: range } : {}) }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') return undefined;
      throw this.explain(err, `reading s3://${this.where.bucket}/${key}`);
    }
  }

  async readText(name: string): Promise<string | undefined> {
    const bytes = await this.getBytes(this.key(name));
    return bytes && new TextDecoder().decode(bytes);
  }

  async parquetParts(table: string): Promise<ParquetPart[] | undefined> {
    const prefix = `${this.key(table)}/`;
    let objects: { key: string; size: number }[];
    try {
      objects = await listObjects(this.client, this.where.bucket, prefix);
    } catch (err) {
      throw this.explain(err, `listing s3://${this.where.bucket}/${prefix}`);
    }
    if (objects.length === 0) return undefined;
    return objects
      .filter((o) => isDataPart(o.key))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
      .map(({ key, size }) => ({
        name: `${table}/${key.slice(prefix.length)}`,
        open: async () => {
          // Ranged GETs: hyparquet fetches the footer, then only the column chunks (or pages) it decodes, so a
          // part file of any size is never held whole. A store that lists no size is read whole, as before.
          if (size > 0) return this.rangedBuffer(key, size);
          const bytes = await this.getBytes(key);
          if (!bytes) throw this.gone(key);
          // hyparquet reads an ArrayBuffer directly; copy out of the SDK's (possibly shared) buffer.
          return bytes.slice().buffer as ArrayBuffer;
        },
      }));
  }

  private gone(key: string): RunOutputError {
    return new RunOutputError(this.location, `${key} was listed but is gone: is the run being rewritten?`);
  }

  private rangedBuffer(key: string, byteLength: number): AsyncBuffer {
    return {
      byteLength,
      slice: async (start: number, end?: number) => {
        const last = Math.min(end ?? byteLength, byteLength) - 1;
        if (last < start) return new ArrayBuffer(0);
        const bytes = await this.getBytes(key, `bytes=${start}-${last}`);
        if (!bytes) throw this.gone(key);
        if (bytes.length !== last - start + 1) {
          throw new RunOutputError(this.location, `${key}: asked for bytes ${start}-${last}, got ${bytes.length} bytes: is the run being rewritten?`);
        }
        return bytes.slice().buffer as ArrayBuffer;
      },
    };
  }

  private explain(err: unknown, what: string): Error {
    const name = errorName(err);
    const message = err instanceof Error ? err.message : String(err);
    if (name === 'NoSuchBucket') {
      return new RunOutputError(this.location, `bucket "${this.where.bucket}" does not exist (${what})`, 'check the URI and the profile (--profile) it belongs to');
    }
    return new CloudError(
      `${what} failed: ${name ? `${name}: ` : ''}${message}`,
      'check the credentials and endpoint of the profile that wrote this run (--profile), and that the store is running',
      { cause: err },
    );
  }
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

export interface OpenOptions {
  /** Gives the S3 client for an s3:// / s3a:// location; called only for such locations. */
  s3Client?: (where: S3Location) => S3Client;
  /** Where bare run ids are looked up (`parity 20261125T... 20261126T...`). */
  runsDir?: string;
  cwd?: string;
}

/** Chooses the source for what the user typed: s3://, s3a://, file://, a path, or a run id under runsDir. */
export function openRunSource(location: string, opts: OpenOptions = {}): RunSource {
  const s3 = tryParseS3Uri(location);
  if (s3) {
    if (!s3.bucket) throw new RunOutputError(location, 'the URI names no bucket', 'use s3://BUCKET/PREFIX');
    if (!opts.s3Client) {
      throw new RunOutputError(location, 'reading S3 outputs needs an S3 client, and none is configured here', 'copy the run to a local folder, or run parity from the workbench CLI');
    }
    return new S3RunSource(location, s3, opts.s3Client(s3));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://')) {
    throw new RunOutputError(location, 'unsupported URI scheme', 'use a local folder, file://, s3:// or s3a://');
  }
  const cwd = opts.cwd ?? process.cwd();
  const asPath = location.startsWith('file://') ? fileURLToPath(location) : path.resolve(cwd, location);
  const candidates = [asPath];
  if (opts.runsDir && !location.includes('/') && !location.startsWith('file://')) candidates.push(path.join(opts.runsDir, location));
  const dir = candidates.find((c) => existsSync(c) && statSync(c).isDirectory());
  if (!dir) {
    throw new RunOutputError(
      location,
      `no such run folder (looked at ${candidates.join(', ')})`,
      'pass a runs/<run-id> folder, a run id under runs/, or an s3:// output URI',
    );
  }
  return new LocalRunSource(location, dir);
}
