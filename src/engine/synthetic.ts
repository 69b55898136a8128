/**
 * Synthetic data with known answers (docs/estimator.md, "Synthetic data with known answers") and the exact-density oracle that scores them.
 * Each generator is a latent mixture: a discrete latent z with prior π(z) sets the label y(z) and
 * the means μ1(z), μ2(z) of the two modalities; each modality adds N(0, σ²I) noise, with
 * correlation ρ between the two modalities' noise (0 for the circuits). Knowing all of it, the oracle
 * plugs the exact p(x_m), p(y|x_m), p(y|x1,x2) and p(y) into the LSMI formulas: the honest measure
 * of an estimator, per sample.
 */
import { type Matrix, denseMatrix, matrixRow } from './io/matrix';
import { Rng } from './random';

export interface LatentModel {
  name: string;
  nClasses: number;
  d1: number;
  d2: number;
  sigma: number;
  rho: number;
  latents: { prior: number; y: number; mu1: number[]; mu2: number[] }[];
}

export interface SyntheticData {
  model: LatentModel;
  emb1: Matrix;
  emb2: Matrix;
  labels: Int32Array;
}

export interface OracleTerms {
  i1: Float64Array;
  i2: Float64Array;
  i12: Float64Array;
  h1: Float64Array;
  h2: Float64Array;
  /** log p(y|x) per head, per sample: usable as exact logits. */
  logPost1: Float64Array[];
  logPost2: Float64Array[];
  logPost12: Float64Array[];
}

const e = (k: number, d: number) => Array.from({ length: d }, (_, i) => (i === k ? 1 : 0));

export type CircuitName = 'xor' | 'or' | 'xor_not_a' | 'xor_not_b';

/** The paper's circuit-logic sets (Table 1), σ = 0.1 there. */
export function circuitModel(name: CircuitName, sigma = 0.1): LatentModel {
  const latents: LatentModel['latents'] = [];
  for (const a of [0, 1]) {
    for (const b of [0, 1]) {
      if (name === 'xor') latents.push({ prior: 0.25, y: a ^ b, mu1: e(a, 2), mu2: e(b, 2) });
      else if (name === 'or') latents.push({ prior: 0.25, y: a | b, mu1: e(a, 2), mu2: e(b, 2) });
      else {
        for (const m of [0, 1]) {
          const y = m === 0 ? a ^ b : 1 - b;
          const mu1 = name === 'xor_not_a' ? e(a + 2 * m, 4) : e(a, 2);
          latents.push({ prior: 0.125, y, mu1, mu2: e(b + 2 * m, 4) });
        }
      }
    }
  }
  const d1 = latents[0].mu1.length;
  const d2 = latents[0].mu2.length;
  return { name, nClasses: 2, d1, d2, sigma, rho: 0, latents };
}

/** The official demo generator: y uniform over C, x1 = e_y + u, x2 = e_y + ρu + √(1−ρ²)v, u, v ~ N(0, noise²I). */
export function gaussianModel(nClasses = 2, rho = 0.5, noise = 0.5): LatentModel {
  const latents = Array.from({ length: nClasses }, (_, y) => ({ prior: 1 / nClasses, y, mu1: e(y, nClasses), mu2: e(y, nClasses) }));
  return { name: `gaussian-C${nClasses}`, nClasses, d1: nClasses, d2: nClasses, sigma: noise, rho, latents };
}

export function sample(model: LatentModel, n: number, seed: number): SyntheticData {
  const rng = new Rng(seed);
  const { d1, d2, sigma, rho } = model;
  const x1 = new Float32Array(n * d1);
  const x2 = new Float32Array(n * d2);
  const labels = new Int32Array(n);
  const cdf: number[] = [];
  let acc = 0;
  for (const z of model.latents) cdf.push((acc += z.prior));
  const shared = Math.min(d1, d2);
  const u = new Float64Array(Math.max(d1, d2));
  for (let i = 0; i < n; i++) {
    const r = rng.random() * acc;
    let k = 0;
    while (k < cdf.length - 1 && r >= cdf[k]) k++;
    const z = model.latents[k];
    labels[i] = z.y;
    for (let j = 0; j < d1; j++) {
      u[j] = rng.normal() * sigma;
      x1[i * d1 + j] = z.mu1[j] + u[j];
    }
    for (let j = 0; j < d2; j++) {
      const v = rng.normal() * sigma;
      const noise = j < shared && rho !== 0 ? rho * u[j] + Math.sqrt(1 - rho * rho) * v : v;
      x2[i * d2 + j] = z.mu2[j] + noise;
    }
  }
  return { model, emb1: denseMatrix(n, d1, x1), emb2: denseMatrix(n, d2, x2), labels };
}

