/**
 * The default density model for h(x) = −log p̂(x) (spec §5): a Gaussian mixture with diagonal or full
 * covariances fitted by closed-form EM, then scored row by row.
 *
 * Design (see ../shared/docs/compute-backends.md §3 and Appendix B):
 * - Everything runs in centred coordinates: the mean of (up to {@link SEED_ROWS} seeded) fitted rows,
 *   rounded to float32, is subtracted first (translation does not change h, and it keeps float32
 *   accurate; any centre near the data's mean does).
 * - The heavy work is float32 tfjs on the wasm backend, written as 2-D non-transposed matMuls (the
 *   only form XNNPACK runs). Rows are uploaded in blocks of at most {@link BLOCK_ROWS} (fewer for
 *   full covariance: {@link blockRows}), so memory is O(block·K·d) whatever N is, and an abort is
 *   noticed between blocks. Per-component statistics, the M-step and Cholesky are float64 JS.
 *   During a fit, up to {@link TRANSPOSE_CACHE_BYTES} of transposed row blocks are also kept.
 * - Initialisation: greedy k-means++ seeding and a few Lloyd steps on the same seeded rows, then one
 *   pooled within-cluster variance for every component.
 * - Variance floor: `em.varFloor` times each dimension's variance over those rows (a dimension
 *   that is constant, or nearly so, uses 1e-6 of the average variance instead; data with no spread at
 *   all uses 1). It is added to every component's variances (diagonal) or to the diagonal of every
 *   covariance (full), so no component can collapse to zero width.
 * - A component whose expected row count falls below {@link MIN_COMPONENT_ROWS} is dropped (K shrinks,
 *   the weights are renormalised, and the convergence test restarts from the new model); k-means++
 *   also stops early when the data has fewer distinct points than K. The returned `K` is the number
 *   of components kept.
 * - Convergence: stop when the mean log-likelihood per row improves by less than `em.tol` nats (or
 *   gets worse), or after `em.maxIter` M-steps. The parameters returned are those whose
 *   log-likelihood was measured last, so `meanLogLik` belongs to them.
 * - Diagonal fits use at most `em.diagFitSubsample` rows, full covariance at most `em.fitSubsample`
 *   (seeded subsamples; every row is scored). Full covariance runs first a diagonal EM
 *   on those rows, then full-covariance EM from there. Scoring always covers every row.
 * - Deterministic given the Rng: it drives the subsamples and the seeding, and tfjs on wasm is
 *   single-threaded.
 */
import { initBackend, tf } from '../../compute/backend';
import { denseMatrix, matrixRow, toDense, type Matrix } from '../../io/matrix';
import type { Rng } from '../../random';
import type { EmSettings } from '../settings';
import { choleskyInPlace, inverseTransposeLower } from './linalg';

export interface GmmParams {
  /** Components kept (≤ the K asked for: see the module comment). */
  K: number;
  d: number;
  covariance: 'diag' | 'full';
  /**
   * Subtracted from every row before fitting and scoring: the mean of the fitted rows (of a seeded
   * subsample of them when there are more than 8192), rounded to float32.
   */
  center: Float64Array;
  /** log π_k, length K. */
  logWeights: Float64Array;
  /** K×d, row-major, in centred coordinates. */
  means: Float64Array;
  /** Diagonal covariance: K×d variances σ²_kj, floor included. */
  variances?: Float64Array;
  /**
   * Full covariance: K upper-triangular d×d factors W_k (row-major, K·d·d values) with
   * Σ_k⁻¹ = W_k·W_kᵀ, i.e. W_k = L_k⁻ᵀ for the Cholesky factor Σ_k = L_k·L_kᵀ (scikit-learn's
   * `precisions_cholesky_`). The whitened residual of a row x is z = (x − c − μ_k)·W_k.
   */
  precisionChol?: Float64Array;
  /** log|Σ_k|, length K, for reporting (gmmLogPdf derives it from `variances` / `precisionChol`). */
  logDet: Float64Array;
  /** EM iterations (M-steps) run; for full covariance, those of the full phase. */
  iterations: number;
  converged: boolean;
  /** Mean log p̂(x) per row over the fitted rows, in nats. */
  meanLogLik: number;
  /** Rows the mixture was fitted on (all rows, or the seeded subsample). */
  fitRows: number;
}

