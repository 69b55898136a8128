/**
 * KNIFE parity mode (docs/estimator.md, "KNIFE parity mode"): the official LSMI `MargKernel`, a K-component Gaussian mixture with
 * learnable means, per-kernel scales, optional strictly-lower-triangular shear and softmax weights,
 * fitted by Adam on the mean negative log-likelihood.
 *
 *   w      = log_softmax(weigh)
 *   t      = tanh(logvar)  (or logvar when useTanh is false);   s = exp(t)   ("var" in the official code)
 *   u_k    = (x − μ_k) ⊙ s_k;    z_k = u_k + L_k u_k,  L_k = tril(tri_k, −1)  (full only)
 *   ll_k   = −½‖z_k‖² + Σ_j log(s_kj + 1e−8) + w_k
 *   log p̂(x) = −(d/2) log 2π + logsumexp_k ll_k
 *
 * Parity with the official code:
 * - Initialisation: means, logvar and tri all ~ N(0, 1) (drawn in that order, tri in full, including
 *   the ignored entries on and above the diagonal), weigh = 1. The means are not taken from the data.
 * - The data is NOT centred before fitting: the official code fits raw features, and centring would
 *   change the result because the initial means do not depend on the data. (Scoring shifts x and the
 *   means by the same vector for float32 accuracy, which leaves every value unchanged; see
 *   {@link knifeLogPdf}.)
 * - Adam (β = 0.9/0.999, ε = 1e−8, bias correction) with StepLR once per epoch, batches in a given or
 *   seeded-shuffled row order, the last batch possibly smaller (DataLoader, drop_last=False).
 * - The official code never calls `optimizer.zero_grad()`, so gradients accumulate over the whole
 *   run; `settings.zeroGrad = false` reproduces that, `true` (the default) fixes it.
 * - The official script trains two kernels (one per modality) on NLL1 + NLL2 with one optimiser.
 *   Each kernel's gradient comes from its own NLL only and Adam is elementwise, so that equals fitting
 *   each modality separately with the same batch order and schedule (pass the same `batchOrder`).
 * - The official kernel always has `tri` (full); `full = false` gives the diagonal model (tri = null).
 *
 * Training runs in float64 JavaScript with analytic gradients (at the official batch size of 32 the
 * per-op overhead of tfjs would dominate); scoring runs on tfjs as 2-D non-transposed GEMMs.
 */
import { initBackend, tf } from '../../compute/backend';
import { forEachBlock, matrixRow, type Matrix } from '../../io/matrix';
import type { Rng } from '../../random';
import type { KnifeSettings } from '../settings';
import { NumericalError } from '../numerical';

/** The official code adds this inside the log-determinant: Σ_j log(|s_kj| + 1e−8). */
const SCALE_EPS = 1e-8;
const LOG_2PI = Math.log(2 * Math.PI);

/** Mixture parameters, laid out like the official tensors (row-major, leading 1-dims dropped). */
export interface KnifeParams {
  K: number;
  d: number;
  /** [K, d] */
  means: Float32Array;
  /** [K, d]; the scale is exp(tanh(logvar)) (or exp(logvar) without tanh). */
  logvar: Float32Array;
  /** [K, d, d], row i, column j at k·d² + i·d + j; only j < i is used. null: diagonal model. */
  tri: Float32Array | null;
  /** [K]; mixture weights are softmax(weigh). */
  weigh: Float32Array;
}

/** Gradients with the layout of {@link KnifeParams} (float64, like torch's `.grad` but wider). */
export interface KnifeGrads {
  means: Float64Array;
  logvar: Float64Array;
  tri: Float64Array | null;
  weigh: Float64Array;
}

/** The official initialisation: means, logvar, tri ~ N(0, 1) in that order; weigh = 1. */
export function initKnifeParams(K: number, d: number, rng: Rng, full: boolean): KnifeParams {
  if (!(Number.isInteger(K) && K >= 1 && Number.isInteger(d) && d >= 1)) throw new Error(`KNIFE needs K ≥ 1 and d ≥ 1 (got K=${K}, d=${d})`);
  const normals = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal();
    return a;
  };
  const means = normals(K * d);
  const logvar = normals(K * d);
  const tri = full ? normals(K * d * d) : null;
  return { K, d, means, logvar, tri, weigh: new Float32Array(K).fill(1) };
}