function logSumExp(a: number[]): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  if (m === -Infinity) return m;
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** log N(x; μ, σ²I). */
function logNormal(x: Float32Array, mu: number[], sigma: number): number {
  let q = 0;
  for (let j = 0; j < x.length; j++) q += (x[j] - mu[j]) ** 2;
  return -0.5 * q / (sigma * sigma) - x.length * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
}

/** log of the joint density of (x1, x2) given z, with per-dimension noise correlation ρ on the shared dims. */
function logJoint(x1: Float32Array, x2: Float32Array, z: LatentModel['latents'][number], sigma: number, rho: number): number {
  if (rho === 0) return logNormal(x1, z.mu1, sigma) + logNormal(x2, z.mu2, sigma);
  const shared = Math.min(x1.length, x2.length);
  const s2 = sigma * sigma;
  let lp = 0;
  for (let j = 0; j < shared; j++) {
    const a = x1[j] - z.mu1[j];
    const b = x2[j] - z.mu2[j];
    const q = (a * a - 2 * rho * a * b + b * b) / (s2 * (1 - rho * rho));
    lp += -0.5 * q - Math.log(2 * Math.PI * s2 * Math.sqrt(1 - rho * rho));
  }
  for (let j = shared; j < x1.length; j++) lp += -0.5 * (x1[j] - z.mu1[j]) ** 2 / s2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
  for (let j = shared; j < x2.length; j++) lp += -0.5 * (x2[j] - z.mu2[j]) ** 2 / s2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
  return lp;
}

/** Exact pointwise MIs (true prior) and entropies of every sample. */
export function oracle(data: SyntheticData): OracleTerms {
  const { model, labels } = data;
  const n = labels.length;
  const C = model.nClasses;
  const logPy = new Float64Array(C).fill(-Infinity);
  for (const z of model.latents) logPy[z.y] = logSumExp([logPy[z.y], Math.log(z.prior)]);
  const t: OracleTerms = {
    i1: new Float64Array(n), i2: new Float64Array(n), i12: new Float64Array(n), h1: new Float64Array(n), h2: new Float64Array(n),
    logPost1: [], logPost2: [], logPost12: [],
  };
  for (let i = 0; i < n; i++) {
    const x1 = matrixRow(data.emb1, i);
    const x2 = matrixRow(data.emb2, i);
    const by1: number[][] = Array.from({ length: C }, () => []);
    const by2: number[][] = Array.from({ length: C }, () => []);
    const by12: number[][] = Array.from({ length: C }, () => []);
    for (const z of model.latents) {
      const lp = Math.log(z.prior);
      by1[z.y].push(lp + logNormal(x1, z.mu1, model.sigma));
      by2[z.y].push(lp + logNormal(x2, z.mu2, model.sigma));
      by12[z.y].push(lp + logJoint(x1, x2, z, model.sigma, model.rho));
    }
    const post = (by: number[][]) => {
      const joint = by.map(logSumExp);
      const evidence = logSumExp(joint);
      return { logPost: Float64Array.from(joint, (v) => v - evidence), evidence };
    };
    const p1 = post(by1);
    const p2 = post(by2);
    const p12 = post(by12);
    const y = labels[i];
    t.i1[i] = p1.logPost[y] - logPy[y];
    t.i2[i] = p2.logPost[y] - logPy[y];
    t.i12[i] = p12.logPost[y] - logPy[y];
    t.h1[i] = -p1.evidence;
    t.h2[i] = -p2.evidence;
    t.logPost1.push(p1.logPost);
    t.logPost2.push(p2.logPost);
    t.logPost12.push(p12.logPost);
  }
  return t;
}

/** log p(y|x) rows as a float32 logits matrix (exact posteriors; −inf clamped to −1e30). */
export function logitsMatrix(rows: Float64Array[]): Matrix {
  const C = rows[0].length;
  const data = new Float32Array(rows.length * C);
  rows.forEach((r, i) => r.forEach((v, k) => (data[i * C + k] = Math.max(v, -1e30))));
  return denseMatrix(rows.length, C, data);
}

/** The true label prior of a model. */
export function truePrior(model: LatentModel): number[] {
  const p = new Array<number>(model.nClasses).fill(0);
  for (const z of model.latents) p[z.y] += z.prior;
  return p;
}