export interface FitGmmOptions {
  /** Components asked for. */
  K: number;
  covariance: 'diag' | 'full';
  em: EmSettings;
  rng: Rng;
  /** Checked between row blocks; aborting rejects with an Error named 'AbortError'. */
  signal?: AbortSignal;
  /** A fraction in [0, 1] that never decreases; 1 when the fit is done. */
  onProgress?: (fraction: number) => void;
}

export interface GmmScoreOptions {
  signal?: AbortSignal;
  /** Fraction of rows scored. */
  onProgress?: (fraction: number) => void;
}

/** Rows per upload to tfjs (at most). */
const BLOCK_ROWS = 4096;
/** Full covariance: rows per block such that a block costs about this many multiply-adds per stage. */
const FULL_BLOCK_MACS = 2 ** 29;
/** ... but no fewer rows than this. */
const MIN_BLOCK_ROWS = 256;
/** Rows (at most) that the centre, the variance floor, k-means++ and the Lloyd steps are computed from. */
const SEED_ROWS = 8192;
const LLOYD_ITERS = 10;
/** Memory for the transposed row blocks kept across EM passes (see {@link TransposedBlocks}). */
const TRANSPOSE_CACHE_BYTES = 256 * 2 ** 20;
/** A component needs at least two rows' worth of responsibility to estimate a spread. */
const MIN_COMPONENT_ROWS = 2;
/** Below this fraction of the average variance a dimension counts as constant for the floor. */
const CONSTANT_DIM_REL = 1e-6;
/** Attempts at adding 10^t × floor to a covariance diagonal that float32 rounding left non-positive-definite. */
const JITTER_ATTEMPTS = 8;
const LOG_2PI = Math.log(2 * Math.PI);

/** The parameters of a mixture while it is being fitted (a subset of {@link GmmParams}). */
interface Mixture {
  K: number;
  logWeights: Float64Array;
  means: Float64Array;
  variances?: Float64Array;
  precisionChol?: Float64Array;
}

/** Fits a Gaussian mixture to the rows of X by EM (see the module comment for the choices made). */
export async function fitGmm(X: Matrix, opts: FitGmmOptions): Promise<GmmParams> {
  const { K, covariance, em, rng, signal } = opts;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`K must be a positive integer, got ${K}`);
  if (X.rows < 1 || X.cols < 1) throw new RangeError(`cannot fit a mixture to a ${X.rows}×${X.cols} matrix`);
  if (!(em.varFloor > 0)) throw new RangeError(`em.varFloor must be positive, got ${em.varFloor}`);
  if (!(em.fitSubsample >= 1)) throw new RangeError(`em.fitSubsample must be at least 1, got ${em.fitSubsample}`);
  if (!(em.diagFitSubsample >= 1)) throw new RangeError(`em.diagFitSubsample must be at least 1, got ${em.diagFitSubsample}`);
  if (!(em.maxIter >= 0)) throw new RangeError(`em.maxIter must be non-negative, got ${em.maxIter}`);
  await initBackend();
  const report = monotone(opts.onProgress);
  await checkpoint(signal);
  const limit = Math.floor(covariance === 'full' ? em.fitSubsample : em.diagFitSubsample);
  const fitX = X.rows > limit ? gatherRows(X, sampleIndices(X.rows, limit, rng)) : X;
  const seed = gatherRows(fitX, fitX.rows > SEED_ROWS ? sampleIndices(fitX.rows, SEED_ROWS, rng) : null);
  const { center, variance } = columnMoments(seed);
  const floor = varianceFloor(variance, em.varFloor);
  const context = (rows: number): FitContext => ({ X: fitX, center, floor, rows, transposed: new TransposedBlocks(center, fitX.cols, rows), signal });
  const init = await kmeansInit(seed, center, floor, K, rng, signal);
  report(0.02);

  const diagEnd = covariance === 'diag' ? 1 : 0.1;
  const diag = await runEm(diagStep(context(BLOCK_ROWS)), init, em, span(report, 0.02, diagEnd));
  let fit = diag;
  if (covariance === 'full') {
    fit = await runEm(fullStep(context(blockRows('full', fitX.cols, diag.model.K))), diagToFull(diag.model, fitX.cols), em, span(report, diagEnd, 1));
  }
  report(1);
  return toParams(fit, covariance, fitX.cols, center, fitX.rows);
}