/** Zeroed gradient buffers for `p`. */
export function newKnifeGrads(p: KnifeParams): KnifeGrads {
  return {
    means: new Float64Array(p.K * p.d),
    logvar: new Float64Array(p.K * p.d),
    tri: p.tri ? new Float64Array(p.K * p.d * p.d) : null,
    weigh: new Float64Array(p.K),
  };
}

/** The parameter (or gradient) arrays in the official order: means, logvar, tri, weigh. */
export function knifeArrays<T>(x: { means: T; logvar: T; tri: T | null; weigh: T }): T[] {
  return x.tri ? [x.means, x.logvar, x.tri, x.weigh] : [x.means, x.logvar, x.weigh];
}

/** Per-kernel quantities derived from the parameters, in float64. */
interface KernelScales {
  /** s = exp(t), [K, d] */
  s: Float64Array;
  /** ∂t/∂logvar: 1 − tanh² (or 1), [K, d] */
  dt: Float64Array;
  /** s / (s + 1e−8), [K, d] */
  sFrac: Float64Array;
  /** Σ_j log(s_kj + 1e−8) + log_softmax(weigh)_k, [K] */
  base: Float64Array;
  /** softmax(weigh), [K] */
  pi: Float64Array;
}

function kernelScales(p: KnifeParams, useTanh: boolean): KernelScales {
  const { K, d } = p;
  const s = new Float64Array(K * d);
  const dt = new Float64Array(K * d);
  const sFrac = new Float64Array(K * d);
  const base = new Float64Array(K);
  const pi = new Float64Array(K);
  let wMax = -Infinity;
  for (let k = 0; k < K; k++) wMax = Math.max(wMax, p.weigh[k]);
  let wSum = 0;
  for (let k = 0; k < K; k++) wSum += Math.exp(p.weigh[k] - wMax);
  const logNorm = wMax + Math.log(wSum);
  for (let k = 0; k < K; k++) {
    let logdet = 0;
    for (let j = 0; j < d; j++) {
      const lv = p.logvar[k * d + j];
      const t = useTanh ? Math.tanh(lv) : lv;
      const sv = Math.exp(t);
      s[k * d + j] = sv;
      dt[k * d + j] = useTanh ? 1 - t * t : 1;
      sFrac[k * d + j] = sv / (sv + SCALE_EPS);
      logdet += Math.log(sv + SCALE_EPS);
    }
    base[k] = logdet + p.weigh[k] - logNorm;
    pi[k] = Math.exp(p.weigh[k] - logNorm);
  }
  return { s, dt, sFrac, base, pi };
}

/**
 * Mean negative log-likelihood of the first `rows` rows of `batch` (row-major, rows × d) and its
 * analytic gradient, in float64. The gradient is ADDED to `grads` when given (torch's `.backward()`
 * semantics: the caller zeroes it, or not), else written to fresh buffers.
 */
