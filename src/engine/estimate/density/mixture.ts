/**
 * The Gaussian mixture while EM fits it (./em.ts), and its per-component log-densities on tfjs
 * (used for scoring, and by the full-covariance E-step). One file per covariance type builds on it:
 * ./diag.ts, ./full.ts, ./tied.ts.
 */
import { tf } from '../../compute/backend';

/** A component needs at least two rows' worth of responsibility to estimate a spread. */
export const MIN_COMPONENT_ROWS = 2;
export const LOG_2PI = Math.log(2 * Math.PI);

/** The parameters of a mixture while it is being fitted (a subset of `GmmParams` in ./em.ts). */
export interface Mixture {
  K: number;
  logWeights: Float64Array;
  means: Float64Array;
  /** Diagonal: K×d variances. */
  variances?: Float64Array;
  /** Full: K upper-triangular d×d factors W_k with Σ_k⁻¹ = W_k·W_kᵀ. Tied: one such factor (d×d). */
  precisionChol?: Float64Array;
}

/** Components with at least MIN_COMPONENT_ROWS of responsibility (the heaviest one if none has). */
export function keptComponents(nk: Float64Array): number[] {
  const kept: number[] = [];
  for (let k = 0; k < nk.length; k++) if (nk[k] >= MIN_COMPONENT_ROWS) kept.push(k);
  if (kept.length === 0) kept.push(nk.indexOf(Math.max(...nk)));
  return kept;
}

/** Per-component log-densities of centred rows, on tfjs. */
export interface Kernels {
  /** The float32 centre to subtract from raw rows. */
  center: tf.Tensor2D;
  /** Component means [1,d], shifted by what rounding the centre to float32 lost. */
  means: tf.Tensor2D[];
  /** log π_k − ½ log|Σ_k| − ½ q_k(x) for centred rows xc [n,d] → [n,K] (without −(d/2)·log 2π). */
  logJoint(xc: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/**
 * Tensors shared by every covariance type. A centre that is not float32-representable is rounded and
 * the difference folded into the means, so x − c − μ_k is the same in float32 and float64.
 */
export function baseKernels(m: Mixture, d: number, center: Float64Array, base: Float64Array) {
  const center32 = Float32Array.from(center);
  const means = Array.from({ length: m.K }, (_, k) => {
    const mu = new Float32Array(d);
    for (let j = 0; j < d; j++) mu[j] = m.means[k * d + j] + center[j] - center32[j];
    return tf.tensor2d(mu, [1, d]);
  });
  return { center: tf.tensor2d(center32, [1, d]), means, base: tf.tensor2d(Float32Array.from(base), [1, m.K]) };
}