/**
 * log p̂(x) per row of X under the mixture, in nats, the −(d/2)·log 2π and log-determinant terms
 * included. Each component's Mahalanobis term is computed from the residual x − c − μ_k itself
 * (diagonal: Σ_j (x_j − c_j − μ_kj)²/σ²_kj; full: ‖(x − c − μ_k)·W_k‖²), never from an expansion that
 * cancels, so the result stays accurate for rows far from a component relative to its width.
 */
export async function gmmLogPdf(p: GmmParams, X: Matrix, opts: GmmScoreOptions = {}): Promise<Float64Array> {
  if (X.cols !== p.d) throw new RangeError(`the mixture has d = ${p.d} but the matrix has ${X.cols} columns`);
  if (!(p.covariance === 'diag' ? p.variances : p.precisionChol)) throw new Error(`a ${p.covariance}-covariance mixture needs ${p.covariance === 'diag' ? 'variances' : 'precisionChol'}`);
  await initBackend();
  const out = new Float64Array(X.rows);
  const logC = -0.5 * p.d * LOG_2PI;
  const kernels = p.covariance === 'diag' ? diagKernels(p, p.d, p.center) : fullKernels(p, p.d, p.center);
  try {
    for await (const b of rowBlocks(X, blockRows(p.covariance, p.d, p.K), opts.signal)) {
      const lse = tf.tidy(() => tf.logSumExp(kernels.logJoint(tf.sub(tf.tensor2d(b.data, [b.rows, p.d]), kernels.center)), 1));
      const v = await lse.data();
      lse.dispose();
      for (let i = 0; i < b.rows; i++) out[b.start + i] = v[i] + logC;
      opts.onProgress?.((b.start + b.rows) / X.rows);
    }
  } finally {
    kernels.dispose();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// EM driver

interface FitContext {
  /** The rows being fitted. */
  X: Matrix;
  /** Float32-representable, so centring is exact in float32 and float64 alike. */
  center: Float64Array;
  /** Per-dimension variance floor. */
  floor: Float64Array;
  /** Rows per block. */
  rows: number;
  transposed: TransposedBlocks;
  signal?: AbortSignal;
}

interface EmResult {
  model: Mixture;
  meanLogLik: number;
  iterations: number;
  converged: boolean;
}

/**
 * One E-step pass: the mean log-likelihood of `model` over the rows, and (when `wantNext`) the
 * M-step that turns the pass's statistics into the next parameters.
 */
type EmStep = (
  model: Mixture,
  wantNext: boolean,
  onFraction: (fraction: number) => void,
) => Promise<{ meanLogLik: number; next?: () => Promise<Mixture> }>;

async function runEm(step: EmStep, init: Mixture, em: EmSettings, report: (fraction: number) => void): Promise<EmResult> {
  const progress = new PassProgress(em.maxIter + 1, em.tol, report);
  let model = init;
  let previous = -Infinity;
  for (let iterations = 0; ; iterations++) {
    const { meanLogLik, next } = await step(model, iterations < em.maxIter, (f) => progress.within(iterations, f));
    if (!Number.isFinite(meanLogLik)) throw new Error(`EM produced a non-finite log-likelihood (${meanLogLik}) at iteration ${iterations}`);
    const gain = meanLogLik - previous;
    if (gain < em.tol) return { model, meanLogLik, iterations, converged: true };
    if (!next) return { model, meanLogLik, iterations, converged: false };
    progress.passDone(iterations + 1, gain);
    const updated = await next();
    // dropping a component changes the model discontinuously: measure gains afresh from there
    previous = updated.K < model.K ? -Infinity : meanLogLik;
    model = updated;
  }
}

/**
 * Progress of an EM run of unknown length: the passes still needed are extrapolated from how fast
 * the log-likelihood gain shrinks (taken as geometric), capped by the pass budget. Never decreases.
 */
class PassProgress {
  private expected: number;
  private lastGain = Infinity;

  constructor(
    private readonly maxPasses: number,
    private readonly tol: number,
    private readonly report: (fraction: number) => void,
  ) {
    this.expected = Math.min(maxPasses, 10);
  }

  within(pass: number, fraction: number): void {
    this.report(Math.min(1, (pass + fraction) / this.expected));
  }

  /** After `passes` passes, the last of which raised the mean log-likelihood by `gain` (≥ tol). */
  passDone(passes: number, gain: number): void {
    const ratio = gain / this.lastGain;
    this.lastGain = gain;
    let estimate = this.expected;
    if (ratio > 0 && ratio < 1) estimate = passes + Math.ceil(Math.log(this.tol / gain) / Math.log(ratio)) + 1;
    this.expected = Math.min(this.maxPasses, Math.max(passes + 1, estimate));
  }
}

// ---------------------------------------------------------------------------------------------
// Diagonal EM

/**
 * E-step by the GEMM expansion −½q_k = x²·(−½P_k)ᵀ + x·(μ_k⊙P_k)ᵀ − ½Σμ_k²P_k with P = 1/σ²
 * (two [n,d]×[d,K] matMuls; fast, and accurate in centred coordinates unless a component is both
 * far from the centre and narrow, which only perturbs the responsibilities slightly). M-step
 * statistics Σr·x and Σr·x² as xᵀ·r, from {@link TransposedBlocks}.
 */
function diagStep(ctx: FitContext): EmStep {
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

/** Components with at least MIN_COMPONENT_ROWS of responsibility (the heaviest one if none has). */
function keptComponents(nk: Float64Array): number[] {
  const kept: number[] = [];
  for (let k = 0; k < nk.length; k++) if (nk[k] >= MIN_COMPONENT_ROWS) kept.push(k);
  if (kept.length === 0) kept.push(nk.indexOf(Math.max(...nk)));
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Full-covariance EM

/**
 * E-step as in scoring (whitened residuals (x − μ_k)·W_k). M-step statistics per component: Σr·x and
 * the scatter Σr·(x − μ_k)(x − μ_k)ᵀ about the current mean (so that nothing cancels), as
 * (x − μ_k)ᵀ·diag(r_k)·(x − μ_k), from {@link TransposedBlocks}.
 */
function fullStep(ctx: FitContext): EmStep {
  const N = ctx.X.rows;
  const d = ctx.X.cols;
  return async (model, wantNext, onFraction) => {
    const K = model.K;
    const kernels = fullKernels(model, d, ctx.center);
    const nk = new Float64Array(K);
    const s1 = new Float64Array(d * K);
    const scatter = wantNext ? Array.from({ length: K }, () => new Float64Array(d * d)) : [];
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
              const v = await sk.data();
              sk.dispose();
              const acc = scatter[k];
              for (let i = 0; i < d * d; i++) acc[i] += v[i];
            }
          }
        } finally {
          tf.dispose(Object.values(t));
        }
        onFraction((b.start + b.rows) / N);
      }
    } finally {
      kernels.dispose();
    }
    const meanLogLik = llSum / N - 0.5 * d * LOG_2PI;
    return { meanLogLik, next: wantNext ? () => fullMStep(ctx, model, nk, s1, scatter) : undefined };
  };
}

