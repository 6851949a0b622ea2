/**
 * The little linear algebra parity needs, on plain typed arrays: vector distances, and for PCA the cosines of the
 * principal angles between two subspaces and the rotation that best maps one basis onto the other. Subspaces here
 * are a handful of axes (a group of near-equal eigenvalues), so a Jacobi eigen-solver on d x d matrices is enough.
 */
export type Vec = ArrayLike<number>;

export function dot(a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Vec): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity; two zero vectors are identical (1), one zero vector matches nothing (0). */
export function cosine(a: Vec, b: Vec): number {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot(a, b) / (na * nb);
}

export function maxAbsDiff(a: Vec, b: Vec): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Orthonormal basis of span(vectors), in order (modified Gram-Schmidt). Axes from Spark are already orthonormal; this guards against rounding. */
export function orthonormalize(vectors: Vec[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const v of vectors) {
    const u = Float64Array.from(v as ArrayLike<number>);
    for (const q of basis) {
      const p = dot(u, q);
      for (let i = 0; i < u.length; i++) u[i]! -= p * q[i]!;
    }
    const n = norm(u);
    if (n > 0) for (let i = 0; i < u.length; i++) u[i]! /= n;
    basis.push(u);
  }
  return basis;
}

export type Matrix = number[][];

/** M[i][j] = a_i . b_j */
export function crossGram(a: Vec[], b: Vec[]): Matrix {
  return a.map((ai) => b.map((bj) => dot(ai, bj)));
}

function transpose(m: Matrix): Matrix {
  return m[0] ? m[0].map((_, j) => m.map((row) => row[j]!)) : [];
}

function multiply(x: Matrix, y: Matrix): Matrix {
  const yt = transpose(y);
  return x.map((row) => yt.map((col) => dot(row, col)));
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi). Columns of `vectors` are the eigenvectors. */
export function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const n = m.length;
  const a = m.map((row) => [...row]);
  const v: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]!), vectors: v };
}

/**
 * Cosines of the principal angles between span(a) and span(b) (both orthonormal sets of the same size), largest
 * first: the singular values of a^T b. All equal to 1 when the subspaces coincide, whatever basis each side chose.
 */
export function principalCosines(a: Vec[], b: Vec[]): number[] {
  const m = crossGram(a, b);
  const { values } = symmetricEigen(multiply(transpose(m), m));
  return values.map((x) => Math.sqrt(Math.min(1, Math.max(0, x)))).sort((x, y) => y - x);
}

/**
 * The orthogonal matrix nearest to m (its polar factor, m (m^T m)^(-1/2)). For a single axis this is the sign of
 * the cosine; for a subspace it is the rotation taking one side's basis onto the other's.
 */
export function nearestRotation(m: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(multiply(transpose(m), m));
  const n = m.length;
  const invSqrt: Matrix = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const lambda = values[k]!;
        if (lambda > 1e-24) s += (vectors[i]![k]! * vectors[j]![k]!) / Math.sqrt(lambda);
      }
      return s;
    }),
  );
  return multiply(m, invSqrt);
}
