/**
 * Parity on runs too large to hold (made large by shrinking the limits, so the test stays fast): both readers
 * keep the same seeded sample of keys without coordinating, key sets and labels are decided over all rows by
 * digests, features and projections are compared on the sampled keys, and the report says what was sampled.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParitySchema } from '../../src/config/schema.js';
import { loadRun } from '../../src/outputs/load-run.js';
import type { RunData } from '../../src/outputs/run-data.js';
import { READ_LIMITS, type ReadLimits } from '../../src/outputs/sample.js';
import { openRunSource } from '../../src/outputs/source.js';
import type { CheckResult } from '../../src/parity/check-result.js';
import { compareRuns, type Comparison } from '../../src/parity/compare.js';
import { buildReport, formatReport } from '../../src/parity/report.js';
import { baseRun, clone, relabel, removeImage, rerun, writeRun, type SyntheticRun, type WriteLayout } from '../fixtures/parity/synthetic-run.js';

const tolerances = ParitySchema.parse({});
const limits: ReadLimits = { ...READ_LIMITS, batchRows: 32, keysWhole: 300, valuesWhole: 200, sampleRows: 60, scatterPoints: 40 };
const root = mkdtempSync(path.join(tmpdir(), 'parity-sampled-'));
let n = 0;

// 8 classes x 100 images: 800 feature rows, above every shrunk limit.
const base = baseRun({ labels: ['Apricot', 'Banana', 'Cherry', 'Kiwi', 'Lemon', 'Mango', 'Plum', 'Quince'], perLabel: 100 });

const load = (run: SyntheticRun, layout: WriteLayout = {}) => loadRun(openRunSource(writeRun(path.join(root, `${++n}`), run, layout)), limits);
const byName = (c: Comparison, name: string): CheckResult => c.checks.find((r) => r.name === name)!;
const failing = (c: Comparison) => c.checks.filter((r) => r.status === 'fail').map((r) => r.name);

let sampleA: RunData | undefined;
async function baseLoaded(): Promise<RunData> {
  sampleA ??= await load(base, { parts: 6, rowGroupSize: 50 });
  return sampleA;
}
/** Keys of the base run outside / inside the sample (ranked above / at or below the kept bound). */
async function keysBy(inSample: boolean): Promise<string[]> {
  const a = await baseLoaded();
  return base.features.map((f) => f.key).filter((k) => a.features.has(k) === inSample);
}

describe('parity on sampled runs', () => {
  it('two runs written with different part files and row groups keep the same sampled keys', async () => {
    const a = await baseLoaded();
    const b = await load(rerun(base), { parts: 11, rowGroupSize: 17 });
    expect(a.features.size).toBe(60);
    expect([...b.features.keys()].sort()).toEqual([...a.features.keys()].sort());
    expect([...b.pca.keys()].sort()).toEqual([...a.pca.keys()].sort());
    const c = compareRuns(a, b, tolerances);
    expect(failing(c)).toEqual([]);
    expect(byName(c, 'features.max-abs')).toMatchObject({ measured: 0, sample: { rows: 60, of: 800, seed: 20 } });
    expect(byName(c, 'features.cosine').detail).toMatch(/sample of 60 of 800 images \(seed 20\)/);
    expect(byName(c, 'pca.projections').sample).toEqual({ rows: 60, of: 800, seed: 20 });
    expect(byName(c, 'provenance.input-set').detail).toBe('801 images on both sides (digest of all keys)');
    expect(byName(c, 'keys.labels').detail).toBe('801 labels equal (digest of all key-label pairs)');
    expect(byName(c, 'counts.A').status).toBe('pass');
  });

  it('says in the JSON report and the table which checks were sampled, and on how many rows', async () => {
    const a = await baseLoaded();
    const b = await load(rerun(base));
    const report = buildReport(a, b, compareRuns(a, b, tolerances), tolerances);
    expect(report.sampling.seed).toBe(20);
    expect(report.sampling.checks.map((s) => s.name)).toEqual(expect.arrayContaining(['features.max-abs', 'features.cosine', 'pca.projections']));
    expect(report.sampling.checks.find((s) => s.name === 'features.max-abs')).toEqual({ name: 'features.max-abs', rows: 60, of: 800 });
    const text = formatReport(report, { color: false }).join('\n');
    expect(text).toMatch(/sampled: .*features\.max-abs, features\.cosine.* on a sample of 60 of 800 rows \(seed 20\)/);
    expect(text).toMatch(/counts and key sets are compared over all rows/);
  });

  it('catches a feature changed on one sampled key, naming it', async () => {
    const [victim] = await keysBy(true);
    const changed = clone(rerun(base));
    const row = changed.features.find((f) => f.key === victim)!;
    row.features = row.features.map((x, i) => (i === 3 ? Math.fround(x + 5) : x));
    const c = compareRuns(await baseLoaded(), await load(changed), tolerances);
    expect(failing(c)).toEqual(['features.max-abs', 'features.cosine']);
    expect(byName(c, 'features.max-abs').detail).toMatch(new RegExp(`1 beyond tolerance, worst ${victim!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  it('catches a key missing outside the sample by the digest, and names one missing inside it', async () => {
    const [outside] = await keysBy(false);
    const c = compareRuns(await baseLoaded(), await load(removeImage(rerun(base), outside!)), tolerances, { allLayers: true });
    expect(failing(c)).toEqual(expect.arrayContaining(['provenance.input-set', 'keys.features']));
    expect(byName(c, 'provenance.input-set')).toMatchObject({ status: 'fail', measured: 'digest differs' });
    expect(byName(c, 'provenance.input-set').detail).toMatch(/801 vs 800 images: the digests of all input keys differ, but no key in the sample of \d+ of 801 keys \(seed 20\) differs/);

    const [inside] = await keysBy(true);
    const d = compareRuns(await baseLoaded(), await load(removeImage(rerun(base), inside!)), tolerances);
    expect(failing(d)).toEqual(['provenance.input-set']);
    expect(byName(d, 'provenance.input-set').items).toEqual([`only in A: ${inside}`]);
  });

  it('catches a label changed outside the sample by the digest of key-label pairs', async () => {
    const [outside] = await keysBy(false);
    const c = compareRuns(await baseLoaded(), await load(relabel(rerun(base), outside!, 'Banana')), tolerances);
    expect(failing(c)).toEqual(['keys.labels']);
    expect(byName(c, 'keys.labels')).toMatchObject({ measured: 'digest differs' });
    expect(byName(c, 'keys.labels').detail).toMatch(/digests of all 801 key-label pairs differ/);
  });

  it('counts every row even when sampling: a pca row lost is a count failure', async () => {
    const lost = rerun(base);
    lost.pca = lost.pca.slice(1);
    const c = compareRuns(await baseLoaded(), await load(lost), tolerances);
    expect(failing(c)).toEqual(['counts.B']);
    expect(byName(c, 'counts.B').items).toEqual(expect.arrayContaining(['pca/ has 799 rows for 800 feature rows']));
  });
});