/**
 * Weights, means and Cholesky-factored covariances Σ_k = scatter/N_k − δδᵀ + diag(floor), where δ is
 * the step from the mean the scatter was taken about (float32, as uploaded) to the new mean.
 */
async function fullMStep(ctx: FitContext, model: Mixture, nk: Float64Array, s1: Float64Array, scatter: Float64Array[]): Promise<Mixture> {
  const d = ctx.X.cols;
  const K = nk.length;
  const kept = keptComponents(nk);
  const total = kept.reduce((s, k) => s + nk[k], 0);
  const out: Mixture = {
    K: kept.length,
    logWeights: new Float64Array(kept.length),
    means: new Float64Array(kept.length * d),
    precisionChol: new Float64Array(kept.length * d * d),
  };
  const delta = new Float64Array(d);
  for (let t = 0; t < kept.length; t++) {
    const k = kept[t];
    out.logWeights[t] = Math.log(nk[k] / total);
    for (let j = 0; j < d; j++) {
      const mu = s1[j * K + k] / nk[k];
      out.means[t * d + j] = mu;
      delta[j] = mu - Math.fround(model.means[k * d + j]);
    }
    const cov = scatter[k];
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) cov[a * d + b] = cov[a * d + b] / nk[k] - delta[a] * delta[b];
      cov[a * d + a] += ctx.floor[a];
    }
    out.precisionChol!.set(inverseTransposeLower(choleskyWithJitter(cov, d, ctx.floor), d), t * d * d);
    await checkpoint(ctx.signal);
  }
  return out;
}

