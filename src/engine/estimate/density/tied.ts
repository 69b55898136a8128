/**
 * Tied covariance: one full covariance Σ shared by every component (the density model of linear
 * discriminant analysis), d(d+1)/2 + K·(d + 1) parameters. It fits correlated, anisotropic noise
 * (which no diagonal mixture can) at about the cost of a diagonal fit:
 *
 * - E-step: the quadratic form x·Σ⁻¹·xᵀ is common to every component, so the responsibilities need
 *   only the linear terms x·(Σ⁻¹μ_k) − ½μ_kᵀΣ⁻¹μ_k: one [n,d]×[d,K] matMul per block, as for
 *   diagonal covariance. The mean log-likelihood needs the mean of that quadratic form over the rows,
 *   tr(Σ⁻¹·S)/N with S = Σ_i x_i·x_iᵀ (centred rows), and S is fixed for a fit: it is computed once
 *   ({@link totalScatter}, one [d,n]×[n,d] matMul per block). For a Σ made by the M-step from S the
 *   trace has a closed form (see {@link tiedMStep}); for any other Σ (the start of a fit) it costs
 *   d³/3 multiply-adds ({@link meanQuadratic}).
 * - M-step: μ_k = Σr·x / N_k, and Σ = S/N − Σ_k (N_k/N)·μ_k·μ_kᵀ + diag(floor), the pooled
 *   within-component scatter (in float64; S/N is the total covariance about the centre, so the
 *   subtraction loses only what float32 accumulation of S lost, about 1e-6 of the total variance);
 *   then one d×d Cholesky (d³/3) and its inverse (d³/6) in float64 JS.
 * - Scoring ({@link tiedKernels}): the rows are whitened once, z = (x − c)·W with Σ⁻¹ = W·Wᵀ (one
 *   [n,d]×[d,d] matMul per block, not one per component as for full covariance), and the whitened
 *   means m_k = μ_k·W are subtracted before squaring, q_k = ‖z − m_k‖², so nothing cancels per
 *   component (only the whitening of a row far from the centre, in whitened units, carries float32
 *   rounding of order 1e-7·‖z‖ into z − m_k).
 */
import { tf } from '../../compute/backend';
import type { EmStep, FitContext } from './em-loop';
import { choleskyWithJitter, inverseTransposeLower } from './linalg';
import { baseKernels, keptComponents, LOG_2PI, type Kernels, type Mixture } from './mixture';
import { checkpoint, rowBlocks } from './rows';

/** S = Σ_i (x_i − c)ᵀ(x_i − c) over the context's rows: d×d, both triangles, float64 sums of float32 block products. */
export async function totalScatter(ctx: FitContext): Promise<Float64Array> {
  const d = ctx.X.cols;
  const S = new Float64Array(d * d);
  const center = tf.tensor2d(Float32Array.from(ctx.center), [1, d]);
  try {
    for await (const b of rowBlocks(ctx.X, ctx.rows, ctx.signal)) {
      const t = tf.tidy(() => tf.matMul(tf.tensor2d(ctx.transposed.get(b), [d, b.rows]), tf.sub(tf.tensor2d(b.data, [b.rows, d]), center)));
      const v = await t.data();
      t.dispose();
      for (let i = 0; i < d * d; i++) S[i] += v[i];
    }
  } finally {
    center.dispose();
  }
  return S;
}

/**
 * tr(Wᵀ·S·W)/N = tr(Σ⁻¹·S)/N for an upper-triangular W (Σ⁻¹ = W·Wᵀ): the mean of x·Σ⁻¹·xᵀ over the
 * rows S was summed from. Column m of W has entries in rows 0..m only, so this is d³/3 multiply-adds.
 */
export function meanQuadratic(W: Float64Array, S: Float64Array, d: number, N: number): number {
  const w = new Float64Array(d);
  let total = 0;
  for (let m = 0; m < d; m++) {
    for (let a = 0; a <= m; a++) w[a] = W[a * d + m];
    for (let a = 0; a <= m; a++) {
      if (w[a] === 0) continue;
      const row = a * d;
      let t = 0;
      for (let b = 0; b <= m; b++) t += S[row + b] * w[b];
      total += w[a] * t;
    }
  }
  return total / N;
}

