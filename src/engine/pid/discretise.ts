/**
 * Discretising one modality's embeddings into clusters, as Liang et al.'s PID code does before it
 * builds a table (docs/pid.md, "Discretisation"): rows scaled (L2-normalised by default, as there),
 * centred, projected on the top principal components, then k-means++ with several seeded starts
 * (the lowest inertia wins). Empty clusters are dropped and the ids renumbered 0..k−1.
 */
import type { Matrix } from '../io/matrix';
import { Rng } from '../random';

export type Scaling = 'l2' | 'standardise' | 'none';

export interface DiscretiseOptions {
  clusters: number;
  pcaDims: number;
  inits: number;
  maxIter: number;
  scale: Scaling;
  rng: Rng;
}

export interface Discretised {
  /** Cluster id per sample, 0..k−1. */
  ids: Int32Array;
  /** Clusters kept (non-empty). */
  k: number;
  /** Principal components used (≤ pcaDims, ≤ the embedding's width). */
  dims: number;
  /** Share of the (scaled, centred) variance the components keep. */
  explained: number;
  inertia: number;
  /** Lloyd iterations of the best start. */
  iterations: number;
}

/** A Matrix (Float32 chunks) as one row-major Float64Array, non-finite values as 0 (nan_to_num). */
export function matrixRows(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (const c of m.chunks) {
    const base = c.start * m.cols;
    for (let i = 0; i < c.data.length; i++) {
      const v = c.data[i];
      out[base + i] = Number.isFinite(v) ? v : 0;
    }
  }
  return out;
}

export function discretise(x: Float64Array, n: number, d: number, opts: DiscretiseOptions): Discretised {
  const z = scaleRows(x, n, d, opts.scale);
  const { proj, dims, explained } = pca(z, n, d, opts.pcaDims, opts.rng.fork());
  const km = kmeans(proj, n, dims, opts.clusters, opts.inits, opts.maxIter, opts.rng.fork());
  // drop empty clusters
  const count = new Int32Array(opts.clusters);
  for (let i = 0; i < n; i++) count[km.ids[i]]++;
  const remap = new Int32Array(opts.clusters).fill(-1);
  let k = 0;
  for (let c = 0; c < opts.clusters; c++) if (count[c] > 0) remap[c] = k++;
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = remap[km.ids[i]];
  return { ids, k, dims, explained, inertia: km.inertia, iterations: km.iterations };
}

function scaleRows(x: Float64Array, n: number, d: number, scale: Scaling): Float64Array {
  const z = Float64Array.from(x);
  if (scale === 'l2') {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += z[i * d + j] ** 2;
      const norm = Math.sqrt(s);
      if (norm > 0) for (let j = 0; j < d; j++) z[i * d + j] /= norm;
    }
  }
  // centre (and, for 'standardise', scale each column to unit variance)
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += z[i * d + j];
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      z[i * d + j] -= mu;
      v += z[i * d + j] ** 2;
    }
    const sd = Math.sqrt(v / n);
    if (scale === 'standardise' && sd > 0) for (let i = 0; i < n; i++) z[i * d + j] /= sd;
  }
  return z;
}

/**
 * Projection of centred rows on their top `k` principal components: the covariance's eigenvectors
 * (Jacobi) when d is small, else a randomized subspace iteration (k + 10 columns, 6 power steps)
 * followed by the exact eigenvectors of the projected covariance.
 */
export function pca(z: Float64Array, n: number, d: number, k: number, rng: Rng): { proj: Float64Array; dims: number; explained: number } {
  let total = 0;
  for (let i = 0; i < z.length; i++) total += z[i] * z[i];
  if (d <= k) return { proj: z, dims: d, explained: 1 };
  const m = Math.min(d, k + 10);
  let basis: Float64Array; // d × m, orthonormal columns
  if (d <= 64) {
    basis = new Float64Array(d * d);
    for (let j = 0; j < d; j++) basis[j * d + j] = 1;
    basis = rotateToEigen(z, n, d, basis, d);
    return finish(z, n, d, basis, d, k, total);
  }
  basis = new Float64Array(d * m);
  for (let i = 0; i < basis.length; i++) basis[i] = rng.normal();
  orthonormalise(basis, d, m);
  const t = new Float64Array(n * m);
  for (let step = 0; step < 6; step++) {
    // t = Z·B, B = Zᵀ·t
    mul(z, n, d, basis, m, t);
    basis.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
      const v = z[i * d + j];
      if (v === 0) continue;
      for (let c = 0; c < m; c++) basis[j * m + c] += v * t[i * m + c];
    }
    orthonormalise(basis, d, m);
  }
  basis = rotateToEigen(z, n, d, basis, m);
  return finish(z, n, d, basis, m, k, total);
}

function finish(z: Float64Array, n: number, d: number, basis: Float64Array, m: number, k: number, total: number) {
  const proj = new Float64Array(n * k);
  const full = new Float64Array(n * m);
  mul(z, n, d, basis, m, full);
  let kept = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    const v = full[i * m + c];
    proj[i * k + c] = v;
    kept += v * v;
  }
  return { proj, dims: k, explained: total > 0 ? kept / total : 1 };
}

