/**
 * The default density model for h(x) = −log p̂(x) (docs/estimator.md, "EM Gaussian mixtures"): a Gaussian mixture with diagonal, full
 * or tied covariance fitted by closed-form EM, then scored row by row. This file holds the fit and
 * the scoring; the pieces are beside it: ./em-loop.ts (the EM loop and progress), ./diag.ts,
 * ./full.ts and ./tied.ts (E-step, M-step and scoring kernels per covariance type), ./init.ts
 * (centre, variance floor, k-means++ and Lloyd), ./rows.ts (subsamples, row blocks, transposed
 * blocks), ./linalg.ts (float64 Cholesky). ./search.ts chooses K and the covariance type.
 *
 * Design (timings per stage and case: BENCHMARKS.md; backend choice: src/engine/compute/backend.ts):
 * - Everything runs in centred coordinates: the mean of (up to {@link SEED_ROWS} seeded) fitted rows,
 *   rounded to float32, is subtracted first (translation does not change h, and it keeps float32
 *   accurate; any centre near the data's mean does).
 * - The heavy work is float32 tfjs on the wasm backend, written as 2-D non-transposed matMuls (the
 *   only form XNNPACK runs). Rows are uploaded in blocks of at most {@link BLOCK_ROWS} (fewer for
 *   full and tied covariance when scoring: {@link blockRows}), so memory is O(block·K·d) whatever N
 *   is, and an abort is noticed between blocks. Per-component statistics, the M-step and Cholesky
 *   are float64 JS. During a fit, up to {@link TRANSPOSE_CACHE_BYTES} of transposed row blocks are
 *   also kept.
 * - Initialisation: greedy k-means++ seeding and a few Lloyd steps on the same seeded rows, then one
 *   pooled within-cluster variance for every component; or, when `init` is given (the density
 *   search's winner, refitted on the usual rows), those parameters.
 * - Variance floor: `em.varFloor` times each dimension's variance over those rows (a dimension
 *   that is constant, or nearly so, uses 1e-6 of the average variance instead; data with no spread at
 *   all uses 1). It is added to every component's variances (diagonal) or to the diagonal of every
 *   covariance (full, tied), so no component can collapse to zero width.
 * - A component whose expected row count falls below {@link MIN_COMPONENT_ROWS} is dropped (K shrinks,
 *   the weights are renormalised, and the convergence test restarts from the new model); k-means++
 *   also stops early when the data has fewer distinct points than K. The returned `K` is the number
 *   of components kept.
 * - Convergence: stop when the mean log-likelihood per row improves by less than `em.tol` nats (or
 *   gets worse), or after `em.maxIter` M-steps. The parameters returned are those whose
 *   log-likelihood was measured last, so `meanLogLik` belongs to them.
 * - Diagonal and tied fits use at most `em.diagFitSubsample` rows, full covariance at most
 *   `em.fitSubsample` (seeded subsamples; every row is scored). Full covariance runs first a
 *   diagonal EM on those rows, then full-covariance EM from there (unless it starts from `init`).
 *   Tied covariance starts from the k-means pooled variance (a tied diagonal covariance) and, when
 *   it was fitted on a subsample, EM then continues on every row until it converges
 *   ({@link refineOnAllRows}: its d(d + 1)/2 covariance parameters need every row).
 * - Cost per EM pass: diagonal O(N·K·d); tied O(N·K·d) plus d³/2 for its M-step, and N·d² once per
 *   fit (the total scatter: see ./tied.ts); full O(N·K·d²). Scoring: diagonal O(N·K·d), tied
 *   O(N·d² + N·K·d), full O(N·K·d²).
 * - Deterministic given the Rng: it drives the subsamples and the seeding, and tfjs on wasm is
 *   single-threaded.
 */