export function knifeLossAndGrads(
  p: KnifeParams,
  batch: Float32Array,
  rows: number,
  useTanh: boolean,
  grads: KnifeGrads = newKnifeGrads(p),
): { loss: number; grads: KnifeGrads } {
  const { K, d } = p;
  if (!(rows >= 1 && batch.length >= rows * d)) throw new Error(`a KNIFE batch needs ≥ 1 row of ${d} values (got ${batch.length} values for ${rows} rows)`);
  if ((grads.tri === null) !== (p.tri === null)) throw new Error('KNIFE gradient buffers do not match the model (full vs diagonal)');
  const sc = kernelScales(p, useTanh);
  const n = rows * K * d;
  const work = workspace(2 * n + rows * K + 2 * d);
  const U = work.subarray(0, n);
  const Z = p.tri ? work.subarray(n, 2 * n) : U;
  const ll = work.subarray(2 * n, 2 * n + rows * K);
  const scratch = work.subarray(2 * n + rows * K);
  // Kernel-major, so each kernel's triangle stays in cache.
  for (let k = 0; k < K; k++) forwardKernel(k, p, sc.s, sc.base[k], batch, rows, U, Z, ll);
  // log-sum-exp per row; ll becomes the responsibilities divided by the batch size.
  let sumLogP = 0;
  for (let b = 0; b < rows; b++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, ll[b * K + k]);
    let se = 0;
    for (let k = 0; k < K; k++) se += Math.exp(ll[b * K + k] - m);
    const lse = m + Math.log(se);
    sumLogP += lse;
    for (let k = 0; k < K; k++) ll[b * K + k] = Math.exp(ll[b * K + k] - lse) / rows;
  }
  for (let k = 0; k < K; k++) {
    const rSum = backwardKernel(k, p, sc, ll, rows, U, Z, grads, scratch);
    grads.weigh[k] -= rSum - sc.pi[k];
  }
  return { loss: 0.5 * d * LOG_2PI - sumLogP / rows, grads };
}

let work = new Float64Array(0);

/** A reused float64 buffer of at least n values for the per-step activations. */
function workspace(n: number): Float64Array {
  if (work.length < n) work = new Float64Array(Math.max(n, 2 * work.length));
  return work;
}

/**
 * Forward pass of kernel k over the batch: U[b,k] = u_k, Z[b,k] = z_k (Z may alias U when diagonal)
 * and ll[b,k] = base_k − ½‖z_k‖².
 */
function forwardKernel(
  k: number,
  p: KnifeParams,
  s: Float64Array,
  base: number,
  batch: Float32Array,
  rows: number,
  U: Float64Array,
  Z: Float64Array,
  ll: Float64Array,
): void {
  const { K, d, means, tri } = p;
  const ko = k * d;
  const to = ko * d;
  for (let b = 0; b < rows; b++) {
    const xo = b * d;
    const uo = (b * K + k) * d;
    let q = 0;
    for (let j = 0; j < d; j++) U[uo + j] = (batch[xo + j] - means[ko + j]) * s[ko + j];
    if (tri !== null) {
      for (let i = 0; i < d; i++) {
        const ro = to + i * d;
        // four accumulators break the dependency chain of the dot product
        let a0 = U[uo + i];
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let j = 0;
        for (; j + 3 < i; j += 4) {
          a0 += tri[ro + j] * U[uo + j];
          a1 += tri[ro + j + 1] * U[uo + j + 1];
          a2 += tri[ro + j + 2] * U[uo + j + 2];
          a3 += tri[ro + j + 3] * U[uo + j + 3];
        }
        for (; j < i; j++) a0 += tri[ro + j] * U[uo + j];
        const zi = a0 + a1 + (a2 + a3);
        Z[uo + i] = zi;
        q += zi * zi;
      }
    } else {
      for (let j = 0; j < d; j++) q += U[uo + j] * U[uo + j];
    }
    ll[b * K + k] = base - 0.5 * q;
  }
}

/**
 * Backward pass of kernel k, given resp[b,k] = r_bk / B. With rb = resp[b,k]:
 * ∂L/∂z_k = rb z_k, ∂L/∂u_k = (I + L_k)ᵀ ∂L/∂z_k, ∂L/∂L_k = ∂L/∂z_k u_kᵀ (strictly lower),
 * ∂L/∂μ_k = −s_k ⊙ ∂L/∂u_k, ∂L/∂s_k = ∂L/∂u_k ⊙ u_k / s_k − rb / (s_k + 1e−8),
 * ∂L/∂logvar = s ⊙ ∂L/∂s ⊙ ∂t/∂logvar. Adds into grads; returns Σ_b rb (for ∂L/∂weigh).
 */