/** out (n × m) = z (n × d) · b (d × m) */
function mul(z: Float64Array, n: number, d: number, b: Float64Array, m: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const v = z[i * d + j];
    if (v === 0) continue;
    for (let c = 0; c < m; c++) out[i * m + c] += v * b[j * m + c];
  }
}

/** Modified Gram–Schmidt on the columns of a d × m matrix. */
function orthonormalise(b: Float64Array, d: number, m: number): void {
  for (let c = 0; c < m; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += b[j * m + c] * b[j * m + p];
      for (let j = 0; j < d; j++) b[j * m + c] -= dot * b[j * m + p];
    }
    let s = 0;
    for (let j = 0; j < d; j++) s += b[j * m + c] ** 2;
    const norm = Math.sqrt(s) || 1;
    for (let j = 0; j < d; j++) b[j * m + c] /= norm;
  }
}

/**
 * The basis rotated to the eigenvectors of Bᵀ·ZᵀZ·B, by descending eigenvalue (columns), with a
 * deterministic sign (largest-magnitude entry positive).
 */
function rotateToEigen(z: Float64Array, n: number, d: number, b: Float64Array, m: number): Float64Array {
  const t = new Float64Array(n * m);
  mul(z, n, d, b, m, t);
  const a = new Float64Array(m * m);
  for (let i = 0; i < n; i++) for (let p = 0; p < m; p++) {
    const v = t[i * m + p];
    for (let q = p; q < m; q++) a[p * m + q] += v * t[i * m + q];
  }
  for (let p = 0; p < m; p++) for (let q = 0; q < p; q++) a[p * m + q] = a[q * m + p];
  const { values, vectors } = jacobiEigen(a, m);
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => values[y] - values[x]);
  const out = new Float64Array(d * m);
  for (let c = 0; c < m; c++) {
    const e = order[c];
    let big = 0;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let p = 0; p < m; p++) s += b[j * m + p] * vectors[p * m + e];
      out[j * m + c] = s;
      if (Math.abs(s) > Math.abs(big)) big = s;
    }
    if (big < 0) for (let j = 0; j < d; j++) out[j * m + c] = -out[j * m + c];
  }
  return out;
}

/** Cyclic Jacobi eigen-decomposition of a symmetric m × m matrix (vectors in columns). */
export function jacobiEigen(input: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < m; p++) {
      diag += a[p * m + p] ** 2;
      for (let q = p + 1; q < m; q++) off += a[p * m + q] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (apq === 0) continue;
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p];
          const akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k];
          const aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p];
          const vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = a[i * m + i];
  return { values, vectors: v };
}

/** k-means++ seeding and Lloyd iterations, `inits` seeded starts, the lowest inertia kept. */
export function kmeans(x: Float64Array, n: number, d: number, k: number, inits: number, maxIter: number, rng: Rng): { ids: Int32Array; inertia: number; iterations: number } {
  let best = { ids: new Int32Array(n), inertia: Infinity, iterations: 0 };
  const dist = new Float64Array(n);
  for (let start = 0; start < inits; start++) {
    const centres = new Float64Array(k * d);
    // k-means++ seeding
    let first = rng.int(n);
    for (let j = 0; j < d; j++) centres[j] = x[first * d + j];
    for (let i = 0; i < n; i++) dist[i] = sq(x, i, centres, 0, d);
    for (let c = 1; c < k; c++) {
      let total = 0;
      for (let i = 0; i < n; i++) total += dist[i];
      let pick = 0;
      if (total > 0) {
        let u = rng.random() * total;
        for (pick = 0; pick < n - 1; pick++) {
          u -= dist[pick];
          if (u < 0) break;
        }
      } else pick = rng.int(n);
      first = pick;
      for (let j = 0; j < d; j++) centres[c * d + j] = x[pick * d + j];
      for (let i = 0; i < n; i++) dist[i] = Math.min(dist[i], sq(x, i, centres, c, d));
    }
    const ids = new Int32Array(n).fill(-1);
    let inertia = Infinity;
    let it = 0;
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (; it < maxIter; it++) {
      let changed = 0;
      inertia = 0;
      for (let i = 0; i < n; i++) {
        let bc = 0;
        let bd = Infinity;
        for (let c = 0; c < k; c++) {
          const dd = sq(x, i, centres, c, d);
          if (dd < bd) {
            bd = dd;
            bc = c;
          }
        }
        if (ids[i] !== bc) changed++;
        ids[i] = bc;
        inertia += bd;
      }
      if (changed === 0) break;
      sums.fill(0);
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        counts[ids[i]]++;
        for (let j = 0; j < d; j++) sums[ids[i] * d + j] += x[i * d + j];
      }
      for (let c = 0; c < k; c++) if (counts[c] > 0) for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j] / counts[c];
    }
    if (inertia < best.inertia) best = { ids, inertia, iterations: it };
  }
  return best;
}

function sq(x: Float64Array, i: number, centres: Float64Array, c: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[i * d + j] - centres[c * d + j];
    s += t * t;
  }
  return s;
}