/** A run in memory from synthetic data: no logits (probes are trained) unless `logits` gives exact ones. */
export function toRun(data: { model: { name: string; nClasses: number }; emb1: Matrix; emb2: Matrix; labels: Int32Array }, opts: { logits?: OracleTerms; labelPrior?: number[]; split?: Uint8Array } = {}): import('./io/run').RunData {
  const n = data.labels.length;
  const logits: import('./io/run').RunData['logits'] = {};
  if (opts.logits) {
    logits['1'] = logitsMatrix(opts.logits.logPost1);
    logits['2'] = logitsMatrix(opts.logits.logPost2);
    logits['12'] = logitsMatrix(opts.logits.logPost12);
  }
  return {
    file: `<synthetic ${data.model.name}>`,
    n,
    nClasses: data.model.nClasses,
    sampleIds: Array.from({ length: n }, (_, i) => `${data.model.name}-${i}`),
    labels: data.labels,
    emb1: data.emb1,
    emb2: data.emb2,
    logits,
    split: opts.split,
    meta: {
      runName: data.model.name,
      modalityNames: ['x1', 'x2'],
      classNames: Array.from({ length: data.model.nClasses }, (_, k) => String(k)),
      labelPrior: opts.labelPrior,
    },
    source: { format: 'arrow', bytes: 0, batches: 1, compression: 'none', dtypes: {} },
  };
}

/** Pearson correlation of two equally long series (NaN when either is constant). */
export function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i]);
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Mean absolute difference of two equally long series. */
export function mae(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/**
 * Gaussian classes in a random rotated subspace, a stand-in for real embeddings: the label lives in
 * `k` of the `d` dimensions, in a different random orientation per modality, the noise is
 * anisotropic (per-dimension scales of a log-uniform spectrum) and correlated across modalities.
 *
 * In each modality's own rotated frame t_m = Q_mᵀ x_m (Q_m a seeded random orthogonal d×d matrix):
 *
 *   t_m = [μ_m(y); 0] + s ⊙ w_m,   w_2 = ρ w_1 + √(1−ρ²) w′,   w_1, w′ ~ N(0, I_d)
 *
 * with class means μ_m(y) ~ N(0, sep²·I_k) drawn independently per modality (so each modality has
 * information of its own), s_j = 1 on the k label dimensions and s_j = exp(U(−spread, spread)) on
 * the others, and y drawn from `prior` (uniform by default). Every class shares one full covariance
 * Q_m diag(s²) Q_mᵀ per modality: exactly the family of shrinkage LDA, and one that no diagonal
 * density can fit. The exact oracle evaluates each density in the rotated frame (|det Q| = 1).
 */
export interface SubspaceSpec {
  nClasses: number;
  d: number;
  /** Label dimensions (k ≤ d). */
  k: number;
  /** Standard deviation of the class means on the label dimensions. */
  sep: number;
  /** Correlation of the two modalities' noise, per rotated dimension. */
  rho: number;
  /** Noise scales of the other dimensions: exp(U(−spread, spread)). */
  spread: number;
  /** Label prior (default uniform). */
  prior?: number[];
  /** Seed of the means, the rotations and the noise spectrum. */
  modelSeed: number;
}

export interface SubspaceData {
  model: { name: string; nClasses: number; prior: number[] };
  emb1: Matrix;
  emb2: Matrix;
  labels: Int32Array;
  oracle: OracleTerms;
}

/** A uniformly random orthogonal matrix (Gram–Schmidt on a Gaussian matrix), row-major d×d. */
function randomRotation(d: number, rng: Rng): Float64Array {
  const q = new Float64Array(d * d);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let i = 0; i < d; i++) {
    const row = q.subarray(i * d, (i + 1) * d);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const other = q.subarray(j * d, (j + 1) * d);
        let dot = 0;
        for (let c = 0; c < d; c++) dot += row[c] * other[c];
        for (let c = 0; c < d; c++) row[c] -= dot * other[c];
      }
    }
    let norm = 0;
    for (let c = 0; c < d; c++) norm += row[c] * row[c];
    norm = Math.sqrt(norm);
    for (let c = 0; c < d; c++) row[c] /= norm;
  }
  return q;
}

/** out[o + r] = Σ_c q[r·d + c]·t[c] (float32). */
function rotate(q: Float64Array, t: Float64Array, out: Float32Array, o: number, d: number): void {
  for (let r = 0; r < d; r++) {
    let v = 0;
    const base = r * d;
    for (let c = 0; c < d; c++) v += q[base + c] * t[c];
    out[o + r] = v;
  }
}

