/** The subspace maths behind the PCA checks, on cases with known answers. */
import { describe, expect, it } from 'vitest';
import { eigenGroups } from '../../src/parity/checks/pca.js';
import { cosine, nearestRotation, orthonormalize, principalCosines, symmetricEigen } from '../../src/parity/linalg.js';

const e = (i: number, dim = 4) => Array.from({ length: dim }, (_, d) => (d === i ? 1 : 0));

describe('linalg', () => {
  it('cosine treats two zero vectors as identical and one as unrelated', () => {
    expect(cosine([0, 0], [0, 0])).toBe(1);
    expect(cosine([0, 0], [1, 0])).toBe(0);
    expect(cosine([1, 1], [-2, -2])).toBeCloseTo(-1, 15);
  });

  it('symmetricEigen recovers eigenvalues of a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]);
    expect([...values].sort()).toEqual([expect.closeTo(1, 12), expect.closeTo(3, 12)]);
    const i3 = values.findIndex((v) => Math.abs(v - 3) < 1e-9);
    expect(Math.abs(vectors[0]![i3]!)).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('principal cosines are all 1 for two bases of the same plane, and the cosine of the angle between planes otherwise', () => {
    const t = 0.7;
    const rotated = [e(0).map((x, d) => Math.cos(t) * x + Math.sin(t) * e(1)[d]!), e(0).map((x, d) => -Math.sin(t) * x + Math.cos(t) * e(1)[d]!)];
    expect(principalCosines([e(0), e(1)], rotated)).toEqual([expect.closeTo(1, 12), expect.closeTo(1, 12)]);
    const tilted = [e(0), e(1).map((x, d) => Math.cos(t) * x + Math.sin(t) * e(2)[d]!)];
    expect(principalCosines([e(0), e(1)], tilted)).toEqual([expect.closeTo(1, 12), expect.closeTo(Math.cos(t), 12)]);
  });

  it('nearestRotation gives the sign for one axis and the rotation for a plane', () => {
    expect(nearestRotation([[-0.98]])).toEqual([[expect.closeTo(-1, 12)]]);
    const t = 0.3;
    const r = nearestRotation([[Math.cos(t) * 0.99, -Math.sin(t) * 0.99], [Math.sin(t) * 0.99, Math.cos(t) * 0.99]]);
    expect(r[0]![0]).toBeCloseTo(Math.cos(t), 12);
    expect(r[1]![0]).toBeCloseTo(Math.sin(t), 12);
  });

  it('orthonormalize makes unit, orthogonal vectors', () => {
    const [a, b] = orthonormalize([[3, 0, 0], [1, 2, 0]]);
    expect([...a!]).toEqual([1, 0, 0]);
    expect([...b!]).toEqual([0, 1, 0]);
  });
});

describe('eigenGroups', () => {
  it('groups neighbours whose relative eigengap is within the tolerance on either side', () => {
    const a = [0.4, 0.2, 0.199, 0.1, 0.05];
    const b = [0.4, 0.2, 0.15, 0.1, 0.0999];
    expect(eigenGroups(a, b, 5, 0.01)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 3 }, { start: 3, end: 5 }]);
    expect(eigenGroups(a, b, 5, 0)).toEqual([0, 1, 2, 3, 4].map((i) => ({ start: i, end: i + 1 })));
    // The group stops at n even when the next (not compared) eigenvalue is close.
    expect(eigenGroups(a, a, 2, 0.01)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }]);
  });
});
