/**
 * Parity end to end on synthetic run folders (written as Spark would, read back with hyparquet): identical and
 * legitimately different runs pass; each real difference fails, naming the right check and stopping early.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParitySchema, type ParityTolerances } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/parity/check-result.js';
import { compareRuns, type Comparison } from '../../src/parity/compare.js';
import { loadRun } from '../../src/outputs/load-run.js';
import { openRunSource } from '../../src/outputs/source.js';
import {
  baseRun, flipSign, perturbFeatures, relabel, removeImage, rerun, rotatePlane, scaleRun, withK, writeRun, type SyntheticRun,
} from '../fixtures/parity/synthetic-run.js';

const tolerances = ParitySchema.parse({});
const root = mkdtempSync(path.join(tmpdir(), 'parity-compare-'));
let n = 0;

async function compare(a: SyntheticRun, b: SyntheticRun, opts: { allLayers?: boolean; tolerances?: Partial<ParityTolerances> } = {}): Promise<Comparison> {
  n++;
  const ra = await loadRun(openRunSource(writeRun(path.join(root, `${n}-a`), a)));
  const rb = await loadRun(openRunSource(writeRun(path.join(root, `${n}-b`), b)));
  return compareRuns(ra, rb, { ...tolerances, ...opts.tolerances }, opts);
}

const byName = (c: Comparison, name: string): CheckResult => {
  const found = c.checks.find((r) => r.name === name);
  if (!found) throw new Error(`no check ${name} in ${c.checks.map((r) => r.name).join(', ')}`);
  return found;
};
const failing = (c: Comparison) => c.checks.filter((r) => r.status === 'fail').map((r) => r.name);
const skipped = (c: Comparison) => c.checks.filter((r) => r.status === 'skip').map((r) => r.name);

describe('parity on synthetic runs', () => {
  const base = baseRun();

  it('passes two runs with identical results, every layer measured', async () => {
    const c = await compare(base, rerun(base));
    expect(failing(c)).toEqual([]);
    expect(c.passed).toBe(true);
    expect(new Set(c.checks.map((r) => r.layer))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(skipped(c)).toEqual([]);
    expect(byName(c, 'features.max-abs').measured).toBe(0);
    expect(byName(c, 'pca.axes').measured).toBeCloseTo(1, 12);
    expect(byName(c, 'provenance.input-set').detail).toMatch(/13 images on both sides/);
  });

  it('passes when PCA axes come out sign-flipped (with their projections)', async () => {
    const c = await compare(base, flipSign(flipSign(rerun(base), 1), 3));
    expect(failing(c)).toEqual([]);
    expect(byName(c, 'pca.axes').measured).toBeCloseTo(1, 12);
    expect(byName(c, 'pca.projections').measured).toBeLessThan(1e-12);
    expect(byName(c, 'pca.projections').detail).toMatch(/2 axis sign\(s\) flipped/);
  });

  it('passes axes rotated within the plane of two near-equal eigenvalues, comparing the subspace', async () => {
    const degenerate = baseRun({ ratios: [0.4, 0.2, 0.1995, 0.1] });
    const c = await compare(degenerate, rotatePlane(rerun(degenerate), 2, 3, 0.5));
    expect(failing(c)).toEqual([]);
    expect(byName(c, 'pca.axes').items).toEqual([expect.stringMatching(/^pcs 2-3: near-equal eigenvalues, compared as a subspace/)]);
    expect(byName(c, 'pca.projections').measured).toBeLessThan(1e-9);
  });

  it('fails that rotation when eigengapRel says the eigenvalues are distinct', async () => {
    const degenerate = baseRun({ ratios: [0.4, 0.2, 0.1995, 0.1] });
    const c = await compare(degenerate, rotatePlane(rerun(degenerate), 2, 3, 0.5), { tolerances: { eigengapRel: 1e-4 } });
    expect(failing(c)).toEqual(['pca.axes', 'pca.projections']);
  });

  it('fails the same rotation when the eigenvalues are well separated', async () => {
    const c = await compare(base, rotatePlane(rerun(base), 2, 3, 0.5));
    expect(failing(c)).toEqual(['pca.axes', 'pca.projections']);
    expect(byName(c, 'pca.axes').detail).toMatch(/worst pc [23]/);
    expect(c.failedLayer).toBe(5);
  });

  it('fails other weights on provenance.weights and skips the later layers', async () => {
    const other = rerun(base);
    other.manifest.weights = { ...other.manifest.weights, spec: 'random:2', sha256: 'd'.repeat(64) };
    const c = await compare(base, other);
    expect(failing(c)).toEqual(['provenance.weights']);
    expect(skipped(c)).toEqual(['keys', 'counts', 'features', 'pca']);
    expect(byName(c, 'features').detail).toBe('skipped: layer 1 (provenance) failed');
    expect(byName(c, 'provenance.weights').detail).toMatch(/random:1 .* vs B random:2/);
  });

  it('fails one image removed on provenance.input-set, naming the image', async () => {
    const c = await compare(base, removeImage(rerun(base), 'Banana/2_100.jpg'));
    expect(failing(c)).toEqual(['provenance.input-set']);
    expect(byName(c, 'provenance.input-set').items).toEqual(['only in A: Banana/2_100.jpg']);
    expect(byName(c, 'provenance.input-set').detail).toMatch(/13 vs 12 images/);
  });

  it('fails one label changed on keys.labels, naming the key and both labels', async () => {
    const c = await compare(base, relabel(rerun(base), 'Cherry/3_100.jpg', 'Banana'));
    expect(failing(c)).toEqual(['keys.labels']);
    expect(byName(c, 'keys.labels').items).toEqual(['Cherry/3_100.jpg: Cherry vs Banana']);
    expect(skipped(c)).toEqual(['counts', 'features', 'pca']);
  });

  it('fails perturbed features (as another interpolation gives) on the features layer, naming the worst image', async () => {
    const c = await compare(base, perturbFeatures(rerun(base), 0.05));
    expect(failing(c)).toEqual(['features.max-abs', 'features.cosine']);
    expect(byName(c, 'features.max-abs').measured as number).toBeGreaterThan(tolerances.featureMaxAbs);
    expect(byName(c, 'features.max-abs').detail).toMatch(/^12 images; 12 beyond tolerance, worst \w+\/\d_100\.jpg$/);
    expect(skipped(c)).toEqual(['pca']);
  });

  it('passes features that differ only in the last bits', async () => {
    const c = await compare(base, perturbFeatures(rerun(base), 1e-7));
    expect(failing(c)).toEqual([]);
    expect(byName(c, 'features.max-abs').measured as number).toBeGreaterThan(0);
  });

  it('warns that the absolute tolerances are blind at a tiny feature scale, while the cosine still fails a real difference', async () => {
    const tiny = scaleRun(base, 1e-8);
    const same = await compare(tiny, rerun(tiny));
    expect(same.passed).toBe(true);
    expect(byName(same, 'features.max-abs')).toMatchObject({ status: 'pass', measured: 0 });
    const lastBits = await compare(tiny, flipSign(perturbFeatures(rerun(tiny), 1e-7), 1));
    expect(lastBits.passed).toBe(true);
    expect(byName(lastBits, 'features.max-abs')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/tolerance is coarse for values up to 3\.\d+e-8/) });
    expect(byName(lastBits, 'pca.projections').status).toBe('pass');
    const moved = await compare(tiny, perturbFeatures(rerun(tiny), 0.05));
    expect(failing(moved)).toEqual(['features.cosine']);
    expect(byName(moved, 'features.max-abs').status).toBe('warn');
  });

  it('fails a different interpolation setting on provenance.job-settings', async () => {
    const other = rerun(base);
    other.manifest.settings.interpolation = 'nearest';
    const c = await compare(base, other);
    expect(failing(c)).toEqual(['provenance.job-settings']);
    expect(byName(c, 'provenance.job-settings').detail).toBe('interpolation: "bilinear" vs "nearest"');
  });

  it('fails a different k on provenance.pca-settings, and on pca.k when every layer runs', async () => {
    const c = await compare(base, withK(rerun(base), 3), { allLayers: true });
    expect(failing(c)).toEqual(['provenance.pca-settings', 'pca.k']);
    expect(c.failedLayer).toBe(1);
    expect(byName(c, 'pca.k').detail).toMatch(/k differs: 4 vs 3/);
    expect(byName(c, 'pca.axes').detail).toMatch(/^first 3 axes only/);
  });

  it('fails a different k chosen by the variance threshold on pca.k alone', async () => {
    const a = clone(base, (r) => { r.manifest.settings.pca_k = null; r.manifest.pca.k_mode = 'variance'; });
    const b = clone(withK(rerun(base), 3), (r) => { r.manifest.settings.pca_k = null; r.manifest.pca.k_mode = 'variance'; });
    const c = await compare(a, b);
    expect(failing(c)).toEqual(['pca.k']);
  });

  it('fails a different artifact on provenance.artifact', async () => {
    const other = rerun(base);
    other.manifest.artifact.sha256 = 'e'.repeat(64);
    const c = await compare(base, other);
    expect(failing(c)).toEqual(['provenance.artifact']);
  });

  it('passes two releases of the same job code whose numbers agree, warning on the release and the artifact', async () => {
    const a = clone(base, (r) => {
      r.manifest.release = 'emr-7.13.0';
      r.manifest.artifact.code_sha256 = 'c'.repeat(64);
      r.manifest.versions.pyspark = '3.5.6';
    });
    const b = clone(perturbFeatures(rerun(a), 1e-7), (r) => {
      r.manifest.release = 'emr-spark-8.1.0';
      r.manifest.artifact.sha256 = 'e'.repeat(64);
      r.manifest.versions.pyspark = '4.1.1';
    });
    const c = await compare(a, b);
    expect(failing(c)).toEqual([]);
    expect(c.passed).toBe(true);
    expect(byName(c, 'provenance.release')).toMatchObject({ status: 'warn', measured: 'differs' });
    expect(byName(c, 'provenance.release').detail).toMatch(/A emr-7\.13\.0 \(pyspark 3\.5\.6\) vs B emr-spark-8\.1\.0 \(pyspark 4\.1\.1\)/);
    expect(byName(c, 'provenance.artifact')).toMatchObject({ status: 'warn', measured: 'differs by release' });
  });

  it('still fails different job code packed for two releases', async () => {
    const a = clone(base, (r) => {
      r.manifest.release = 'emr-7.13.0';
      r.manifest.artifact.code_sha256 = 'c'.repeat(64);
    });
    const b = clone(rerun(a), (r) => {
      r.manifest.release = 'emr-spark-8.1.0';
      r.manifest.artifact.sha256 = 'e'.repeat(64);
      r.manifest.artifact.code_sha256 = 'd'.repeat(64);
    });
    expect(failing(await compare(a, b))).toEqual(['provenance.artifact']);
  });

  it('passes the release check for two runs of one release', async () => {
    const a = clone(base, (r) => (r.manifest.release = 'emr-spark-8.1.0'));
    expect(byName(await compare(a, rerun(a)), 'provenance.release')).toMatchObject({ status: 'pass', detail: expect.stringContaining('emr-spark-8.1.0') });
  });

  it('passes a Keras run against an OpenVINO run whose features agree, and reports that the engines differ', async () => {
    const keras = clone(base, (r) => (r.manifest.engine = { name: 'keras', precision: 'f32', parity_safe: true }));
    const openvino = perturbFeatures(rerun(base), 1e-7);
    openvino.manifest = { ...openvino.manifest, engine: { name: 'openvino', precision: 'f32', parity_safe: true } };
    const c = await compare(keras, openvino);
    expect(failing(c)).toEqual([]);
    expect(c.passed).toBe(true);
    expect(byName(c, 'provenance.engine')).toMatchObject({ status: 'warn', measured: 'differs' });
    expect(byName(c, 'provenance.engine').detail).toMatch(/A keras f32 vs B openvino f32/);
  });

  it('calls out an opt-in precision that is not parity-safe', async () => {
    const bf16 = rerun(base);
    bf16.manifest = { ...bf16.manifest, engine: { name: 'openvino', precision: 'bf16', parity_safe: false } };
    const c = await compare(base, bf16, { allLayers: true });
    expect(byName(c, 'provenance.engine').detail).toMatch(/openvino bf16 \(NOT parity-safe\)/);
  });

  it('warns, without failing, when library versions differ', async () => {
    const other = rerun(base);
    other.manifest.versions.tensorflow = '2.20.0';
    const c = await compare(base, other);
    expect(c.passed).toBe(true);
    expect(byName(c, 'provenance.versions')).toMatchObject({ status: 'warn', detail: 'tensorflow 2.21.0 vs 2.20.0' });
  });

  it('fails a run whose tables disagree with its manifest on counts', async () => {
    const other = rerun(base);
    other.pca = other.pca.slice(1);
    const c = await compare(base, other);
    expect(failing(c)).toEqual(['counts.B']);
    expect(byName(c, 'counts.B').items).toEqual(expect.arrayContaining(['pca/ has 11 rows for 12 feature rows']));
  });
});

function clone(run: SyntheticRun, edit: (r: SyntheticRun) => void): SyntheticRun {
  const r = structuredClone(run);
  edit(r);
  return r;
}
