/**
 * Layer 1, provenance: were the two runs asked to compute the same thing? Same job artifact, same input images,
 * same weights, same job and PCA settings. The release and the library versions are shown side by side; a
 * difference is a warning (the later layers say whether it mattered).
 */
import { listed, sampleText, shortSha, type CheckResult, type CheckSample } from '../check-result.js';
import { diffKeys, unionOf } from '../key-sets.js';
import type { Manifest } from '../../outputs/manifest.js';
import type { RunData } from '../../outputs/run-data.js';

const layer = 1 as const;

/** Two runs of different releases: their artifacts differ by the release's lock and release.json only. */
function releasesDiffer(a: Manifest, b: Manifest): boolean {
  return !!a.release && !!b.release && a.release !== b.release;
}

function artifact(a: Manifest, b: Manifest): CheckResult {
  const name = 'provenance.artifact';
  const [sa, sb] = [a.artifact.sha256, b.artifact.sha256];
  const side = `A ${shortSha(sa)} vs B ${shortSha(sb)}`;
  if (sa && sb) {
    if (sa === sb) return { name, layer, status: 'pass', measured: 'equal', tolerance: 'equal', detail: `artifact ${shortSha(sa)}` };
    // Packed for two releases, the same job code gives two artifacts (the lock and release.json differ): that is
    // the release difference, reported by provenance.release; the package sources must still be the same.
    const [ca, cb] = [a.artifact.code_sha256, b.artifact.code_sha256];
    if (releasesDiffer(a, b) && ca && ca === cb) {
      return {
        name, layer, status: 'warn', measured: 'differs by release', tolerance: 'equal',
        detail: `artifacts packed for two releases (${side}); the job's package sources are the same (code_sha256 ${shortSha(ca)})`,
      };
    }
    return { name, layer, status: 'fail', measured: 'differs', tolerance: 'equal', detail: `different job artifacts: ${side}` };
  }
  // A run started outside the workbench records no artifact sha; the package sources' sha is the next best thing.
  const [ca, cb] = [a.artifact.code_sha256, b.artifact.code_sha256];
  if (ca && cb && ca !== cb) {
    return { name, layer, status: 'fail', measured: 'differs', tolerance: 'equal', detail: `artifact sha256 not recorded on both sides and the package sources differ (code_sha256 ${shortSha(ca)} vs ${shortSha(cb)})` };
  }
  return {
    name, layer, status: 'warn', measured: 'unknown', tolerance: 'equal',
    detail: `artifact sha256 not recorded (${side}; a run started outside the workbench?)${ca && cb ? '; package sources match (code_sha256)' : ''}`,
  };
}

/** The input set is every key the job saw: featurized or rejected (compared by digest over all rows, listed from the kept keys). */
function inputSet(a: RunData, b: RunData): CheckResult {
  const name = 'provenance.input-set';
  const d = diffKeys(unionOf(a.tables.features, a.tables.errors), unionOf(b.tables.features, b.tables.errors));
  const rows = (r: RunData) => r.tables.features.rows + r.tables.errors.rows;
  const sample: CheckSample | undefined = d.whole ? undefined : { rows: d.compared, of: rows(a), seed: a.limits.seed };
  const distinct = d.whole ? new Set([...a.tables.features.keys.keys(), ...a.tables.errors.keys.keys()]).size : rows(a);
  const counts = a.manifest.counts.inputs === b.manifest.counts.inputs ? `${distinct} images` : `${a.manifest.counts.inputs} vs ${b.manifest.counts.inputs} images`;
  const differ = d.onlyA.length + d.onlyB.length;
  if (d.equal) {
    return { name, layer, status: 'pass', measured: 0, tolerance: 'equal', detail: `${counts} on both sides${sample ? ' (digest of all keys)' : ''}`, sample };
  }
  if (differ === 0) {
    return {
      name, layer, status: 'fail', measured: 'digest differs', tolerance: 'equal', sample,
      detail: `${counts}: the digests of all input keys differ, but no key in the ${sampleText(sample!, 'keys')} differs: a key outside the sample, or a repeated key`,
    };
  }
  return {
    name, layer, status: 'fail', measured: differ, tolerance: 'equal', sample,
    detail: `${counts}: ${d.onlyA.length} only in A, ${d.onlyB.length} only in B${sample ? ` in the ${sampleText(sample, 'keys')}` : ''} (first: ${d.onlyA[0] ?? d.onlyB[0]})`,
    items: listed([...d.onlyA.map((k) => `only in A: ${k}`), ...d.onlyB.map((k) => `only in B: ${k}`)]),
  };
}

function weights(a: Manifest, b: Manifest): CheckResult {
  const name = 'provenance.weights';
  const both = `A ${a.weights.spec} (${shortSha(a.weights.sha256)}) vs B ${b.weights.spec} (${shortSha(b.weights.sha256)})`;
  // The spec may name the same file in different places (a path locally, an s3:// URI on EMR): the sha decides.
  return a.weights.sha256 === b.weights.sha256
    ? { name, layer, status: 'pass', measured: 'equal', tolerance: 'equal', detail: `${a.weights.source} weights ${shortSha(a.weights.sha256)}` }
    : { name, layer, status: 'fail', measured: 'differs', tolerance: 'equal', detail: `different model weights: ${both}` };
}

/**
 * The inference engine may differ between runs on purpose (Keras locally, OpenVINO on the cluster): that is not a
 * provenance failure, the feature and PCA layers decide whether it mattered. It is reported, and a reduced
 * precision that is not parity-safe is called out.
 */