/** u_k = Wᵀ·μ_k (whitened means, K×d) for the K means of a tied mixture. */
function whitenedMeans(W: Float64Array, means: Float64Array, K: number, d: number): Float64Array {
  const u = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < d; j++) {
      const mu = means[k * d + j];
      if (mu === 0) continue;
      // (Wᵀμ)_m = Σ_j W_jm·μ_j, W_jm ≠ 0 only for m ≥ j
      const row = j * d;
      for (let m = j; m < d; m++) u[k * d + m] += W[row + m] * mu;
    }
  }
  return u;
}

/**
 * Tied EM step on a context whose total scatter is `S` ({@link totalScatter}). E-step by the linear
 * expansion (see the module comment); M-step statistics Σr·x as xᵀ·r, from the transposed blocks.
 */
export function tiedStep(ctx: FitContext, S: Float64Array): EmStep {
  const N = ctx.X.rows;
  const d = ctx.X.cols;
  /** tr(Σ⁻¹·S)/N of the models this step's M-step made (in closed form). */
  const quadratics = new WeakMap<Mixture, number>();
  return async (model, wantNext, onFraction) => {
    const K = model.K;
    const W = model.precisionChol!;
    const u = whitenedMeans(W, model.means, K, d);
    // A_k = Σ⁻¹μ_k = W·u_k (d×K layout for the matMul), base_k = log π_k − ½‖u_k‖²
    const A = new Float32Array(d * K);
    const base = new Float32Array(K);
    for (let k = 0; k < K; k++) {
      let q = 0;
      for (let m = 0; m < d; m++) q += u[k * d + m] ** 2;
      base[k] = model.logWeights[k] - 0.5 * q;
      for (let j = 0; j < d; j++) {
        const row = j * d;
        let s = 0;
        for (let m = j; m < d; m++) s += W[row + m] * u[k * d + m];
        A[j * K + k] = s;
      }
    }
    let logDetPrec = 0;
    for (let j = 0; j < d; j++) logDetPrec += Math.log(W[j * d + j]);
    const quadratic = quadratics.get(model) ?? meanQuadratic(W, S, d, N);
    const consts = {
      A: tf.tensor2d(A, [d, K]),
      base: tf.tensor2d(base, [1, K]),
      center: tf.tensor2d(Float32Array.from(ctx.center), [1, d]),
    };
    const nk = new Float64Array(K);
    const s1 = new Float64Array(d * K);
    let lseSum = 0;
    try {
      for await (const b of rowBlocks(ctx.X, ctx.rows, ctx.signal)) {
        const out = tf.tidy(() => {
          const xc = tf.sub(tf.tensor2d(b.data, [b.rows, d]), consts.center);
          const l = tf.add(tf.matMul(xc, consts.A), consts.base);
          const lse = tf.logSumExp(l, 1, true);
          if (!wantNext) return tf.reshape(tf.sum(lse), [1]);
          const r = tf.exp(tf.sub(l, lse));
          const xcT = tf.tensor2d(ctx.transposed.get(b), [d, b.rows]);
          return tf.concat([tf.reshape(tf.matMul(xcT, r), [-1]), tf.sum(r, 0), tf.reshape(tf.sum(lse), [1])]);
        });
        const stats = await out.data();
        out.dispose();
        if (!wantNext) {
          lseSum += stats[0];
        } else {
          for (let i = 0; i < d * K; i++) s1[i] += stats[i];
          for (let k = 0; k < K; k++) nk[k] += stats[d * K + k];
          lseSum += stats[d * K + K];
        }
        onFraction((b.start + b.rows) / N);
      }
    } finally {
      tf.dispose(Object.values(consts));
    }
    const meanLogLik = lseSum / N - 0.5 * quadratic + logDetPrec - 0.5 * d * LOG_2PI;
    if (!wantNext) return { meanLogLik };
    return {
      meanLogLik,
      next: async () => {
        const { model: m, quadratic: q } = await tiedMStep(ctx, S, nk, s1);
        quadratics.set(m, q);
        return m;
      },
    };
  };
}

/**
 * Weights, means and the shared covariance Σ = S/N − Σ_k (N_k/N)·μ_k·μ_kᵀ + diag(g), g = the floor
 * (times 1 + jitter if rounding made Σ indefinite), all components included (a component dropped
 * for starvation still took its share of the scatter). Also returns tr(Σ⁻¹·S)/N in closed form:
 * S/N = Σ − diag(g) + Σ_k (N_k/N)·μ_k·μ_kᵀ, so tr(Σ⁻¹·S)/N = d − Σ_j g_j·(Σ⁻¹)_jj + Σ_k (N_k/N)·μ_kᵀΣ⁻¹μ_k.
 */