function backwardKernel(
  k: number,
  p: KnifeParams,
  sc: KernelScales,
  resp: Float64Array,
  rows: number,
  U: Float64Array,
  Z: Float64Array,
  grads: KnifeGrads,
  scratch: Float64Array,
): number {
  const { K, d, tri } = p;
  const { s, dt, sFrac } = sc;
  const gMeans = grads.means;
  const gLogvar = grads.logvar;
  const gT = grads.tri;
  const ko = k * d;
  const to = ko * d;
  let rSum = 0;
  for (let b = 0; b < rows; b++) {
    const rb = resp[b * K + k];
    rSum += rb;
    const uo = (b * K + k) * d;
    // scratch[0, d) = ∂L/∂u, scratch[d, 2d) = ∂L/∂z
    for (let i = 0; i < d; i++) {
      const g = rb * Z[uo + i];
      scratch[i] = g;
      scratch[d + i] = g;
    }
    if (tri !== null && gT !== null) {
      for (let i = 1; i < d; i++) {
        const gzi = scratch[d + i];
        const ro = to + i * d;
        for (let j = 0; j < i; j++) {
          scratch[j] += tri[ro + j] * gzi;
          gT[ro + j] += gzi * U[uo + j];
        }
      }
    }
    for (let j = 0; j < d; j++) {
      const gu = scratch[j];
      gMeans[ko + j] -= s[ko + j] * gu;
      gLogvar[ko + j] += (gu * U[uo + j] - rb * sFrac[ko + j]) * dt[ko + j];
    }
  }
  return rSum;
}

/** Adam exactly as torch.optim.Adam (no weight decay, no amsgrad), state in float64. */
export class Adam {
  /** Current learning rate (StepLR changes it). */
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(
    private readonly params: Float32Array[],
    opts: { lr: number; beta1?: number; beta2?: number; eps?: number },
  ) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.m = params.map((a) => new Float64Array(a.length));
    this.v = params.map((a) => new Float64Array(a.length));
  }

  /** One update with `grads[i]` the gradient of `params[i]`. */
  step(grads: readonly ArrayLike<number>[]): void {
    if (grads.length !== this.params.length) throw new Error(`Adam got ${grads.length} gradients for ${this.params.length} parameters`);
    this.t++;
    const { beta1, beta2, eps } = this;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const stepSize = this.lr / bc1;
    for (let a = 0; a < this.params.length; a++) {
      const P = this.params[a];
      const G = grads[a];
      const M = this.m[a];
      const V = this.v[a];
      for (let i = 0; i < P.length; i++) {
        const g = G[i];
        M[i] = M[i] * beta1 + g * (1 - beta1);
        V[i] = V[i] * beta2 + (1 - beta2) * g * g;
        P[i] -= (stepSize * M[i]) / (Math.sqrt(V[i]) / bc2Sqrt + eps);
      }
    }
  }
}

/** torch.optim.lr_scheduler.StepLR: `step()` once per epoch multiplies lr by gamma every stepSize epochs. */
export class StepLR {
  private epoch = 0;

  constructor(
    private readonly optimizer: { lr: number },
    private readonly stepSize: number,
    private readonly gamma: number,
  ) {}

  step(): void {
    this.epoch++;
    if (this.epoch % this.stepSize === 0) this.optimizer.lr *= this.gamma;
  }
}

/**
 * One official training step on a batch: (zero the gradients if `zeroGrad`), accumulate the batch's
 * gradient, Adam step. Returns the batch loss before the step.
 */
export function knifeTrainStep(
  p: KnifeParams,
  grads: KnifeGrads,
  adam: Adam,
  batch: Float32Array,
  rows: number,
  useTanh: boolean,
  zeroGrad: boolean,
): number {
  if (zeroGrad) for (const g of knifeArrays(grads)) g.fill(0);
  const { loss } = knifeLossAndGrads(p, batch, rows, useTanh, grads);
  adam.step(knifeArrays(grads));
  return loss;
}