/** Cholesky factor of cov (lower triangle read); adds 10^t × floor to the diagonal if rounding left it indefinite. */
function choleskyWithJitter(cov: Float64Array, d: number, floor: Float64Array): Float64Array {
  for (let attempt = 0; attempt <= JITTER_ATTEMPTS; attempt++) {
    const a = cov.slice();
    if (attempt > 0) for (let j = 0; j < d; j++) a[j * d + j] += floor[j] * 10 ** attempt;
    if (choleskyInPlace(a, d)) return a;
  }
  throw new Error('a mixture covariance is not positive definite even after regularisation');
}

/** A diagonal mixture as a full one: W_k = diag(1/σ_k). */
function diagToFull(m: Mixture, d: number): Mixture {
  const precisionChol = new Float64Array(m.K * d * d);
  for (let k = 0; k < m.K; k++) for (let j = 0; j < d; j++) precisionChol[k * d * d + j * d + j] = 1 / Math.sqrt(m.variances![k * d + j]);
  return { K: m.K, logWeights: m.logWeights, means: m.means, precisionChol };
}

// ---------------------------------------------------------------------------------------------
// Per-component log-densities on tfjs (scoring, and the full-covariance E-step)

interface Kernels {
  /** The float32 centre to subtract from raw rows. */
  center: tf.Tensor2D;
  /** Component means [1,d], shifted by what rounding the centre to float32 lost. */
  means: tf.Tensor2D[];
  /** log π_k − ½ log|Σ_k| − ½ q_k(x) for centred rows xc [n,d] → [n,K] (without −(d/2)·log 2π). */
  logJoint(xc: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/**
 * Tensors shared by both covariance types. A centre that is not float32-representable is rounded and
 * the difference folded into the means, so x − c − μ_k is the same in float32 and float64.
 */
function baseKernels(m: Mixture, d: number, center: Float64Array, base: Float64Array) {
  const center32 = Float32Array.from(center);
  const means = Array.from({ length: m.K }, (_, k) => {
    const mu = new Float32Array(d);
    for (let j = 0; j < d; j++) mu[j] = m.means[k * d + j] + center[j] - center32[j];
    return tf.tensor2d(mu, [1, d]);
  });
  return { center: tf.tensor2d(center32, [1, d]), means, base: tf.tensor2d(Float32Array.from(base), [1, m.K]) };
}

/** Diagonal: q_k = (x − μ_k)²·(1/σ²_k)ᵀ, one squaredDifference and one [n,d]×[d,1] matMul per component. */
function diagKernels(m: Mixture, d: number, center: Float64Array): Kernels {
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

/** Full: q_k = ‖(x − μ_k)·W_k‖², one [n,d]×[d,d] matMul per component and a row sum as a matMul by ones. */
function fullKernels(m: Mixture, d: number, center: Float64Array): Kernels {
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

// ---------------------------------------------------------------------------------------------
// Initialisation

/** Mean (rounded to float32) and variance of each column of Y, in float64, shifted by the first row. */
function columnMoments(Y: Matrix): { center: Float64Array; variance: Float64Array } {
  const d = Y.cols;
  const data = toRows(Y);
  const shift = Float64Array.from(data.subarray(0, d));
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  for (let i = 0; i < Y.rows; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j] - shift[j];
      sum[j] += v;
      sumSq[j] += v * v;
    }
  }
  const center = new Float64Array(d);
  const variance = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const m = sum[j] / Y.rows;
    center[j] = Math.fround(shift[j] + m);
    variance[j] = Math.max(sumSq[j] / Y.rows - m * m, 0);
  }
  return { center, variance };
}

/** varFloor × each dimension's variance; constant dimensions use a small fraction of the average instead. */
function varianceFloor(variance: Float64Array, varFloor: number): Float64Array {
  const average = variance.reduce((s, v) => s + v, 0) / variance.length;
  return variance.map((v) => varFloor * (average > 0 ? Math.max(v, CONSTANT_DIM_REL * average) : 1));
}

/**
 * Greedy k-means++ seeding and up to LLOYD_ITERS Lloyd steps on the seed rows (centred here); then
 * weights and means from the clusters and, for every component, the pooled within-cluster variance
 * plus the floor (a small or singleton cluster gets no degenerate width of its own). Distances go
 * through one [m,d]×[d,r] matMul per step (see {@link SeedDistances}).
 */
async function kmeansInit(seed: Matrix, center: Float64Array, floor: Float64Array, K: number, rng: Rng, signal?: AbortSignal): Promise<Mixture> {
  const m = seed.rows;
  const d = seed.cols;
  const Y = toRows(seed).slice();
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) Y[i * d + j] -= center[j];
  const distances = new SeedDistances(Y, m, d);
  let assign: Int32Array;
  try {
    const centres = await kmeansPlusPlus(distances, Y, K, rng, signal);
    assign = await lloyd(distances, Y, centres, signal);
  } finally {
    distances.dispose();
  }
  const Keff = assign.reduce((max, k) => Math.max(max, k + 1), 0);
  const counts = new Float64Array(Keff);
  const sums = new Float64Array(Keff * d);
  for (let i = 0; i < m; i++) {
    const k = assign[i];
    counts[k]++;
    for (let j = 0; j < d; j++) sums[k * d + j] += Y[i * d + j];
  }
  const pooled = new Float64Array(d);
  for (let i = 0; i < m; i++) {
    const k = assign[i];
    for (let j = 0; j < d; j++) {
      const t = Y[i * d + j] - sums[k * d + j] / counts[k];
      pooled[j] += t * t;
    }
  }
  const out: Mixture = {
    K: Keff,
    logWeights: counts.map((c) => Math.log(c / m)),
    means: sums.map((s, i) => s / counts[Math.floor(i / d)]),
    variances: new Float64Array(Keff * d),
  };
  for (let k = 0; k < Keff; k++) for (let j = 0; j < d; j++) out.variances![k * d + j] = pooled[j] / m + floor[j];
  return out;
}