import { initBackend, tf } from '../../compute/backend';
import type { Matrix } from '../../io/matrix';
import type { DensityReport } from '../../io/results';
import type { Rng } from '../../random';
import type { Covariance, EmSettings } from '../settings';
import { diagKernels, diagStep } from './diag';
import { type EmResult, type FitContext, monotone, runEm, span } from './em-loop';
import { diagToFull, fullOrSharedKernels, fullStep, sharesFactor, shrunkMixture, type FullMoments } from './full';
import { columnMoments, kmeansInit, SEED_ROWS, varianceFloor } from './init';
import { LOG_2PI, type Mixture, MIN_COMPONENT_ROWS } from './mixture';
import { BLOCK_ROWS, blockRows, checkpoint, gatherRows, rowBlocks, sampleIndices, TRANSPOSE_CACHE_BYTES, TransposedBlocks } from './rows';
import { diagToTied, tiedKernels, tiedStep, totalScatter } from './tied';

export interface GmmParams {
  /** Components kept (≤ the K asked for: see the module comment). */
  K: number;
  d: number;
  covariance: Covariance;
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
   * Tied covariance: one such factor W (d·d values), shared by every component.
   */
  precisionChol?: Float64Array;
  /** log|Σ_k|, length K, for reporting (gmmLogPdf derives it from `variances` / `precisionChol`). */
  logDet: Float64Array;
  /** EM iterations (M-steps) run; for full covariance, those of the full phase. */
  iterations: number;
  /** Full covariance fitted from the tied start (`em.fullFit` 'shrunk'): the shrinkage chosen and how. */
  shrinkage?: ShrinkageReport;
  converged: boolean;
  /** Mean log p̂(x) per row over the fitted rows, in nats. */
  meanLogLik: number;
  /** Rows the mixture was fitted on (all rows, or the seeded subsample). */
  fitRows: number;
}

/** How the covariances of a shrunk full fit were chosen (see {@link fitShrunkFull}); the results file's type. */
export type ShrinkageReport = NonNullable<DensityReport['shrinkage']>;

export interface FitGmmOptions {
  /** Components asked for (ignored when `init` is given: its K is used). */
  K: number;
  covariance: Covariance;
  /**
   * Start EM from these parameters (same covariance type and d; fitted on other rows, e.g. by the
   * density search) instead of k-means++: no seeding, and full covariance skips its diagonal phase.
   */
  init?: GmmParams;
  /**
   * X already prepared by {@link prepareFitRows} (its subsample, centre, floor, seed rows and
   * transposed blocks), e.g. shared by the density search's candidates: no subsampling then.
   */
  rows?: FitRows;
  /**
   * With `rows`: fits given the same key (and K) share one k-means initialisation, memoised in
   * `rows.starts`; the first such fit runs it with its Rng, so give them all the same seed.
   */
  startKey?: string;
  em: EmSettings;
  /**
   * Full covariance without `init` or `rows`: 'em' (the default) EM from a diagonal start; 'shrunk'
   * the tied start with shrunk covariances ({@link fitShrunkFull}). `em.fullFit` 'auto' is resolved
   * by the caller (./index.ts: by the predicted cost of 'em').
   */
  fullFit?: 'em' | 'shrunk';
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


/** Fits a Gaussian mixture to the rows of X by EM (see the module comment for the choices made). */
export async function fitGmm(X: Matrix, opts: FitGmmOptions): Promise<GmmParams> {
  const { K, covariance, em, rng, signal, init } = opts;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`K must be a positive integer, got ${K}`);
  if (X.rows < 1 || X.cols < 1) throw new RangeError(`cannot fit a mixture to a ${X.rows}×${X.cols} matrix`);
  if (!(em.varFloor > 0)) throw new RangeError(`em.varFloor must be positive, got ${em.varFloor}`);
  if (!(em.fitSubsample >= 1)) throw new RangeError(`em.fitSubsample must be at least 1, got ${em.fitSubsample}`);
  if (!(em.diagFitSubsample >= 1)) throw new RangeError(`em.diagFitSubsample must be at least 1, got ${em.diagFitSubsample}`);
  if (!(em.maxIter >= 0)) throw new RangeError(`em.maxIter must be non-negative, got ${em.maxIter}`);
  if (init && (init.covariance !== covariance || init.d !== X.cols)) throw new RangeError(`init is a ${init.covariance} mixture with d = ${init.d}, not ${covariance} with d = ${X.cols}`);
  await initBackend();
  const report = monotone(opts.onProgress);
  await checkpoint(signal);
  const d = X.cols;
  if (covariance === 'full' && opts.fullFit === 'shrunk' && !init && !opts.rows && X.rows >= SHRINK_MIN_ROWS) return fitShrunkFull(X, K, em, rng, signal, report);
  const limit = Math.floor(covariance === 'full' ? em.fitSubsample : em.diagFitSubsample);
  const prepared = opts.rows ?? prepareFitRows(X, limit, SEED_ROWS, em.varFloor, rng);
  const { X: fitX, center, floor, seed } = prepared;
  const context = (rows: number): FitContext => ({ X: fitX, center, floor, rows, transposed: rows === BLOCK_ROWS ? prepared.transposed : new TransposedBlocks(center, d, rows), signal });
  const start = init ? recentre(init, center) : await seeded(prepared, K, rng, opts.rows && opts.startKey, signal);
  report(0.02);

