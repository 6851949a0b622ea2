/**
 * The uploads both cloud plans make for a run, pure (emr/plan.ts for EMR on EC2, serverless/plan.ts for EMR
 * Serverless): a local input folder mirrored under <inputsPrefix>/<folder>/, the artifact's files under its
 * content-addressed prefix (so an unchanged artifact is never uploaded twice), and a local weights file under
 * weights/<md5>/. Each plan adds its own (EC2: the runtime wheels; Serverless: the venv archive).
 */
import path from 'node:path';
import { joinKey, s3Uri as s3UriOf, toEmrUri } from '../storage/s3-uri.js';
import type { LocalFile } from '../storage/upload-plan.js';
import { ConfigError } from '../errors.js';
import type { ArtifactFiles, PlannedUpload, PromoteInput } from './plan.js';

type ArtifactName = keyof ArtifactFiles['files'];

const s3Uri = (bucket: string, key: string) => s3UriOf({ bucket, key });

/** The content-addressed prefix of an artifact: artifacts/<sha256>. */
export function artifactPrefixOf(artifact: Pick<ArtifactFiles, 'sha256'>): string {
  return joinKey('artifacts', artifact.sha256);
}

/** A local input folder, mirrored: its uploads, the prefix that must hold exactly them, and its s3:// URI. */
export function inputFolderUploads(bucket: string, inputsPrefix: string, input: { dir: string; files: LocalFile[] }): { uploads: PlannedUpload[]; mirror: string; inputUri: string } {
  const prefix = joinKey(inputsPrefix, path.basename(input.dir));
  return {
    uploads: input.files.map((f) => ({ role: 'input', source: f.absPath, key: joinKey(prefix, f.relPath), bytes: f.size, md5: f.md5 })),
    mirror: `${prefix}/`,
    inputUri: `${s3Uri(bucket, prefix)}/`,
  };
}

/** The run's input: a local folder mirrored (its uploads and prefix), or s3:// images used in place (`service` reads them). */
export function runInputUploads(bucket: string, inputsPrefix: string, input: PromoteInput, service: string): { uploads: PlannedUpload[]; mirror: string[]; inputUri: string } {
  if (input.kind === 'local') {
    const folder = inputFolderUploads(bucket, inputsPrefix, input);
    return { uploads: folder.uploads, mirror: [folder.mirror], inputUri: folder.inputUri };
  }
  const inputUri = toEmrUri(input.uri);
  if (!inputUri.startsWith('s3://')) {
    throw new ConfigError([{ key: 'job.input', message: `${service} reads s3:// inputs, not ${JSON.stringify(input.uri)}` }], 'promote');
  }
  return { uploads: [], mirror: [], inputUri };
}

/** The named files of the artifact under its prefix, and the s3:// URI of each. */
export function artifactUploads<N extends ArtifactName>(bucket: string, artifact: ArtifactFiles, names: readonly N[]): { uploads: PlannedUpload[]; uris: Record<N, string> } {
  const uploads: PlannedUpload[] = [];
  const uris = {} as Record<N, string>;
  for (const name of names) {
    const f = artifact.files[name];
    const key = joinKey(artifactPrefixOf(artifact), path.basename(f.absPath));
    uploads.push({ role: 'artifact', source: f.absPath, key, bytes: f.size, md5: f.md5 });
    uris[name] = s3Uri(bucket, key);
  }
  return { uploads, uris };
}

/** Weights: a local file travels with the run (weights/<md5>/<name>); any other spec is passed as is (s3a:// as s3://). */
export function weightsUpload(bucket: string, weights: { spec: string; file?: LocalFile }): { upload?: PlannedUpload; weightsSpec: string } {
  if (!weights.file) return { weightsSpec: toEmrUri(weights.spec) };
  const f = weights.file;
  const key = joinKey('weights', f.md5, path.basename(f.absPath));
  return { upload: { role: 'weights', source: f.absPath, key, bytes: f.size, md5: f.md5 }, weightsSpec: s3Uri(bucket, key) };
}
