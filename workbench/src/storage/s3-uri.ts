/**
 * S3 locations as the workbench speaks them. The SDK wants (bucket, key); Spark wants `s3a://` on the local stack
 * (Hadoop's S3A connector) and `s3://` on EMR (EMRFS). Pure.
 */
export interface S3Location {
  bucket: string;
  /** Key or prefix, without a leading slash. A prefix ends with '/'. */
  key: string;
}

const S3_URI = /^(s3a?|s3n):\/\/([^/]+)\/?(.*)$/;

export function isS3Uri(value: string): boolean {
  return S3_URI.test(value);
}

/** Parses s3://, s3a:// (and legacy s3n://) URIs; undefined for anything else. */
export function tryParseS3Uri(uri: string): S3Location | undefined {
  const m = S3_URI.exec(uri);
  return m ? { bucket: m[2]!, key: m[3]! } : undefined;
}

/** Parses s3://, s3a:// (and legacy s3n://) URIs. Throws on anything else. */
export function parseS3Uri(uri: string): S3Location {
  const loc = tryParseS3Uri(uri);
  if (!loc) throw new Error(`not an S3 URI: ${uri} (expected s3://bucket/prefix or s3a://bucket/prefix)`);
  return loc;
}

/**
 * The same object under the name each side uses: Hadoop's S3A connector (`s3a://`, the local stack and the
 * rehearsal) and EMRFS (`s3://`, EMR). Other strings are returned unchanged.
 */
export function toEmrUri(uri: string): string {
  return uri.replace(/^s3[an]:\/\//, 's3://');
}

export function toS3aUri(uri: string): string {
  return uri.replace(/^s3n?:\/\//, 's3a://');
}

/** A folder prefix always ends with exactly one '/' ('' stays '' for the bucket root). */
export function asPrefix(key: string): string {
  const trimmed = key.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** Joins key parts with single slashes, ignoring empty parts. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

export function s3aUri(loc: S3Location): string {
  return `s3a://${loc.bucket}/${loc.key}`;
}

export function s3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}
