/**
 * Layer 5, PCA: the same k, the same explained variance ratios, the same principal axes and the same projections.
 *
 * An eigenvector is only defined up to sign, so single axes are compared by |cosine| and projections after
 * flipping B's signs to match A. When adjacent eigenvalues are nearly equal (relative gap <= eigengapRel), any
 * rotation within their plane is an equally valid answer, so those axes are compared as a subspace (cosines of
 * the principal angles) and projections after the rotation that best maps B's basis onto A's. The axes are
 * compared whole at any n (k x feature_dim values); the projections of a large run on the seeded sample of keys.
 */
import type { ParityTolerances } from '../../config/schema.js';
import { fmt, listed, sampleText, type CheckResult } from '../check-result.js';
import { cosine, crossGram, nearestRotation, orthonormalize, principalCosines, type Matrix } from '../linalg.js';
import type { RunData } from '../../outputs/run-data.js';
import { absoluteStatus, scaleOf, valueSample } from './features.js';

const layer = 5 as const;

/** A run of consecutive axes [start, end) whose eigenvalues are within the gap tolerance of each other. */
export interface AxisGroup {
  start: number;
  end: number;
}

function ratiosOf(run: RunData): number[] {
  const ev = run.explainedVariance.ratios;
  return ev.length >= run.manifest.pca.k ? ev : run.manifest.pca.explained_variance_ratio;
}

const label = (g: AxisGroup) => (g.end - g.start === 1 ? `pc ${g.start + 1}` : `pcs ${g.start + 1}-${g.end}`);

/**
 * Groups the first n axes. Two neighbours join when their eigenvalues (proportional to the ratios) are within
 * eigengapRel on either side: if either run cannot tell the two axes apart, neither can parity.
 */
export function eigenGroups(ratiosA: number[], ratiosB: number[], n: number, gapRel: number): AxisGroup[] {
  const close = (r: number[], i: number) => {
    const [hi, lo] = [r[i], r[i + 1]];
    if (hi === undefined || lo === undefined) return false;
    return hi <= 0 || (hi - lo) / hi <= gapRel;
  };
  const groups: AxisGroup[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const joinsNext = i + 1 < n && (close(ratiosA, i) || close(ratiosB, i));
    if (!joinsNext) {
      groups.push({ start, end: i + 1 });
      start = i + 1;
    }
  }
  return groups;
}

function kCheck(a: RunData, b: RunData): CheckResult {
  const name = 'pca.k';
  const problems: string[] = [];
  for (const [side, run] of [['A', a], ['B', b]] as const) {
    const k = run.manifest.pca.k;
    if (run.components.length !== k) problems.push(`${side}: pca_components/ holds ${run.components.length} axes, the manifest says k=${k}`);
    if (run.explainedVariance.k !== k) problems.push(`${side}: explained_variance.json says k=${run.explainedVariance.k}, the manifest k=${k}`);
  }
  const [ka, kb] = [a.manifest.pca.k, b.manifest.pca.k];
  const modes = `${a.manifest.pca.k_mode}/${b.manifest.pca.k_mode}`;
  if (ka !== kb) problems.unshift(`k differs: ${ka} vs ${kb} (k chosen by ${modes})`);
  return problems.length === 0
    ? { name, layer, status: 'pass', measured: ka, tolerance: 'equal', detail: `k=${ka} (${a.manifest.pca.k_mode})` }
    : { name, layer, status: 'fail', measured: ka === kb ? ka : `${ka} vs ${kb}`, tolerance: 'equal', detail: problems[0]!, items: problems };
}

function varianceCheck(a: RunData, b: RunData, n: number, tol: ParityTolerances): CheckResult {
  const [ra, rb] = [ratiosOf(a), ratiosOf(b)];
  let worst = { value: 0, pc: 0 };
  for (let i = 0; i < n; i++) {
    const d = Math.abs((ra[i] ?? NaN) - (rb[i] ?? NaN));
    if (!(d <= worst.value)) worst = { value: d, pc: i + 1 };
  }
  const ok = worst.value <= tol.varianceRatioAbs;
  const detail = worst.pc === 0 ? `${n} ratios equal` : `${n} ratios; worst pc ${worst.pc}: ${fmt(ra[worst.pc - 1] ?? NaN)} vs ${fmt(rb[worst.pc - 1] ?? NaN)}`;
  return { name: 'pca.variance', layer, status: ok ? 'pass' : 'fail', measured: worst.value, tolerance: `<= ${fmt(tol.varianceRatioAbs)}`, detail };
}