/**
 * Squared distances from the m seed rows to a few points, as ‖y‖² − 2·y·p + ‖p‖² with the seed rows
 * uploaded once (float32; clamped at 0; plenty for choosing seeds and nearest centres).
 */
class SeedDistances {
  private readonly rows: tf.Tensor2D;
  private readonly norms: Float64Array;

  constructor(
    Y: Float32Array,
    readonly m: number,
    readonly d: number,
  ) {
    this.rows = tf.tensor2d(Y, [m, d]);
    this.norms = new Float64Array(m);
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) this.norms[i] += Y[i * d + j] ** 2;
  }

  /** Distances to the r points P (r×d row-major), as an m×r row-major array. */
  async to(P: ArrayLike<number>): Promise<Float64Array> {
    const { m, d } = this;
    const r = P.length / d;
    const PT = new Float32Array(d * r);
    const pNorms = new Float64Array(r);
    for (let t = 0; t < r; t++) {
      for (let j = 0; j < d; j++) {
        PT[j * r + t] = P[t * d + j];
        pNorms[t] += P[t * d + j] ** 2;
      }
    }
    const g = tf.tidy(() => tf.matMul(this.rows, tf.tensor2d(PT, [d, r])));
    const dots = await g.data();
    g.dispose();
    const out = new Float64Array(m * r);
    for (let i = 0; i < m; i++) for (let t = 0; t < r; t++) out[i * r + t] = Math.max(0, this.norms[i] - 2 * dots[i * r + t] + pNorms[t]);
    return out;
  }

  dispose(): void {
    this.rows.dispose();
  }
}

/**
 * Greedy k-means++ (as scikit-learn: 2 + ⌊ln K⌋ candidates per seed, keep the one that lowers the
 * potential most). Stops early when every row coincides with a seed. Returns Keff×d centres.
 */
async function kmeansPlusPlus(distances: SeedDistances, Y: Float32Array, K: number, rng: Rng, signal?: AbortSignal): Promise<Float64Array> {
  const { m, d } = distances;
  const trials = 2 + Math.floor(Math.log(K));
  const row = (i: number) => Y.subarray(i * d, (i + 1) * d);
  const centres = new Float64Array(K * d);
  const first = rng.int(m);
  centres.set(row(first));
  let count = 1;
  const closest = await distances.to(row(first));
  while (count < K) {
    let total = 0;
    for (let i = 0; i < m; i++) total += closest[i];
    if (!(total > 0)) break;
    const candidates = Array.from({ length: trials }, () => sampleProportional(closest, total, rng));
    const P = new Float32Array(trials * d);
    candidates.forEach((c, t) => P.set(row(c), t * d));
    const dist = await distances.to(P);
    let best = 0;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let potential = 0;
      for (let i = 0; i < m; i++) potential += Math.min(closest[i], dist[i * trials + t]);
      if (potential < bestPotential) [best, bestPotential] = [t, potential];
    }
    for (let i = 0; i < m; i++) closest[i] = Math.min(closest[i], dist[i * trials + best]);
    centres.set(row(candidates[best]), count * d);
    count++;
    await checkpoint(signal);
  }
  return centres.slice(0, count * d);
}