function engine(a: Manifest, b: Manifest): CheckResult {
  const name = 'provenance.engine';
  const of = (m: Manifest) => m.engine ?? { name: 'keras', precision: 'f32', parity_safe: true };
  const [ea, eb] = [of(a), of(b)];
  const label = (e: typeof ea) => `${e.name} ${e.precision}${e.parity_safe ? '' : ' (NOT parity-safe)'}`;
  const unsafe = [ea, eb].filter((e) => !e.parity_safe);
  if (ea.name === eb.name && ea.precision === eb.precision) {
    return unsafe.length === 0
      ? { name, layer, status: 'pass', measured: 'equal', tolerance: 'equal (warn)', detail: label(ea) }
      : { name, layer, status: 'warn', measured: 'equal', tolerance: 'parity-safe', detail: `${label(ea)} on both sides: features may drift from f32 beyond the tolerances` };
  }
  return {
    name, layer, status: 'warn', measured: 'differs', tolerance: 'equal (warn)',
    detail: `the engines differ: A ${label(ea)} vs B ${label(eb)}; the feature and PCA layers say whether it matters`,
  };
}

type Settings = Record<string, unknown>;

/** Compares the listed settings; returns "name: A vs B" for each difference. */
function diffSettings(a: Settings, b: Settings, keys: string[]): string[] {
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
}

function settingsCheck(name: string, a: Settings, b: Settings, mustMatch: string[], tuning: string[] = []): CheckResult {
  const different = diffSettings(a, b, mustMatch);
  const tuned = diffSettings(a, b, tuning);
  if (different.length > 0) {
    return { name, layer, status: 'fail', measured: `${different.length} differ`, tolerance: 'equal', detail: different.join('; '), items: [...different, ...tuned] };
  }
  if (tuned.length > 0) {
    return {
      name, layer, status: 'warn', measured: `${tuned.length} differ`, tolerance: 'equal',
      detail: `execution settings differ (results should not depend on them): ${tuned.join('; ')}`, items: tuned,
    };
  }
  return { name, layer, status: 'pass', measured: 'equal', tolerance: 'equal', detail: mustMatch.map((k) => `${k}=${JSON.stringify(a[k])}`).join(' ') };
}

/** The variance threshold only matters when k is chosen by it. */
function pcaSettings(m: Manifest): Settings {
  const { pca_k, pca_variance, pca_standardize } = m.settings;
  return { pca_k, pca_variance: pca_k === null ? pca_variance : 'unused (fixed k)', pca_standardize };
}

/**
 * The EMR release each run was packed for (its Spark, Python libraries and lock). Two releases may be compared on
 * purpose (Spark 3.5 against Spark 4.1): a difference is a warning, and the feature and PCA layers decide.
 */
function release(a: Manifest, b: Manifest): CheckResult {
  const name = 'provenance.release';
  const [ra, rb] = [a.release ?? null, b.release ?? null];
  const spark = (m: Manifest) => (typeof m.versions.pyspark === 'string' ? ` (pyspark ${m.versions.pyspark})` : '');
  if (ra === rb) {
    return ra
      ? { name, layer, status: 'pass', measured: 'equal', tolerance: 'equal (warn)', detail: `${ra}${spark(a)}` }
      : { name, layer, status: 'warn', measured: 'unknown', tolerance: 'equal (warn)', detail: 'release not recorded on either side (runs from before releases)' };
  }
  return {
    name, layer, status: 'warn', measured: 'differs', tolerance: 'equal (warn)',
    detail: `the releases differ: A ${ra ?? 'not recorded'}${spark(a)} vs B ${rb ?? 'not recorded'}${spark(b)}; the feature and PCA layers say whether it matters`,
  };
}

function versions(a: Manifest, b: Manifest): CheckResult {
  const name = 'provenance.versions';
  const libs = [...new Set([...Object.keys(a.versions), ...Object.keys(b.versions)])].sort();
  const rows = libs.map((lib) => ({ lib, va: a.versions[lib] ?? '(none)', vb: b.versions[lib] ?? '(none)' }));
  const differ = rows.filter((r) => r.va !== r.vb);
  const items = rows.map((r) => `${r.lib}: ${r.va} | ${r.vb}${r.va === r.vb ? '' : '  <- differs'}`);
  if (differ.length === 0) return { name, layer, status: 'pass', measured: 'equal', tolerance: 'equal (warn)', detail: rows.map((r) => `${r.lib} ${r.va}`).join(', '), items };
  return {
    name, layer, status: 'warn', measured: `${differ.length} differ`, tolerance: 'equal (warn)',
    detail: differ.map((r) => `${r.lib} ${r.va} vs ${r.vb}`).join(', '), items,
  };
}

export function provenanceChecks(a: RunData, b: RunData): CheckResult[] {
  const [ma, mb] = [a.manifest, b.manifest];
  return [
    artifact(ma, mb),
    release(ma, mb),
    inputSet(a, b),
    weights(ma, mb),
    engine(ma, mb),
    // What the images become: these change every feature. Batch size and partitions only change how work is split.
    settingsCheck('provenance.job-settings', ma.settings, mb.settings, ['image_size', 'interpolation'], ['arrow_batch_size', 'partitions']),
    settingsCheck('provenance.pca-settings', pcaSettings(ma), pcaSettings(mb), ['pca_k', 'pca_variance', 'pca_standardize']),
    versions(ma, mb),
  ];
}