export interface KnifeFitOptions {
  K: number;
  /** Lower-triangular shear (the official model) or diagonal only. */
  full: boolean;
  settings: KnifeSettings;
  /** Draws the initial parameters, then (without batchOrder) one row permutation per epoch. */
  rng: Rng;
  /**
   * Row order of each epoch (length settings.epochs), cut into consecutive batches of
   * settings.batchSize. Lets several fits share one shuffle, as the official loader does.
   */
  batchOrder?: Int32Array[];
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** How often a fit yields to the event loop (for abort signals and progress), in ms. */
const YIELD_MS = 50;

/**
 * Fits a KNIFE mixture to the rows of X on its raw (uncentred) values with the official schedule.
 * `losses` holds the mean training loss of each epoch (batch losses weighted by batch size, as the
 * official script prints them).
 */
export async function fitKnife(X: Matrix, opts: KnifeFitOptions): Promise<{ params: KnifeParams; losses: number[] }> {
  const { settings, signal } = opts;
  const N = X.rows;
  const d = X.cols;
  const B = settings.batchSize;
  if (N < 1) throw new Error('KNIFE needs at least one row to fit');
  if (!(Number.isInteger(B) && B >= 1)) throw new Error(`KNIFE batch size must be a positive integer (got ${B})`);
  if (opts.batchOrder && opts.batchOrder.length !== settings.epochs) {
    throw new Error(`batchOrder has ${opts.batchOrder.length} epochs, settings ask for ${settings.epochs}`);
  }
  signal?.throwIfAborted();
  const p = initKnifeParams(opts.K, d, opts.rng, opts.full);
  const grads = newKnifeGrads(p);
  const adam = new Adam(knifeArrays(p), { lr: settings.learningRate });
  const scheduler = new StepLR(adam, settings.stepSize, settings.gamma);
  const batch = new Float32Array(B * d);
  const epochRows = opts.batchOrder ? opts.batchOrder.map((o) => o.length) : new Array<number>(settings.epochs).fill(N);
  const totalSteps = epochRows.reduce((a, n) => a + Math.ceil(n / B), 0);
  const losses: number[] = [];
  let steps = 0;
  let lastYield = performance.now();
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    const order = opts.batchOrder ? opts.batchOrder[epoch] : opts.rng.permutation(N);
    let sum = 0;
    for (let start = 0; start < order.length; start += B) {
      const rows = Math.min(B, order.length - start);
      for (let b = 0; b < rows; b++) batch.set(matrixRow(X, order[start + b]), b * d);
      const loss = knifeTrainStep(p, grads, adam, batch, rows, settings.useTanh, settings.zeroGrad);
      if (!Number.isFinite(loss)) throw new NumericalError(`the KNIFE fit diverged (loss ${loss} at epoch ${epoch + 1}); try a smaller learning rate or rescale the features`);
      sum += loss * rows;
      steps++;
      if (performance.now() - lastYield > YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        opts.onProgress?.(steps / totalSteps);
        lastYield = performance.now();
      }
    }
    losses.push(order.length ? sum / order.length : NaN);
    scheduler.step();
  }
  opts.onProgress?.(1);
  return { params: p, losses };
}

/** Rows per scoring chunk: at most 4096, and the [rows, K·d] full-model intermediate ≤ 4M floats. */
function scoringChunkRows(p: KnifeParams): number {
  return p.tri ? Math.max(1, Math.min(4096, Math.floor(4_194_304 / (p.K * p.d)))) : 4096;
}

/**
 * log p̂(x) for every row of X (float32 arithmetic on tfjs, results widened to float64).
 *
 * GEMM form (only 2-D non-transposed matMuls, which the wasm backend runs on XNNPACK):
 * - diagonal: ll = x²·(−½ s²)ᵀ + x·(μ ⊙ s²)ᵀ + (base − ½ Σ μ² s²), two [n,d]×[d,K] GEMMs;
 * - full: z = x·W − c with W = [M_1ᵀ | … | M_Kᵀ] ([d, K·d]), M_k = (I + L_k) diag(s_k), c_k = M_k μ_k,
 *   then ll = z² · E + base with E the [K·d, K] block indicator times −½.
 * x and the means are first shifted by the data's column means: (x − μ) is unchanged, so the values
 * are the same, but the expansion no longer loses float32 precision when the data sit far from 0.
 */
