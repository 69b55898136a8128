/**
 * Dense float64 linear algebra for the full- and tied-covariance mixtures: the pieces tfjs lacks (it
 * has no Cholesky or triangular solve). Matrices are n×n, row-major, in a Float64Array.
 */
import { NumericalError } from '../numerical';

/** Attempts at adding 10^t × floor to a covariance diagonal that float32 rounding left non-positive-definite. */
const JITTER_ATTEMPTS = 8;

/**
 * Cholesky factorisation A = L·Lᵀ in place. Only the lower triangle of `a` is read; on success it
 * holds L and the strict upper triangle is zeroed. Returns false when A is not numerically positive
 * definite (a non-positive pivot), leaving `a` partly overwritten.
 *
 * Row-oriented (Cholesky–Crout): every inner loop is a dot product of two contiguous row prefixes,
 * n³/3 multiply-adds in all.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let pivot = a[rj + j];
    for (let k = 0; k < j; k++) pivot -= a[rj + k] * a[rj + k];
    if (!(pivot > 0)) return false;
    const ljj = Math.sqrt(pivot);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / ljj;
    }
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return true;
}

/**
 * W = L⁻ᵀ for a lower-triangular L (row-major). W is upper triangular and, when Σ = L·Lᵀ,
 * Σ⁻¹ = W·Wᵀ, so the whitened form of a row vector v is z = v·W with ‖z‖² = v·Σ⁻¹·vᵀ.
 * Solves L·x = e_j by forward substitution for each column j of L⁻¹ (n³/6 multiply-adds).
 */
export function inverseTransposeLower(l: Float64Array, n: number): Float64Array {
  const w = new Float64Array(n * n);
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    x[j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s -= l[ri + k] * x[k];
      x[i] = s / l[ri + i];
    }
    // column j of L⁻¹ is row j of W
    w.set(x.subarray(j, n), j * n + j);
  }
  return w;
}

/**
 * Cholesky factor of cov (lower triangle read, cov unchanged). If rounding left cov indefinite, adds
 * `jitter`·floor to its diagonal, with jitter = 10, 100, … (at most 10^JITTER_ATTEMPTS); `jitter` is 0
 * when none was needed.
 */
export function choleskyWithJitter(cov: Float64Array, d: number, floor: Float64Array): { factor: Float64Array; jitter: number } {
  for (let attempt = 0; attempt <= JITTER_ATTEMPTS; attempt++) {
    const a = cov.slice();
    const jitter = attempt > 0 ? 10 ** attempt : 0;
    if (jitter > 0) for (let j = 0; j < d; j++) a[j * d + j] += floor[j] * jitter;
    if (choleskyInPlace(a, d)) return { factor: a, jitter };
  }
  throw new NumericalError('a mixture covariance is not positive definite even after regularisation');
}
