/**
 * `job.weights` and `job.input` parsed once, at the edge, into typed values. Downstream code switches on
 * `kind` and never classifies a string again.
 *
 * Relative paths are resolved against `base`: the repo root for values from workbench.yaml or the environment
 * (a path in a file is relative to that file), the user's directory for flags (commands resolve those first).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tryParseS3Uri, type S3Location } from '../storage/s3-uri.js';

export type WeightsSpec =
  /** The real ImageNet weights when they can be had, else random ones, loudly (setup/weights.ts). */
  | { kind: 'auto'; raw: string }
  /** Keras' own ImageNet file. */
  | { kind: 'imagenet'; raw: string }
  /** Deterministic random weights: exercises the pipeline only. */
  | { kind: 'random'; seed: number; raw: string }
  /** A local Keras weights file (absolute path); `file://` URIs are files too. */
  | { kind: 'file'; path: string; raw: string }
  /** A weights file in a store the job reads itself (s3://, s3a://, https://). */
  | { kind: 'uri'; uri: string; raw: string };

/** A spec the job can be given: `auto` resolved. */
export type ResolvedWeightsSpec = Exclude<WeightsSpec, { kind: 'auto' }>;

export type InputSpec =
  /** A local folder of images, uploaded (mirrored) to `<inputsPrefix>/<name>/` before the run. */
  | { kind: 'local'; dir: string; name: string; raw: string }
  /** Images already in a bucket, read in place. */
  | { kind: 's3'; location: S3Location; uri: string; raw: string };

export type SpecResult<T> = { ok: true; value: T } | { ok: false; message: string; fix: string };

const URI = /^[a-z][a-z0-9+.-]*:\/\//i;

export function parseWeightsSpec(raw: string, base: string): SpecResult<WeightsSpec> {
  const value = raw.trim();
  if (value === 'auto' || value === 'imagenet') return { ok: true, value: { kind: value, raw } };
  if (value.startsWith('random:')) {
    const m = /^random:(\d+)$/.exec(value);
    if (!m) return { ok: false, message: `"${raw}": random weights take an integer seed`, fix: 'e.g. random:0' };
    return { ok: true, value: { kind: 'random', seed: Number(m[1]), raw } };
  }
  if (value.startsWith('file://')) return { ok: true, value: { kind: 'file', path: fileURLToPath(value), raw } };
  if (URI.test(value)) {
    if (!/^(s3a?|s3n|https?):\/\//i.test(value)) {
      return { ok: false, message: `"${raw}": unsupported weights URI scheme`, fix: 'use a local path, file://, s3://, s3a:// or https://' };
    }
    return { ok: true, value: { kind: 'uri', uri: value, raw } };
  }
  if (value === '') return { ok: false, message: 'is empty', fix: 'auto | imagenet | random:SEED | a Keras weights file' };
  return { ok: true, value: { kind: 'file', path: path.resolve(base, value), raw } };
}

export function parseInputSpec(raw: string, base: string): SpecResult<InputSpec> {
  const value = raw.trim();
  const s3 = tryParseS3Uri(value);
  if (s3) {
    if (!s3.bucket) return { ok: false, message: `"${raw}" names no bucket`, fix: 'use s3://BUCKET/PREFIX/' };
    return { ok: true, value: { kind: 's3', location: s3, uri: value, raw } };
  }
  if (URI.test(value) && !value.startsWith('file://')) {
    return { ok: false, message: `"${raw}": unsupported input URI scheme`, fix: 'give a local folder of images, or an s3:// / s3a:// URI' };
  }
  if (value === '') return { ok: false, message: 'is empty', fix: 'give a folder of images (<Class>/<image>.jpg)' };
  const dir = value.startsWith('file://') ? fileURLToPath(value) : path.resolve(base, value);
  return { ok: true, value: { kind: 'local', dir, name: path.basename(dir), raw } };
}

/** What the job's `--weights` gets for a resolved spec (a URI is passed as the target names it). */
export function weightsArgument(spec: ResolvedWeightsSpec): string {
  switch (spec.kind) {
    case 'imagenet':
      return 'imagenet';
    case 'random':
      return `random:${spec.seed}`;
    case 'file':
      return spec.path;
    case 'uri':
      return spec.uri;
  }
}

/** A path or URI typed as a flag, made absolute against the user's directory (URIs and keywords unchanged). */
export function resolveFlagPath(value: string, cwd: string): string {
  if (URI.test(value) || value === 'auto' || value === 'imagenet' || value.startsWith('random:')) return value;
  return path.resolve(cwd, value);
}