export async function knifeLogPdf(p: KnifeParams, X: Matrix, useTanh: boolean): Promise<Float64Array> {
  await initBackend();
  const { K, d } = p;
  if (X.cols !== d) throw new Error(`KNIFE model has d=${d}, data has ${X.cols} columns`);
  const out = new Float64Array(X.rows);
  if (X.rows === 0) return out;
  const { s, base } = kernelScales(p, useTanh);
  const shift = columnMeans(X).map(Math.fround);
  const logC = -0.5 * d * LOG_2PI;
  const consts: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    consts.push(t);
    return t;
  };
  try {
    const shiftT = keep(tf.tensor2d(Float32Array.from(shift), [1, d]));
    let kernelLogLik: (x: tf.Tensor2D) => tf.Tensor2D; // [n, K]: ll_k per row
    if (!p.tri) {
      const quad = new Float32Array(d * K); // [d, K]: −½ s²
      const lin = new Float32Array(d * K); // [d, K]: μ' s²
      const c = new Float32Array(K);
      for (let k = 0; k < K; k++) {
        let cq = 0;
        for (let j = 0; j < d; j++) {
          const s2 = s[k * d + j] ** 2;
          const mu = p.means[k * d + j] - shift[j];
          quad[j * K + k] = -0.5 * s2;
          lin[j * K + k] = mu * s2;
          cq += mu * mu * s2;
        }
        c[k] = base[k] - 0.5 * cq;
      }
      const quadT = keep(tf.tensor2d(quad, [d, K]));
      const linT = keep(tf.tensor2d(lin, [d, K]));
      const cT = keep(tf.tensor2d(c, [1, K]));
      kernelLogLik = (x) => tf.add(tf.add(tf.matMul(tf.square(x), quadT), tf.matMul(x, linT)), cT);
    } else {
      const tri = p.tri;
      const Kd = K * d;
      const W = new Float32Array(d * Kd); // W[j, k·d + i] = M_k[i, j]
      const c = new Float32Array(Kd);
      const E = new Float32Array(Kd * K);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < d; i++) {
          let ci = 0;
          for (let j = 0; j <= i; j++) {
            const m = (j === i ? 1 : tri[(k * d + i) * d + j]) * s[k * d + j];
            W[j * Kd + k * d + i] = m;
            ci += m * (p.means[k * d + j] - shift[j]);
          }
          c[k * d + i] = ci;
          E[(k * d + i) * K + k] = -0.5;
        }
      }
      const WT = keep(tf.tensor2d(W, [d, Kd]));
      const cT = keep(tf.tensor2d(c, [1, Kd]));
      const ET = keep(tf.tensor2d(E, [Kd, K]));
      const baseT = keep(tf.tensor2d(Float32Array.from(base), [1, K]));
      kernelLogLik = (x) => tf.add(tf.matMul(tf.square(tf.sub(tf.matMul(x, WT), cT)), ET), baseT);
    }
    const blocks: { start: number; rows: number; data: Float32Array }[] = [];
    forEachBlock(X, scoringChunkRows(p), (start, rows, data) => blocks.push({ start, rows, data }));
    for (const { start, rows, data } of blocks) {
      const lse = tf.tidy(() => tf.logSumExp(kernelLogLik(tf.sub(tf.tensor2d(data, [rows, d]), shiftT)), 1));
      const v = await lse.data();
      lse.dispose();
      for (let i = 0; i < rows; i++) out[start + i] = logC + v[i];
    }
  } finally {
    for (const t of consts) t.dispose();
  }
  return out;
}

/** Column means of X in float64. */
function columnMeans(X: Matrix): Float64Array {
  const d = X.cols;
  const sum = new Float64Array(d);
  for (const { rows, data } of X.chunks) {
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) sum[j] += data[r * d + j];
  }
  for (let j = 0; j < d; j++) sum[j] /= X.rows;
  return sum;
}