  let fit: EmResult;
  if (covariance === 'diag') {
    fit = await runEm(diagStep(context(BLOCK_ROWS)), start, em, span(report, 0.02, 1));
  } else if (covariance === 'tied') {
    const ctx = context(BLOCK_ROWS);
    const S = await totalScatter(ctx);
    report(0.05);
    // a subsampled fit (not a search candidate, whose rows are given) continues on every row
    const refine = !opts.rows && fitX.rows < X.rows;
    fit = await runEm(tiedStep(ctx, S), init ? start : diagToTied(start, d), em, span(report, 0.05, refine ? 0.5 : 1));
    if (refine) {
      // the subsample's transposed blocks are not needed again: peak memory
      prepared.transposed.clear();
      const sub = fit;
      fit = await refineOnAllRows(X, sub, center, floor, em, signal, span(report, 0.5, 1));
      report(1);
      return toParams({ ...fit, iterations: sub.iterations + fit.iterations }, covariance, d, center, X.rows);
    }
  } else {
    let full = start;
    if (!init) {
      const diag = await runEm(diagStep(context(BLOCK_ROWS)), start, em, span(report, 0.02, 0.1));
      full = diagToFull(diag.model, d);
    }
    // the diagonal phase's transposed blocks are not needed again (unless the search's other
    // candidates share them), and the full phase rebuilds its own in one scratch buffer each pass
    // (a copy of the rows is small beside its K·d² work per row): peak memory, not time
    if (!opts.rows) prepared.transposed.clear();
    const rows = blockRows('full', d, full.K);
    fit = await runEm(fullStep({ ...context(rows), transposed: new TransposedBlocks(center, d, rows, 0) }), full, em, span(report, 0.1, 1));
  }
  report(1);
  return toParams(fit, covariance, d, center, fitX.rows);
}

/**
 * Tied covariance: EM continued on every row of X from the fit on the subsample. The shared covariance
 * has d(d + 1)/2 parameters (131 328 at d = 512): estimated from a 30 000-row subsample, it scores
 * the rows it was fitted on markedly higher than the others (by about d²/(2n) nats on average), and
 * the two modalities' subsamples differ, so h1 − h2, and r with it, carried that split as noise
 * (measured in docs/estimator.md: per-sample Pearson 0.966 → 0.987 at N = 1e5, d = 512). A pass over
 * every row costs O(N·K·d) like a diagonal pass, plus one O(N·d²) total scatter; the row blocks are
 * views of X and their transposes are rebuilt in one scratch buffer, so no copy of X is made.
 */