async function tiedMStep(ctx: FitContext, S: Float64Array, nk: Float64Array, s1: Float64Array): Promise<{ model: Mixture; quadratic: number }> {
  const d = ctx.X.cols;
  const N = ctx.X.rows;
  const K = nk.length;
  const means = new Float64Array(K * d);
  for (let k = 0; k < K; k++) if (nk[k] > 0) for (let j = 0; j < d; j++) means[k * d + j] = s1[j * K + k] / nk[k];
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] = S[a * d + b] / N;
  for (let k = 0; k < K; k++) {
    const w = nk[k] / N;
    if (!(w > 0)) continue;
    const mu = means.subarray(k * d, (k + 1) * d);
    for (let a = 0; a < d; a++) {
      const wa = w * mu[a];
      const row = a * d;
      for (let b = 0; b <= a; b++) cov[row + b] -= wa * mu[b];
    }
  }
  for (let j = 0; j < d; j++) cov[j * d + j] += ctx.floor[j];
  await checkpoint(ctx.signal);
  const { factor, jitter } = choleskyWithJitter(cov, d, ctx.floor);
  const W = inverseTransposeLower(factor, d);
  await checkpoint(ctx.signal);

  let quadratic = d;
  for (let j = 0; j < d; j++) {
    let pjj = 0;
    for (let m = j; m < d; m++) pjj += W[j * d + m] ** 2;
    quadratic -= ctx.floor[j] * (1 + jitter) * pjj;
  }
  const u = whitenedMeans(W, means, K, d);
  for (let k = 0; k < K; k++) {
    if (!(nk[k] > 0)) continue;
    let q = 0;
    for (let m = 0; m < d; m++) q += u[k * d + m] ** 2;
    quadratic += (nk[k] / N) * q;
  }

  const kept = keptComponents(nk);
  const total = kept.reduce((s, k) => s + nk[k], 0);
  const model: Mixture = {
    K: kept.length,
    logWeights: Float64Array.from(kept, (k) => Math.log(nk[k] / total)),
    means: new Float64Array(kept.length * d),
    precisionChol: W,
  };
  kept.forEach((k, t) => model.means.set(means.subarray(k * d, (k + 1) * d), t * d));
  return { model, quadratic };
}

/** A mixture whose components share one diagonal covariance (k-means initialisation) as a tied one: W = diag(1/σ). */
export function diagToTied(m: Mixture, d: number): Mixture {
  const W = new Float64Array(d * d);
  for (let j = 0; j < d; j++) W[j * d + j] = 1 / Math.sqrt(m.variances![j]);
  return { K: m.K, logWeights: m.logWeights, means: m.means, precisionChol: W };
}

/**
 * Tied: whiten once, z = x·W, then q_k = ‖z − m_k‖² with m_k = μ_k·W (one squaredDifference and one
 * [n,d]×[d,1] matMul per component, as for diagonal covariance).
 */
export function tiedKernels(m: Mixture, d: number, center: Float64Array): Kernels {
  const W = m.precisionChol!;
  let logDetPrec = 0;
  for (let j = 0; j < d; j++) logDetPrec += Math.log(W[j * d + j]);
  const base = m.logWeights.map((lw) => lw + logDetPrec);
  const t = baseKernels(m, d, center, base);
  // whitened means of the float32-shifted means (see baseKernels), in float64
  const center32 = Float32Array.from(center);
  const shifted = new Float64Array(m.K * d);
  for (let k = 0; k < m.K; k++) for (let j = 0; j < d; j++) shifted[k * d + j] = m.means[k * d + j] + center[j] - center32[j];
  const u = whitenedMeans(W, shifted, m.K, d);
  const white = Array.from({ length: m.K }, (_, k) => tf.tensor2d(Float32Array.from(u.subarray(k * d, (k + 1) * d)), [1, d]));
  const factor = tf.tensor2d(Float32Array.from(W), [d, d]);
  const ones = tf.ones([d, 1]) as tf.Tensor2D;
  return {
    center: t.center,
    means: t.means,
    logJoint: (xc) =>
      tf.tidy(() => {
        const z = tf.matMul(xc, factor);
        const q = white.map((mk) => tf.tidy(() => tf.matMul(tf.squaredDifference(z, mk), ones)));
        return tf.add(tf.mul(tf.concat(q, 1), -0.5), t.base);
      }),
    dispose: () => tf.dispose([t.center, t.base, ones, factor, ...t.means, ...white]),
  };
}
