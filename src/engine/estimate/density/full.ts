/**
 * Full covariance: the EM step and the scoring kernels. K·d(d+3)/2 parameters; O(N·K·d²) per pass.
 * Fits start from a diagonal EM on the same rows, or from a tied fit with every component's
 * covariance shrunk toward the pooled one (see ./em.ts, `em.fullFit`).
 *
 * Shrinkage: Σ_k(λ) = (1 − λ)·C_k + λ·P + diag(floor), where C_k is component k's covariance from
 * the E-step's responsibilities and P = Σ_k π_k·C_k the pooled within-component covariance (what
 * tied covariance fits). λ = 0 is plain EM; λ = 1 makes every component share one covariance: such
 * a mixture is kept with one factor W (d·d values, the tied layout) and scored as tied covariance
 * is, once per row instead of once per component.
 */
import { tf } from '../../compute/backend';
import type { EmStep, FitContext } from './em-loop';
import { choleskyWithJitter, inverseTransposeLower } from './linalg';
import { baseKernels, keptComponents, LOG_2PI, type Kernels, type Mixture } from './mixture';
import { BLOCK_ROWS, checkpoint, rowBlocks } from './rows';
import { tiedKernels } from './tied';

/** The moments of one full E-step (components with too little responsibility dropped): see {@link shrunkMixture}. */
export interface FullMoments {
  d: number;
  /** π_k, normalised over the kept components. */
  weights: Float64Array;
  /** K×d, row-major. */
  means: Float64Array;
  /** C_k per kept component: the lower triangle (row-major d×d) holds it, without the floor. */
  covs: Float64Array[];
}

/** A full mixture whose components share one factor (λ = 1, or K = 1): it is scored as a tied one. */
export function sharesFactor(m: Pick<Mixture, 'precisionChol'>, d: number): boolean {
  return m.precisionChol !== undefined && m.precisionChol.length === d * d;
}

/** The scoring kernels of a full mixture, K factors or one shared factor. */
export function fullOrSharedKernels(m: Mixture, d: number, center: Float64Array): Kernels {
  return m.K > 1 && sharesFactor(m, d) ? tiedKernels(m, d, center) : fullKernels(m, d, center);
}

/**
 * E-step as in scoring (whitened residuals (x − μ_k)·W_k). M-step statistics per component: Σr·x and
 * the scatter Σr·(x − μ_k)(x − μ_k)ᵀ about the current mean (so that nothing cancels), as
 * (x − μ_k)ᵀ·diag(r_k)·(x − μ_k), from {@link TransposedBlocks}.
 */
export function fullStep(ctx: FitContext, mStep: (moments: FullMoments) => Promise<Mixture> = (m) => shrunkMixture(m, 0, ctx.floor, ctx.signal)): EmStep {
  const N = ctx.X.rows;
  const d = ctx.X.cols;
  return async (model, wantNext, onFraction) => {
    const K = model.K;
    const kernels = fullOrSharedKernels(model, d, ctx.center);
    const nk = new Float64Array(K);
    const s1 = new Float64Array(d * K);
    const scatter = wantNext ? Array.from({ length: K }, () => new Float64Array(d * d)) : [];
    // the per-component scatters are summed on the backend over groups of blocks of BLOCK_ROWS rows
    // in all (float32, as one matMul over that many rows would be) and read back once per group into
    // the float64 sums: one d×d read-back per component and group instead of per block
    const group = Math.max(1, Math.floor(BLOCK_ROWS / ctx.rows));
    let pending: tf.Tensor[] = [];
    let inGroup = 0;
    const flush = async () => {
      for (let k = 0; k < pending.length; k++) {
        const v = await pending[k].data();
        const acc = scatter[k];
        for (let i = 0; i < d * d; i++) acc[i] += v[i];
      }
      tf.dispose(pending);
      pending = [];
      inGroup = 0;
    };
    let llSum = 0;
    try {
      for await (const b of rowBlocks(ctx.X, ctx.rows, ctx.signal)) {
        // tensors kept across asynchronous read-backs (the webgpu backend has no synchronous read in
        // Node), disposed below
        const t = tf.tidy(() => {
          const xc = tf.sub<tf.Tensor2D>(tf.tensor2d(b.data, [b.rows, d]), kernels.center);
          const l = kernels.logJoint(xc);
          const lse = tf.logSumExp(l, 1, true);
          if (!wantNext) return { first: tf.reshape(tf.sum(lse), [1]) };
          const r = tf.exp(tf.sub(l, lse));
          const rT = tf.transpose(r);
          const xcT = tf.tensor2d(ctx.transposed.get(b), [d, b.rows]);
          const first = tf.concat([tf.reshape(tf.matMul(xcT, r), [-1]), tf.sum(r, 0), tf.reshape(tf.sum(lse), [1])]);
          return { first, xc, xcT, rT };
        });
        try {
          const first = await t.first.data();
          if (!wantNext) {
            llSum += first[0];
          } else {
            const { xc, xcT, rT } = t as Required<typeof t>;
            for (let i = 0; i < d * K; i++) s1[i] += first[i];
            for (let k = 0; k < K; k++) nk[k] += first[d * K + k];
            llSum += first[d * K + K];
            for (let k = 0; k < K; k++) {
              const sk = tf.tidy(() => {
                const xk = tf.sub(xc, kernels.means[k]);
                const xkT = tf.sub(xcT, tf.reshape(kernels.means[k], [d, 1]));
                return tf.matMul(tf.mul(xkT, tf.slice(rT, [k, 0], [1, b.rows])), xk);
              });
              if (k < pending.length) {
                const sum = tf.add(pending[k], sk);
                tf.dispose([pending[k], sk]);
                pending[k] = sum;
              } else {
                pending.push(sk);
              }
            }
            if (++inGroup === group) await flush();
          }
        } finally {
          tf.dispose(Object.values(t));
        }
        onFraction((b.start + b.rows) / N);
      }
      if (pending.length) await flush();
    } finally {
      tf.dispose(pending);
      kernels.dispose();
    }
    const meanLogLik = llSum / N - 0.5 * d * LOG_2PI;
    return { meanLogLik, next: wantNext ? () => mStep(fullMoments(d, model, nk, s1, scatter)) : undefined };
  };
}

