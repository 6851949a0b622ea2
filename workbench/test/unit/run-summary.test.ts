import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/job/manifest.js';
import { formatRunSummary, formatSeconds } from '../../src/run/summary.js';

/** The example of docs/job-contract.md. */
const CONTRACT_EXAMPLE = {
  schema_version: 1,
  run_id: '20261125T200102Z-ab12cd',
  status: 'succeeded',
  input_uri: 's3a://fruits/inputs/sample-data/',
  output_uri: 's3a://fruits/runs/20261125T200102Z-ab12cd/',
  started_at: '2026-11-25T20:01:02Z',
  finished_at: '2026-11-25T20:02:10Z',
  counts: { inputs: 390, features: 389, errors: 1, featurized: 390 },
  feature_dim: 1280,
  pca: { k: 42, k_mode: 'variance', variance_threshold: 0.95, standardize: false, explained_variance_ratio: [0.31, 0.12], variance_kept: 0.951 },
  weights: { spec: 'random:0', source: 'random', sha256: 'a'.repeat(64), meaningful: false },
  engine: { name: 'onnxruntime', precision: 'f32', parity_safe: true, broadcast_bytes: 9032064 },
  artifact: { sha256: 'b'.repeat(64), code_sha256: 'c'.repeat(64) },
  settings: { weights: 'random:0', image_size: 224, interpolation: 'bilinear', arrow_batch_size: 64, partitions: 0, pca_k: null, pca_variance: 0.95, pca_standardize: false },
  versions: { python: '3.11.7', spark: '3.5.6' },
  spark: { master: 'local[*]', app_id: 'local-123', default_parallelism: 2, partitions: 2 },
  timings_s: { read: 1.2, featurize: 30.5, pca: 3.1, write: 2.0, total: 40.2 },
  outputs: { features: 'URI', errors: 'URI', pca: 'URI', pca_csv: 'URI', pca_model: 'URI', explained_variance: 'URI' },
};

const facts = {
  profile: 'local',
  outputUri: 's3://fruits/runs/20261125T200102Z-ab12cd/',
  endpoint: 'http://127.0.0.1:9000',
  stackKept: false,
  runDir: 'runs/20261125T200102Z-ab12cd',
  workbenchTimings: [['setup', 1.5], ['stack', 4], ['upload', 2], ['job', 61], ['download', 0.5]] as [string, number][],
  weightsDescription: 'random weights',
};

describe('formatRunSummary', () => {
  it('shows counts, dimension, k, variance kept, stage times, weights and where the outputs are', () => {
    const lines = formatRunSummary(parseManifest(JSON.stringify(CONTRACT_EXAMPLE), 'test'), facts);
    const text = lines.join('\n');
    expect(lines[0]).toBe('run 20261125T200102Z-ab12cd succeeded in 1 min 09 s (profile local)');
    expect(text).toContain('390 read, 389 featurized, 1 error (keys and reasons in errors/)');
    expect(text).toContain('1280 per image');
    expect(text).toContain('k = 42 (smallest k reaching 0.95 explained variance), variance kept 95.1%');
    expect(text).toContain('read 1.2 s, featurize 31 s, pca 3.1 s, write 2.0 s, total 40 s');
    expect(text).toContain('setup 1.5 s, stack 4.0 s, upload 2.0 s, job 1 min 01 s, download 0.5 s');
    expect(text).toMatch(/random:0: NOT MEANINGFUL/);
    expect(text).toContain('s3://fruits/runs/20261125T200102Z-ab12cd/');
    expect(text).toContain('runs/20261125T200102Z-ab12cd/ (manifest.json, pca.csv');
  });

  it('describes meaningful weights and a fixed k without warnings', () => {
    const m = {
      ...CONTRACT_EXAMPLE,
      counts: { inputs: 2, features: 2, errors: 0, featurized: 2 },
      pca: { ...CONTRACT_EXAMPLE.pca, k: 5, k_mode: 'fixed', variance_threshold: null },
      weights: { ...CONTRACT_EXAMPLE.weights, spec: 'imagenet', source: 'keras-cache', meaningful: true },
    };
    const text = formatRunSummary(parseManifest(JSON.stringify(m), 'test'), { ...facts, stackKept: true, weightsDescription: 'ImageNet (Keras cache)' }).join('\n');
    expect(text).toContain('2 read, 2 featurized, 0 errors\n');
    expect(text).toContain('k = 5 (fixed)');
    expect(text).toContain('imagenet (ImageNet (Keras cache))');
    expect(text).not.toContain('NOT MEANINGFUL');
    expect(text).toContain('(MinIO at http://127.0.0.1:9000)');
  });
});

describe('parseManifest', () => {
  it('names the fields that break the contract', () => {
    const { feature_dim: _, ...broken } = CONTRACT_EXAMPLE;
    expect(() => parseManifest(JSON.stringify({ ...broken, schema_version: 2 }), 'manifest.json')).toThrow(/schema_version.*feature_dim|feature_dim.*schema_version/);
    expect(() => parseManifest('{not json', 'manifest.json')).toThrow(/not JSON/);
  });

  it('is the one schema: the runner, the outputs reader (parity, report) and the promote pre-check read the same', async () => {
    const outputs = await import('../../src/outputs/manifest.js');
    const job = await import('../../src/job/manifest.js');
    expect(outputs.ManifestSchema).toBe(job.ManifestSchema);
    const text = JSON.stringify(CONTRACT_EXAMPLE);
    expect(outputs.parseManifest(text, 'runs/x')).toEqual(parseManifest(text, 'runs/x'));
  });
});

describe('formatSeconds', () => {
  it('is short under a minute and in minutes above', () => {
    expect(formatSeconds(0.42)).toBe('0.4 s');
    expect(formatSeconds(12.6)).toBe('13 s');
    expect(formatSeconds(125)).toBe('2 min 05 s');
  });
});