async function refineOnAllRows(X: Matrix, sub: EmResult, center: Float64Array, floor: Float64Array, em: EmSettings, signal: AbortSignal | undefined, report: (f: number) => void): Promise<EmResult> {
  const d = X.cols;
  const ctx: FitContext = { X, center, floor, rows: BLOCK_ROWS, transposed: new TransposedBlocks(center, d, BLOCK_ROWS, 0), signal };
  const S = await totalScatter(ctx);
  report(0.2);
  return runEm(tiedStep(ctx, S), sub.model, em, span(report, 0.2, 1));
}

/** Fewer rows than this: the shrunk full fit has too few to hold out, and plain EM is used. */
export const SHRINK_MIN_ROWS = 20;
/** The shrunk full fit holds out a tenth of its rows to choose λ, at most this many. */
export const SHRINK_VAL_ROWS = 2000;
/**
 * M-steps on every row when λ = 1 (tied covariance continued on every row). The first re-estimates
 * the covariance from every row, which removes the subsample's overfit (what per-sample fidelity
 * needs); later ones only move the means and weights a little. Measured on full-1e5-d512
 * (BENCHMARKS.md): converged (26 passes, 15 s per modality) per-sample Pearson 0.9865; 1 pass
 * 0.9861; 3 passes 0.9864 and 43 s end to end instead of 59 s.
 */
export const SHRINK_REFINE_PASSES = 3;
/** λ tried from the pooled covariance down, stopping at the first that scores the held-out rows no better. */
export const SHRINK_GRID: readonly number[] = [1, 0.9, 0.75, 0.5, 0.25, 0.1, 0];

/**
 * Full covariance that scales (`em.fullFit` 'shrunk'; docs/estimator.md, "Full covariance"): plain
 * EM from a diagonal start costs O(n·K·d²) per pass for tens of passes, and K separate d×d
 * covariances on n/K rows each overfit when d is large (measured at N = 1e5, d = 512, K = 10:
 * 255 s, per-sample Pearson 0.84 against the oracle). Instead:
 *
 * 1. a tenth of the fit rows (at most {@link SHRINK_VAL_ROWS}) are held out, the rest fitted: at most
 *    `em.fitSubsample` of them, seeded;
 * 2. tied covariance is fitted by EM on the fit rows (O(n·K·d) per pass: ./tied.ts);
 * 3. one full E-step from it gives each component's covariance C_k (one O(n·K·d²) pass), and the
 *    covariances are shrunk toward the pooled one, Σ_k(λ) = (1 − λ)·C_k + λ·P (./full.ts), with λ
 *    from {@link SHRINK_GRID} chosen by the held-out rows' log-likelihood, from λ = 1 down while it
 *    improves (the held-out likelihood rises as λ falls while the components' own shapes are real,
 *    then falls as they fit noise);
 * 4. λ = 1 is tied covariance: EM continues as tied covariance on every row, as a tied fit does
 *    (refineOnAllRows), for at most {@link SHRINK_REFINE_PASSES} M-steps; λ < 1: full EM with that
 *    λ continues on the fit rows to convergence.
 */
