/** The uploads both cloud plans share (emr/run-uploads.ts): input mirror, content-addressed artifact, weights. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { artifactUploads, runInputUploads, weightsUpload } from '../../src/emr/run-uploads.js';
import { fakeArtifact, fakeFile, fakeInputFiles } from '../helpers/emr-fixtures.js';

describe('run uploads', () => {
  it('a local folder is mirrored under <inputsPrefix>/<folder>/; s3:// inputs are used in place; anything else is refused naming the service', () => {
    const files = fakeInputFiles('/data/fruits-sample');
    const local = runInputUploads('b', 'inputs', { kind: 'local', dir: '/data/fruits-sample', files }, 'EMR');
    expect(local.inputUri).toBe('s3://b/inputs/fruits-sample/');
    expect(local.mirror).toEqual(['inputs/fruits-sample/']);
    expect(local.uploads.map((u) => [u.role, u.key, u.md5])).toEqual(files.map((f) => ['input', `inputs/fruits-sample/${f.relPath}`, f.md5]));
    expect(runInputUploads('b', 'inputs', { kind: 's3', uri: 's3a://other/imgs/' }, 'EMR')).toEqual({ uploads: [], mirror: [], inputUri: 's3://other/imgs/' });
    expect(() => runInputUploads('b', 'inputs', { kind: 's3', uri: '/local/path' }, 'EMR Serverless')).toThrow(ConfigError);
    expect(() => runInputUploads('b', 'inputs', { kind: 's3', uri: '/local/path' }, 'EMR Serverless')).toThrow(/job\.input: EMR Serverless reads s3:\/\/ inputs, not "\/local\/path"/);
  });

  it('the artifact\'s named files go under artifacts/<sha256>/, with their s3:// URIs', () => {
    const art = fakeArtifact('c'.repeat(64));
    const { uploads, uris } = artifactUploads('b', art, ['zip', 'entrypoint'] as const);
    expect(uploads.map((u) => u.key)).toEqual([`artifacts/${'c'.repeat(64)}/${art.files.zip.relPath.split('/').pop()}`, `artifacts/${'c'.repeat(64)}/${art.files.entrypoint.relPath.split('/').pop()}`]);
    expect(uris.zip).toBe(`s3://b/${uploads[0]!.key}`);
    expect(Object.keys(uris)).toEqual(['zip', 'entrypoint']);
  });

  it('a local weights file travels under weights/<md5>/; another spec is passed as is (s3a:// as s3://)', () => {
    const f = fakeFile('/cache/w.weights.h5', '7');
    expect(weightsUpload('b', { spec: '/cache/w.weights.h5', file: f })).toEqual({
      upload: { role: 'weights', source: f.absPath, key: `weights/${f.md5}/w.weights.h5`, bytes: f.size, md5: f.md5 },
      weightsSpec: `s3://b/weights/${f.md5}/w.weights.h5`,
    });
    expect(weightsUpload('b', { spec: 's3a://x/w.h5' })).toEqual({ weightsSpec: 's3://x/w.h5' });
    expect(weightsUpload('b', { spec: 'random:0' })).toEqual({ weightsSpec: 'random:0' });
  });
});