/**
 * Lloyd steps until no row changes cluster (at most LLOYD_ITERS); updates `centres`, returns the
 * assignment, renumbered so that the clusters that kept rows are 0..Keff−1.
 */
async function lloyd(distances: SeedDistances, Y: Float32Array, centres: Float64Array, signal?: AbortSignal): Promise<Int32Array> {
  const { m, d } = distances;
  const K = centres.length / d;
  const assign = new Int32Array(m).fill(-1);
  const sums = new Float64Array(K * d);
  const counts = new Float64Array(K);
  for (let it = 0; it < LLOYD_ITERS; it++) {
    const dist = await distances.to(centres);
    let changed = 0;
    for (let i = 0; i < m; i++) {
      let bestK = 0;
      for (let k = 1; k < K; k++) if (dist[i * K + k] < dist[i * K + bestK]) bestK = k;
      if (assign[i] !== bestK) {
        assign[i] = bestK;
        changed++;
      }
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const k = assign[i];
      counts[k]++;
      for (let j = 0; j < d; j++) sums[k * d + j] += Y[i * d + j];
    }
    for (let k = 0; k < K; k++) if (counts[k] > 0) for (let j = 0; j < d; j++) centres[k * d + j] = sums[k * d + j] / counts[k];
    await checkpoint(signal);
  }
  const renumber = new Int32Array(K).fill(-1);
  let next = 0;
  return assign.map((k) => (renumber[k] < 0 ? (renumber[k] = next++) : renumber[k]));
}

/** An index drawn with probability proportional to w (w ≥ 0, Σw = total > 0). */
function sampleProportional(w: Float64Array, total: number, rng: Rng): number {
  const u = rng.random() * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] <= 0) continue;
    acc += w[i];
    last = i;
    if (acc > u) return i;
  }
  return last;
}

// ---------------------------------------------------------------------------------------------
// Rows

/** m distinct row indices drawn uniformly by the rng, in increasing order. */
function sampleIndices(n: number, m: number, rng: Rng): Int32Array {
  return rng.permutation(n).slice(0, m).sort();
}

/** The given rows (all when null) as a dense single-chunk matrix; no copy when X already is one. */
function gatherRows(X: Matrix, rows: Int32Array | null): Matrix {
  if (!rows) return X.chunks.length <= 1 ? X : denseMatrix(X.rows, X.cols, toDense(X));
  const d = X.cols;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, i) => data.set(matrixRow(X, r), i * d));
  return denseMatrix(rows.length, d, data);
}

/** The values of a matrix made by {@link gatherRows}. */
function toRows(X: Matrix): Float32Array {
  return X.chunks[0].data.subarray(0, X.rows * X.cols);
}

interface RowBlock {
  /** Index of the block's first row. */
  start: number;
  rows: number;
  /** rows × d values; may be a reused buffer, valid until the next block is requested. */
  data: Float32Array;
}

/**
 * Rows per block: BLOCK_ROWS for diagonal covariance; for full covariance (K·d² multiply-adds per
 * row) fewer, so that a block stays a fraction of a second and an abort is noticed promptly.
 */
function blockRows(covariance: 'diag' | 'full', d: number, K: number): number {
  if (covariance === 'diag') return BLOCK_ROWS;
  return Math.max(MIN_BLOCK_ROWS, Math.min(BLOCK_ROWS, Math.floor(FULL_BLOCK_MACS / (K * d * d))));
}

/**
 * The rows of X in order, in blocks of `size` rows (the last may be shorter): views into the chunks,
 * or a copy where a block spans chunks. Yields to the event loop before each block and throws an
 * AbortError there if the signal has fired.
 */