/** Draws `n` samples of a {@link SubspaceSpec} model and scores them with the exact oracle. */
export function sampleSubspace(spec: SubspaceSpec, n: number, seed: number): SubspaceData {
  const { nClasses: C, d, k, sep, rho, spread } = spec;
  if (!(k >= 1 && k <= d)) throw new RangeError(`k must be in [1, d], got ${k}`);
  const prior = spec.prior ?? new Array<number>(C).fill(1 / C);
  const mrng = new Rng(spec.modelSeed);
  const Q = [randomRotation(d, mrng), randomRotation(d, mrng)];
  const mu = [0, 1].map(() => Array.from({ length: C }, () => Float64Array.from({ length: k }, () => sep * mrng.normal())));
  const s = Float64Array.from({ length: d }, (_, j) => (j < k ? 1 : Math.exp(mrng.uniform(-spread, spread))));
  let logDetS = 0;
  for (let j = 0; j < d; j++) logDetS += Math.log(s[j]);
  const logPy = prior.map((p) => Math.log(p));
  const cdf: number[] = [];
  let acc = 0;
  for (const p of prior) cdf.push((acc += p));

  const rng = new Rng(seed);
  const x = [new Float32Array(n * d), new Float32Array(n * d)];
  const labels = new Int32Array(n);
  const t1 = new Float64Array(d);
  const t2 = new Float64Array(d);
  const sr = Math.sqrt(1 - rho * rho);
  const LOG2PI = Math.log(2 * Math.PI);
  const one = 1 - rho * rho;
  const c1 = -0.5 * d * LOG2PI - logDetS;
  const c12 = -d * LOG2PI - 2 * logDetS - 0.5 * d * Math.log(one);
  const o: OracleTerms = {
    i1: new Float64Array(n), i2: new Float64Array(n), i12: new Float64Array(n), h1: new Float64Array(n), h2: new Float64Array(n),
    logPost1: [], logPost2: [], logPost12: [],
  };
  const l1 = new Float64Array(C);
  const l2 = new Float64Array(C);
  const l12 = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const r = rng.random() * acc;
    let y = 0;
    while (y < C - 1 && r >= cdf[y]) y++;
    labels[i] = y;
    for (let j = 0; j < d; j++) {
      const w1 = rng.normal();
      const w2 = rho * w1 + sr * rng.normal();
      t1[j] = (j < k ? mu[0][y][j] : 0) + s[j] * w1;
      t2[j] = (j < k ? mu[1][y][j] : 0) + s[j] * w2;
    }
    rotate(Q[0], t1, x[0], i * d, d);
    rotate(Q[1], t2, x[1], i * d, d);
    // The oracle in the rotated frame, from t itself: the float32 rounding of x moves log-densities
    // by ~1e-6 nats, far below anything the tests measure.
    let rest1 = 0;
    let rest2 = 0;
    let rest12 = 0;
    for (let j = k; j < d; j++) {
      const a = t1[j] / s[j];
      const b = t2[j] / s[j];
      rest1 -= 0.5 * a * a;
      rest2 -= 0.5 * b * b;
      rest12 -= (0.5 * (a * a - 2 * rho * a * b + b * b)) / one;
    }
    for (let c = 0; c < C; c++) {
      let q1 = 0;
      let q2 = 0;
      let q12 = 0;
      const m1 = mu[0][c];
      const m2 = mu[1][c];
      for (let j = 0; j < k; j++) {
        const a = t1[j] - m1[j];
        const b = t2[j] - m2[j];
        q1 += a * a;
        q2 += b * b;
        q12 += a * a - 2 * rho * a * b + b * b;
      }
      l1[c] = logPy[c] - 0.5 * q1 + rest1 + c1;
      l2[c] = logPy[c] - 0.5 * q2 + rest2 + c1;
      l12[c] = logPy[c] - (0.5 * q12) / one + rest12 + c12;
    }
    const e1 = logSumExp(Array.from(l1));
    const e2 = logSumExp(Array.from(l2));
    const e12 = logSumExp(Array.from(l12));
    o.logPost1.push(Float64Array.from(l1, (v) => v - e1));
    o.logPost2.push(Float64Array.from(l2, (v) => v - e2));
    o.logPost12.push(Float64Array.from(l12, (v) => v - e12));
    o.i1[i] = l1[y] - e1 - logPy[y];
    o.i2[i] = l2[y] - e2 - logPy[y];
    o.i12[i] = l12[y] - e12 - logPy[y];
    o.h1[i] = -e1;
    o.h2[i] = -e2;
  }
  return {
    model: { name: `subspace-C${C}-d${d}-k${k}`, nClasses: C, prior },
    emb1: denseMatrix(n, d, x[0]),
    emb2: denseMatrix(n, d, x[1]),
    labels,
    oracle: o,
  };
}