/**
 * The kept components' weights, means and covariances C_k = scatter/N_k − δδᵀ, where δ is the step
 * from the mean the scatter was taken about (float32, as uploaded) to the new mean. The scatters
 * become the covariances in place.
 */
function fullMoments(d: number, model: Mixture, nk: Float64Array, s1: Float64Array, scatter: Float64Array[]): FullMoments {
  const K = nk.length;
  const kept = keptComponents(nk);
  const total = kept.reduce((s, k) => s + nk[k], 0);
  const out: FullMoments = { d, weights: new Float64Array(kept.length), means: new Float64Array(kept.length * d), covs: [] };
  const delta = new Float64Array(d);
  for (let t = 0; t < kept.length; t++) {
    const k = kept[t];
    out.weights[t] = nk[k] / total;
    for (let j = 0; j < d; j++) {
      const mu = s1[j * K + k] / nk[k];
      out.means[t * d + j] = mu;
      delta[j] = mu - Math.fround(model.means[k * d + j]);
    }
    const cov = scatter[k];
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] = cov[a * d + b] / nk[k] - delta[a] * delta[b];
    out.covs.push(cov);
  }
  return out;
}

/**
 * The mixture of the moments with every covariance shrunk toward the pooled one by λ (see the module
 * comment), Cholesky-factored: K factors for λ < 1, one shared factor for λ = 1. The moments are not
 * changed, so several λ can be tried on one E-step.
 */
export async function shrunkMixture(m: FullMoments, lambda: number, floor: Float64Array, signal?: AbortSignal): Promise<Mixture> {
  const { d, weights } = m;
  const K = weights.length;
  const pooled = new Float64Array(d * d);
  if (lambda > 0) {
    for (let k = 0; k < K; k++) {
      const c = m.covs[k];
      const w = weights[k];
      for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) pooled[a * d + b] += w * c[a * d + b];
    }
  }
  const factorOf = async (cov: Float64Array) => {
    for (let j = 0; j < d; j++) cov[j * d + j] += floor[j];
    const W = inverseTransposeLower(choleskyWithJitter(cov, d, floor).factor, d);
    await checkpoint(signal);
    return W;
  };
  const out: Mixture = { K, logWeights: weights.map(Math.log), means: m.means.slice(), precisionChol: undefined };
  if (lambda >= 1) {
    out.precisionChol = await factorOf(pooled);
    return out;
  }
  out.precisionChol = new Float64Array(K * d * d);
  const cov = new Float64Array(d * d);
  for (let k = 0; k < K; k++) {
    const c = m.covs[k];
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] = (1 - lambda) * c[a * d + b] + lambda * pooled[a * d + b];
    out.precisionChol.set(await factorOf(cov), k * d * d);
  }
  return out;
}

/** A diagonal mixture as a full one: W_k = diag(1/σ_k). */
export function diagToFull(m: Mixture, d: number): Mixture {
  const precisionChol = new Float64Array(m.K * d * d);
  for (let k = 0; k < m.K; k++) for (let j = 0; j < d; j++) precisionChol[k * d * d + j * d + j] = 1 / Math.sqrt(m.variances![k * d + j]);
  return { K: m.K, logWeights: m.logWeights, means: m.means, precisionChol };
}

/** Full: q_k = ‖(x − μ_k)·W_k‖², one [n,d]×[d,d] matMul per component and a row sum as a matMul by ones. */
export function fullKernels(m: Mixture, d: number, center: Float64Array): Kernels {
  const chol = m.precisionChol!;
  const base = new Float64Array(m.K);
  const factors = Array.from({ length: m.K }, (_, k) => {
    const w = chol.subarray(k * d * d, (k + 1) * d * d);
    let logDetPrec = 0;
    for (let j = 0; j < d; j++) logDetPrec += Math.log(w[j * d + j]);
    base[k] = m.logWeights[k] + logDetPrec;
    return tf.tensor2d(Float32Array.from(w), [d, d]);
  });
  const ones = tf.ones([d, 1]) as tf.Tensor2D;
  const t = baseKernels(m, d, center, base);
  return {
    center: t.center,
    means: t.means,
    logJoint: (xc) =>
      tf.tidy(() => {
        const q = t.means.map((mu, k) => tf.tidy(() => tf.matMul(tf.square(tf.matMul(tf.sub(xc, mu), factors[k])), ones)));
        return tf.add(tf.mul(tf.concat(q, 1), -0.5), t.base);
      }),
    dispose: () => tf.dispose([t.center, t.base, ones, ...t.means, ...factors]),
  };
}