async function fitShrunkFull(X: Matrix, K: number, em: EmSettings, rng: Rng, signal: AbortSignal | undefined, report: (f: number) => void): Promise<GmmParams> {
  const N = X.rows;
  const d = X.cols;
  const fitN = Math.min(N, em.fitSubsample);
  const valN = Math.min(SHRINK_VAL_ROWS, Math.max(1, Math.round(fitN / 10)));
  // held-out rows come from outside the fit rows' subsample when there are enough rows
  const order = rng.permutation(N).subarray(0, Math.min(N, fitN + valN));
  const trainN = order.length - valN;
  const trainX = gatherRows(X, order.slice(0, trainN).sort());
  const valX = gatherRows(X, order.slice(trainN).sort());
  const prepared = prepareFitRows(trainX, trainN, SEED_ROWS, em.varFloor, rng);
  const { center, floor } = prepared;
  const ctx: FitContext = { X: trainX, center, floor, rows: BLOCK_ROWS, transposed: prepared.transposed, signal };
  const start = await kmeansInit(prepared.seed, center, floor, K, rng, signal);
  report(0.02);
  const S = await totalScatter(ctx);
  const tied = await runEm(tiedStep(ctx, S), diagToTied(start, d), em, span(report, 0.02, 0.3));
  prepared.transposed.clear();

  // one full E-step from the tied fit: each component's covariance
  const rows = blockRows('full', d, tied.model.K);
  const fullCtx: FitContext = { ...ctx, rows, transposed: new TransposedBlocks(center, d, rows, 0) };
  let moments: FullMoments | undefined;
  const step = await fullStep(fullCtx, async (m) => {
    moments = m;
    return tied.model;
  })(tied.model, true, span(report, 0.3, 0.5));
  await step.next!();

  const tried: ShrinkageReport['tried'] = [];
  let best: { lambda: number; model: Mixture; heldOut: number } | undefined;
  for (const lambda of SHRINK_GRID) {
    const model = await shrunkMixture(moments!, lambda, floor, signal);
    const logp = await gmmLogPdf(toParams({ model, meanLogLik: NaN, iterations: 0, converged: false }, 'full', d, center, trainN), valX, { signal });
    let sum = 0;
    for (const v of logp) sum += v;
    const heldOut = sum / logp.length;
    tried.push({ lambda, heldOutLogLik: heldOut });
    if (best && !(heldOut > best.heldOut)) break;
    best = { lambda, model, heldOut };
  }
  moments = undefined;
  report(0.6);
  const shrinkage: ShrinkageReport = { lambda: best!.lambda, valRows: valN, tried };
  if (best!.lambda === 1) {
    const fit = await refineOnAllRows(X, { ...tied, model: best!.model }, center, floor, { ...em, maxIter: Math.min(em.maxIter, SHRINK_REFINE_PASSES) }, signal, span(report, 0.6, 1));
    report(1);
    // `converged` is the tied fit's: the continuation on every row stops after a fixed number of
    // M-steps by design, not by the convergence test
    return { ...toParams({ ...fit, iterations: tied.iterations + 1 + fit.iterations, converged: tied.converged }, 'full', d, center, N), shrinkage };
  }
  const lambda = best!.lambda;
  const fit = await runEm(
    fullStep(fullCtx, (m) => shrunkMixture(m, lambda, floor, signal)),
    best!.model,
    em,
    span(report, 0.6, 1),
  );
  report(1);
  return { ...toParams({ ...fit, iterations: tied.iterations + 1 + fit.iterations }, 'full', d, center, trainN), shrinkage };
}

/** Rows prepared for EM fits (see {@link prepareFitRows}). */
export interface FitRows {
  /** The rows fitted. */
  X: Matrix;
  /** Their centre (float32-representable) and per-dimension variance floor, from the seed rows. */
  center: Float64Array;
  floor: Float64Array;
  /** The rows k-means++ and Lloyd run on. */
  seed: Matrix;
  /** Transposed blocks of {@link BLOCK_ROWS} rows, kept across the fits that share these rows. */
  transposed: TransposedBlocks;
  /** k-means initialisations shared by fits on these rows (see FitGmmOptions.startKey). */
  starts: Map<string, Promise<Mixture>>;
}

/**
 * A seeded subsample of at most `limit` rows of X, and of those at most `seedRows` seed rows, from
 * which the centre and the variance floor (`varFloor` × each dimension's variance) are taken.
 */
export function prepareFitRows(X: Matrix, limit: number, seedRows: number, varFloor: number, rng: Rng): FitRows {
  const fitX = X.rows > limit ? gatherRows(X, sampleIndices(X.rows, limit, rng)) : X;
  const seed = gatherRows(fitX, fitX.rows > seedRows ? sampleIndices(fitX.rows, seedRows, rng) : null);
  const { center, variance } = columnMoments(seed);
  return { X: fitX, center, floor: varianceFloor(variance, varFloor), seed, transposed: new TransposedBlocks(center, fitX.cols, BLOCK_ROWS), starts: new Map() };
}