function axesCheck(a: RunData, b: RunData, groups: AxisGroup[], tol: ParityTolerances): CheckResult {
  let worst = { value: 1, group: groups[0] };
  const items: string[] = [];
  for (const g of groups) {
    const [ga, gb] = [a.components.slice(g.start, g.end), b.components.slice(g.start, g.end)];
    let value: number;
    if (g.end - g.start === 1) {
      value = Math.abs(cosine(ga[0]!, gb[0]!));
    } else {
      value = Math.min(...principalCosines(orthonormalize(ga), orthonormalize(gb)));
      items.push(`${label(g)}: near-equal eigenvalues, compared as a subspace (smallest principal-angle cosine ${fmt(value)})`);
    }
    if (!(value >= worst.value)) worst = { value, group: g };
  }
  const subspaces = items.length > 0 ? `; ${items.length} subspace(s) of near-equal eigenvalues` : '';
  return {
    name: 'pca.axes', layer, status: worst.value >= tol.axisCosineMin ? 'pass' : 'fail', measured: worst.value,
    tolerance: `>= ${fmt(tol.axisCosineMin)} |cos|`,
    detail: `${groups.reduce((s, g) => s + g.end - g.start, 0)} axes up to sign; worst ${worst.group ? label(worst.group) : '(none)'}${subspaces}`,
    items: items.length > 0 ? items : undefined,
  };
}

function projectionsCheck(a: RunData, b: RunData, groups: AxisGroup[], tol: ParityTolerances): CheckResult {
  // For each group, the rotation R with B's basis ~= A's basis . R; then B's coordinates ~= R^T . A's coordinates.
  const rotations: Matrix[] = groups.map((g) => nearestRotation(crossGram(a.components.slice(g.start, g.end), b.components.slice(g.start, g.end))));
  const flipped = groups.filter((g, i) => g.end - g.start === 1 && rotations[i]![0]![0]! < 0).length;
  let worst = { value: 0, key: '', pc: 0 };
  let compared = 0;
  for (const [key, row] of a.pca) {
    const other = b.pca.get(key);
    if (!other) continue;
    compared++;
    groups.forEach((g, gi) => {
      const r = rotations[gi]!;
      for (let j = 0; j < g.end - g.start; j++) {
        let predicted = 0;
        for (let i = 0; i < g.end - g.start; i++) predicted += r[i]![j]! * row.pca[g.start + i]!;
        const d = Math.abs(other.pca[g.start + j]! - predicted);
        if (!(d <= worst.value)) worst = { value: d, key, pc: g.start + j + 1 };
      }
    });
  }
  const aligned = `${flipped} axis sign(s) flipped${groups.some((g) => g.end - g.start > 1) ? ', subspaces rotated' : ''} before comparing`;
  const abs = absoluteStatus(worst.value, tol.projectionMaxAbs, scaleOf([...a.pca.values()].map((r) => r.pca)));
  const sample = valueSample(a, b, 'pca', compared);
  return {
    name: 'pca.projections', layer, status: abs.status, measured: worst.value,
    tolerance: `<= ${fmt(tol.projectionMaxAbs)}`,
    detail: `${compared} images; ${aligned}${worst.key ? `; worst ${worst.key} pc ${worst.pc}` : ''}${sample ? `; ${sampleText(sample)}` : ''}${abs.note}`,
    sample,
  };
}

export function pcaChecks(a: RunData, b: RunData, tol: ParityTolerances): CheckResult[] {
  const k = kCheck(a, b);
  const n = Math.min(a.manifest.pca.k, b.manifest.pca.k, a.components.length, b.components.length);
  const dimA = a.components[0]?.length;
  const dimB = b.components[0]?.length;
  if (dimA !== dimB) {
    const detail = `axes have ${dimA} vs ${dimB} dimensions`;
    return [
      k,
      varianceCheck(a, b, n, tol),
      { name: 'pca.axes', layer, status: 'fail', measured: null, tolerance: `>= ${fmt(tol.axisCosineMin)} |cos|`, detail },
      { name: 'pca.projections', layer, status: 'skip', measured: null, tolerance: null, detail },
    ];
  }
  const groups = eigenGroups(ratiosOf(a), ratiosOf(b), n, tol.eigengapRel);
  const result = [k, varianceCheck(a, b, n, tol), axesCheck(a, b, groups, tol), projectionsCheck(a, b, groups, tol)];
  if (k.status === 'fail' && n > 0) {
    for (const r of result.slice(1)) r.detail = `first ${n} axes only (k differs); ${r.detail}`;
  }
  return result.map((r) => (r.items ? { ...r, items: listed(r.items) } : r));
}
