/**
 * Diagonal covariance: the EM step and the scoring kernels. Σ_k = diag(σ²_k), 2·K·d parameters;
 * O(N·K·d) per pass. Used on its own, and as the first phase of full-covariance fits (./full.ts).
 */
import { tf } from '../../compute/backend';
import type { EmStep, FitContext } from './em-loop';
import { baseKernels, keptComponents, LOG_2PI, type Kernels, type Mixture } from './mixture';
import { rowBlocks } from './rows';

/**
 * E-step by the GEMM expansion −½q_k = x²·(−½P_k)ᵀ + x·(μ_k⊙P_k)ᵀ − ½Σμ_k²P_k with P = 1/σ²
 * (two [n,d]×[d,K] matMuls; fast, and accurate in centred coordinates unless a component is both
 * far from the centre and narrow, which only perturbs the responsibilities slightly). M-step
 * statistics Σr·x and Σr·x² as xᵀ·r, from {@link TransposedBlocks}.
 */
export function diagStep(ctx: FitContext): EmStep {
  const N = ctx.X.rows;
  const d = ctx.X.cols;
  return async (model, wantNext, onFraction) => {
    const K = model.K;
    const variances = model.variances!;
    const halfPrec = new Float32Array(d * K);
    const meanPrec = new Float32Array(d * K);
    const base = new Float32Array(K);
    for (let k = 0; k < K; k++) {
      let b = model.logWeights[k];
      for (let j = 0; j < d; j++) {
        const v = variances[k * d + j];
        const mu = model.means[k * d + j];
        halfPrec[j * K + k] = -0.5 / v;
        meanPrec[j * K + k] = mu / v;
        b -= 0.5 * (Math.log(v) + (mu * mu) / v);
      }
      base[k] = b;
    }
    const consts = {
      halfPrec: tf.tensor2d(halfPrec, [d, K]),
      meanPrec: tf.tensor2d(meanPrec, [d, K]),
      base: tf.tensor2d(base, [1, K]),
      center: tf.tensor2d(Float32Array.from(ctx.center), [1, d]),
    };
    const nk = new Float64Array(K);
    const s1 = new Float64Array(d * K);
    const s2 = new Float64Array(d * K);
    let llSum = 0;
    try {
      for await (const b of rowBlocks(ctx.X, ctx.rows, ctx.signal)) {
        // read back asynchronously (the webgpu backend has no synchronous read in Node)
        const out = tf.tidy(() => {
          const xc = tf.sub(tf.tensor2d(b.data, [b.rows, d]), consts.center);
          const l = tf.add(tf.add(tf.matMul(tf.square(xc), consts.halfPrec), tf.matMul(xc, consts.meanPrec)), consts.base);
          const lse = tf.logSumExp(l, 1, true);
          if (!wantNext) return tf.sum(lse);
          const r = tf.exp(tf.sub(l, lse));
          const xcT = tf.tensor2d(ctx.transposed.get(b), [d, b.rows]);
          return tf.concat([
            tf.reshape(tf.matMul(xcT, r), [-1]),
            tf.reshape(tf.matMul(tf.square(xcT), r), [-1]),
            tf.sum(r, 0),
            tf.reshape(tf.sum(lse), [1]),
          ]);
        });
        const stats = await out.data();
        out.dispose();
        if (!wantNext) {
          llSum += stats[0];
        } else {
          const dk = d * K;
          for (let i = 0; i < dk; i++) {
            s1[i] += stats[i];
            s2[i] += stats[dk + i];
          }
          for (let k = 0; k < K; k++) nk[k] += stats[2 * dk + k];
          llSum += stats[2 * dk + K];
        }
        onFraction((b.start + b.rows) / N);
      }
    } finally {
      tf.dispose(Object.values(consts));
    }
    const meanLogLik = llSum / N - 0.5 * d * LOG_2PI;
    return { meanLogLik, next: wantNext ? async () => diagMStep(nk, s1, s2, d, ctx.floor) : undefined };
  };
}

/** Weights, means and floored variances from Σr, Σr·x, Σr·x² (d×K layouts); drops starved components. */
function diagMStep(nk: Float64Array, s1: Float64Array, s2: Float64Array, d: number, floor: Float64Array): Mixture {
  const K = nk.length;
  const kept = keptComponents(nk);
  const total = kept.reduce((s, k) => s + nk[k], 0);
  const out: Mixture = {
    K: kept.length,
    logWeights: new Float64Array(kept.length),
    means: new Float64Array(kept.length * d),
    variances: new Float64Array(kept.length * d),
  };
  kept.forEach((k, t) => {
    out.logWeights[t] = Math.log(nk[k] / total);
    for (let j = 0; j < d; j++) {
      const mu = s1[j * K + k] / nk[k];
      out.means[t * d + j] = mu;
      out.variances![t * d + j] = Math.max(s2[j * K + k] / nk[k] - mu * mu, 0) + floor[j];
    }
  });
  return out;
}

/** Diagonal: q_k = (x − μ_k)²·(1/σ²_k)ᵀ, one squaredDifference and one [n,d]×[d,1] matMul per component. */
export function diagKernels(m: Mixture, d: number, center: Float64Array): Kernels {
  const variances = m.variances!;
  const base = new Float64Array(m.K);
  const precisions = Array.from({ length: m.K }, (_, k) => {
    const p = new Float32Array(d);
    let logDet = 0;
    for (let j = 0; j < d; j++) {
      p[j] = 1 / variances[k * d + j];
      logDet += Math.log(variances[k * d + j]);
    }
    base[k] = m.logWeights[k] - 0.5 * logDet;
    return tf.tensor2d(p, [d, 1]);
  });
  const t = baseKernels(m, d, center, base);
  return {
    center: t.center,
    means: t.means,
    logJoint: (xc) =>
      tf.tidy(() => {
        const q = t.means.map((mu, k) => tf.tidy(() => tf.matMul(tf.squaredDifference(xc, mu), precisions[k])));
        return tf.add(tf.mul(tf.concat(q, 1), -0.5), t.base);
      }),
    dispose: () => tf.dispose([t.center, t.base, ...t.means, ...precisions]),
  };
}