async function* rowBlocks(X: Matrix, size: number, signal?: AbortSignal): AsyncGenerator<RowBlock> {
  const d = X.cols;
  let buffer: Float32Array | undefined;
  let pending = 0;
  let pendingStart = 0;
  for (const c of X.chunks) {
    let r = 0;
    while (r < c.rows) {
      if (pending === 0 && c.rows - r >= size) {
        await checkpoint(signal);
        yield { start: c.start + r, rows: size, data: c.data.subarray(r * d, (r + size) * d) };
        r += size;
        continue;
      }
      buffer ??= new Float32Array(size * d);
      if (pending === 0) pendingStart = c.start + r;
      const take = Math.min(size - pending, c.rows - r);
      buffer.set(c.data.subarray(r * d, (r + take) * d), pending * d);
      pending += take;
      r += take;
      if (pending === size) {
        await checkpoint(signal);
        yield { start: pendingStart, rows: pending, data: buffer };
        pending = 0;
      }
    }
  }
  if (pending > 0) {
    await checkpoint(signal);
    yield { start: pendingStart, rows: pending, data: buffer!.subarray(0, pending * d) };
  }
}

/**
 * (x − c)ᵀ of each row block, built in JS for the M-step's matMuls (only non-transposed matMuls run
 * fast on wasm, and building the transpose is about half the cost of a diagonal pass). Blocks are
 * kept across the passes of one phase (same block size) while they fit in
 * {@link TRANSPOSE_CACHE_BYTES}; the rest are rebuilt each pass.
 */
class TransposedBlocks {
  private readonly cache = new Map<number, Float32Array>();
  private bytes = 0;
  private scratch: Float32Array | undefined;

  constructor(
    private readonly center: Float64Array,
    private readonly d: number,
    private readonly blockRows: number,
  ) {}

  /** The d×rows transpose of the centred block, valid until the next call. */
  get(b: RowBlock): Float32Array {
    const cached = this.cache.get(b.start);
    if (cached) return cached;
    const size = b.rows * this.d;
    const keep = this.bytes + 4 * size <= TRANSPOSE_CACHE_BYTES;
    const out = keep ? new Float32Array(size) : (this.scratch ??= new Float32Array(this.blockRows * this.d)).subarray(0, size);
    this.fill(b, out);
    if (keep) {
      this.cache.set(b.start, out);
      this.bytes += 4 * size;
    }
    return out;
  }

  /** Tiled so that reads and writes both stay in cache. */
  private fill(b: RowBlock, out: Float32Array): void {
    const { d, center } = this;
    const n = b.rows;
    const TILE = 16;
    for (let i0 = 0; i0 < n; i0 += TILE) {
      const i1 = Math.min(n, i0 + TILE);
      for (let j = 0; j < d; j++) {
        const c = center[j];
        const o = j * n;
        for (let i = i0; i < i1; i++) out[o + i] = b.data[i * d + j] - c;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function toParams(fit: EmResult, covariance: 'diag' | 'full', d: number, center: Float64Array, fitRows: number): GmmParams {
  const { model } = fit;
  const logDet = new Float64Array(model.K);
  for (let k = 0; k < model.K; k++) {
    for (let j = 0; j < d; j++) {
      logDet[k] += covariance === 'diag' ? Math.log(model.variances![k * d + j]) : -2 * Math.log(model.precisionChol![k * d * d + j * d + j]);
    }
  }
  return {
    K: model.K,
    d,
    covariance,
    center,
    logWeights: model.logWeights,
    means: model.means,
    ...(covariance === 'diag' ? { variances: model.variances } : { precisionChol: model.precisionChol }),
    logDet,
    iterations: fit.iterations,
    converged: fit.converged,
    meanLogLik: fit.meanLogLik,
    fitRows,
  };
}

/** Yields to the event loop (so an abort can be delivered), then throws an AbortError if it was. */
async function checkpoint(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) {
    const e = new Error('the density fit was aborted');
    e.name = 'AbortError';
    throw e;
  }
}

/** Wraps a progress callback so that it only ever sees increasing fractions. */
function monotone(report?: (fraction: number) => void): (fraction: number) => void {
  let last = -1;
  return (f) => {
    if (report && f > last) {
      last = f;
      report(f);
    }
  };
}

/** Maps [0, 1] onto [from, to] of a parent progress. */
function span(report: (fraction: number) => void, from: number, to: number): (fraction: number) => void {
  return (f) => report(from + (to - from) * f);
}