/**
 * log p̂(x) per row of X under the mixture, in nats, the −(d/2)·log 2π and log-determinant terms
 * included. Each component's Mahalanobis term is computed from the residual itself (diagonal:
 * Σ_j (x_j − c_j − μ_kj)²/σ²_kj; full: ‖(x − c − μ_k)·W_k‖²; tied: ‖(x − c)·W − μ_k·W‖², the row
 * whitened once), never from an expansion that cancels, so the result stays accurate for rows far
 * from a component relative to its width.
 */
export async function gmmLogPdf(p: GmmParams, X: Matrix, opts: GmmScoreOptions = {}): Promise<Float64Array> {
  if (X.cols !== p.d) throw new RangeError(`the mixture has d = ${p.d} but the matrix has ${X.cols} columns`);
  if (!(p.covariance === 'diag' ? p.variances : p.precisionChol)) throw new Error(`a ${p.covariance}-covariance mixture needs ${p.covariance === 'diag' ? 'variances' : 'precisionChol'}`);
  await initBackend();
  const out = new Float64Array(X.rows);
  const logC = -0.5 * p.d * LOG_2PI;
  const kernels = p.covariance === 'diag' ? diagKernels(p, p.d, p.center) : p.covariance === 'tied' ? tiedKernels(p, p.d, p.center) : fullOrSharedKernels(p, p.d, p.center);
  const shared = p.covariance === 'full' && sharesFactor(p, p.d);
  try {
    for await (const b of rowBlocks(X, blockRows(shared ? 'tied' : p.covariance, p.d, p.K), opts.signal)) {
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

/** k-means++ and Lloyd on the seed rows; memoised in `rows.starts` under `key` when one is given. */
async function seeded(rows: FitRows, K: number, rng: Rng, key: string | undefined, signal?: AbortSignal): Promise<Mixture> {
  if (key === undefined) return kmeansInit(rows.seed, rows.center, rows.floor, K, rng, signal);
  const memo = `${key} K=${K}`;
  let start = rows.starts.get(memo);
  if (!start) {
    start = kmeansInit(rows.seed, rows.center, rows.floor, K, rng, signal);
    rows.starts.set(memo, start);
    start.catch(() => rows.starts.delete(memo));
  }
  return start;
}

/** The parameters of a fitted mixture as a starting point in coordinates centred at `center`. */
function recentre(p: GmmParams, center: Float64Array): Mixture {
  const { K, d } = p;
  const means = new Float64Array(K * d);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) means[k * d + j] = p.means[k * d + j] + p.center[j] - center[j];
  // a full mixture sharing one factor (shrinkage λ = 1) starts full EM with that factor per component
  const chol = p.covariance === 'full' && K > 1 && sharesFactor(p, d) ? repeat(p.precisionChol!, K) : p.precisionChol?.slice();
  return { K, logWeights: p.logWeights.slice(), means, variances: p.variances?.slice(), precisionChol: chol };
}

function repeat(a: Float64Array, times: number): Float64Array {
  const out = new Float64Array(a.length * times);
  for (let t = 0; t < times; t++) out.set(a, t * a.length);
  return out;
}

function toParams(fit: EmResult, covariance: Covariance, d: number, center: Float64Array, fitRows: number): GmmParams {
  const { model } = fit;
  const logDet = new Float64Array(model.K);
  for (let k = 0; k < model.K; k++) {
    const factor = covariance === 'full' && !sharesFactor(model, d) ? k * d * d : 0;
    for (let j = 0; j < d; j++) {
      logDet[k] += covariance === 'diag' ? Math.log(model.variances![k * d + j]) : -2 * Math.log(model.precisionChol![factor + j * d + j]);
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
