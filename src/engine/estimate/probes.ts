/**
 * Probes: the discriminators p(y|x1), p(y|x2) and p(y|x1,x2) trained on embeddings when a run has no
 * logits for a head (spec §4).
 *
 * The model is the official one: an MLP `in → h → ReLU → h → ReLU → C` with PyTorch's default
 * initialisation, trained on the mean cross-entropy with Adam (torch semantics) and a StepLR
 * schedule; the joint probe takes `concat(x1, x2)`. Departures from the official code, each on
 * purpose:
 *
 * - **Out-of-sample values.** The official code trains on the train split and then scores that same
 *   split. Here every `log p(y|x)` comes from a probe that never saw the sample: {@link crossFitLogProb}
 *   fits on train and scores val/test, and cross-fits (stratified K-fold) wherever a sample would
 *   otherwise be scored by a probe trained on it.
 * - **Standardised inputs.** Each input feature is centred and scaled by its mean and standard
 *   deviation over the probe's training rows (recorded in the model and applied when scoring). The
 *   official code feeds raw embeddings, so its probes depend on each modality's units: embeddings
 *   with a large scale or offset (common for penultimate-layer activations) make the fixed learning
 *   rate either too small to converge in the epoch budget or too large to be stable. The MLP family is
 *   unchanged (an affine map of the inputs can be folded into the first layer), only the optimisation
 *   becomes unit-free, which the per-sample values need more than bit-parity with a defect-prone fit.
 * - **Schedule.** The defaults (`DEFAULT_SETTINGS.probe`: batch 128, lr 2e-3, 5 epochs, StepLR(3,
 *   ×0.1)) replace the official batch 32, lr 1e-3, 30 epochs, StepLR(15). Measured with this code on a
 *   2-core machine (wasm, 1 thread), 5-fold cross-fit, as the gap between the mean held-out
 *   `log p(y|x)` and the exact oracle's (x1 / x2 / joint; official schedule in brackets):
 *   circuits of spec §7 at N = 10k, |gap| ≤ 0.0015 for every probe of XOR, OR, XOR+NOT A and B, in
 *   ≈ 0.9 s per probe (≈ 16 s); demo generator C = 2, N = 2k: −0.006 / −0.005 / −0.005
 *   (−0.004 / −0.007 / −0.010); C = d = 10, N = 10k: −0.027 / −0.025 / −0.030 in 4 s of CPU
 *   (−0.034 / −0.035 / −0.052 in 51 s); Gaussian classes d = 512, C = 10, N = 20k: −0.23 / −0.23 /
 *   −0.10 in 36 s (−1.21 / −1.13 / −0.15 in 7 min: 30 epochs over-fit); pure-noise labels, C = 10,
 *   d = 32, N = 2k: held-out log-loss log C + 0.007 (+0.28). Batch 128 amortises the per-step cost of
 *   tfjs (≈ 0.5 ms; 4.7 µs per sample-epoch at d = 4, 24 µs at d = 512) while small sets still get
 *   enough steps: batch 256 for 5 epochs under-fits N = 2k by ≈ 0.02 nats, and a lower lr (1e-3)
 *   by ≈ 0.03.
 * - The official code trains the three probes with one Adam on CE1 + CE2 + CE12; their parameters
 *   are disjoint and Adam is per-parameter, so training them separately is the same optimisation.
 *
 * Compute: tfjs-core's CommonJS build registers no gradients, so the backward pass below is written
 * out by hand, and Adam runs in JS on the downloaded gradients. Following compute-backends.md, every
 * product is a 2-D non-transposed `matMul` (the only kind XNNPACK runs on the wasm backend):
 * activations are transposed explicitly, the input batch is uploaded twice (row-major and
 * transposed, both gathered in JS straight from the Matrix chunks), and bias gradients are
 * `ones[1,B] · dZ` products rather than axis-0 reductions, which are slow on wasm.
 */
import { initBackend, tf } from '../compute/backend';
import { type Matrix, chunkIndex } from '../io/matrix';
import { Rng } from '../random';
import type { MlpSettings as ProbeSettings } from './settings';

/**
 * The trainable parameters, row-major float32: `w1` [in × h], `b1` [h], `w2` [h × h], `b2` [h],
 * `w3` [h × C], `b3` [C]. Layer k computes `a · w_k + b_k` (torch's `Linear` stores the transpose).
 */
export interface ProbeParams {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  w3: Float32Array;
  b3: Float32Array;
}

/** A fitted probe: everything needed to score new rows. */
export interface ProbeModel {
  /** Columns of each input matrix, in concatenation order (e.g. `[d1]` or `[d1, d2]`). */
  readonly inputCols: readonly number[];
  readonly nClasses: number;
  readonly hidden: number;
  /** Per concatenated input feature: the training-row mean, subtracted before the first layer. */
  readonly mean: Float32Array;
  /** Per concatenated input feature: the training-row standard deviation (1 where it is 0), divided by. */
  readonly scale: Float32Array;
  readonly params: ProbeParams;
  /** Number of rows the probe was trained on. */
  readonly trainRows: number;
}

export interface FitProbeOptions {
  settings: ProbeSettings;
  /** Drives the initialisation and the per-epoch shuffles. */
  rng: Rng;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface CrossFitOptions {
  /** Per sample: 0 train, 1 val, 2 test. Without it, stratified K-fold over all samples. */
  split?: Uint8Array;
  folds: number;
  settings: ProbeSettings;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface CrossFitResult {
  /** Per sample, `log p(y|x)` from a probe that was not trained on it. */
  logProb: Float64Array;
  /** Mean of `−logProb` over all samples (all of them are held out). */
  heldOutLogLoss: number;
  /** Fraction of samples whose held-out argmax prediction is their label. */
  heldOutAccuracy: number;
  /** How the values were produced, e.g. `5-fold stratified cross-fit`. */
  scheme: string;
}

/** Cross-fitting needs at least this many samples in every fold. */
export const MIN_ROWS_PER_FOLD = 5;

/** Rows per tile in the JS transpose of a minibatch. */
const TRANSPOSE_TILE = 16;

/** Rows per forward pass when scoring. */
const SCORE_BLOCK_ROWS = 4096;

/** Give the event loop a turn (abort messages, progress) at least this often, in ms. */
const YIELD_INTERVAL_MS = 50;

/** Adam's constants, as torch's defaults. */
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

/**
 * Trains a probe on `trainRows`, the inputs being the per-row concatenation of `inputs` (`[emb1]`
 * or `[emb1, emb2]`).
 *
 * Initialisation is PyTorch's `Linear` default, `U(−1/√fan_in, 1/√fan_in)` for weights and biases
 * (kaiming_uniform with a = √5). Each epoch visits the training rows in a fresh seeded order in
 * minibatches of `settings.batchSize` (the last one may be smaller; the loss is the batch mean, as
 * torch's `CrossEntropyLoss`), with Adam (β 0.9/0.999, ε 1e-8, bias correction, L2 `weightDecay`
 * added to the gradient) and the learning rate multiplied by `gamma` every `stepSize` epochs.
 */
export async function fitProbe(
  inputs: Matrix[],
  labels: Int32Array,
  nClasses: number,
  trainRows: Int32Array,
  opts: FitProbeOptions,
): Promise<ProbeModel> {
  await initBackend();
  const s = opts.settings;
  checkSettings(s);
  const inputCols = checkInputs(inputs, labels, nClasses);
  if (trainRows.length === 0) throw new Error('a probe needs at least one training row');
  checkRows(trainRows, labels.length);

  const dIn = sum(inputCols);
  const { mean, scale } = standardisation(inputs, trainRows);
  const invScale = scale.map((v) => 1 / v);
  const shape: Shape = { dIn, hidden: s.hidden, nClasses };
  const params = initParams(shape, opts.rng);
  const adam = new Adam(params, s.weightDecay);
  const pacer = new Pacer(opts.signal);

  const order = Int32Array.from(trainRows);
  const batch = Math.min(s.batchSize, order.length);
  const buffers = new BatchBuffers(batch, shape);
  const stepsPerEpoch = Math.ceil(order.length / batch);
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    const lr = s.learningRate * Math.pow(s.gamma, Math.floor(epoch / s.stepSize));
    opts.rng.shuffle(order);
    for (let step = 0; step < stepsPerEpoch; step++) {
      const start = step * batch;
      const rows = order.subarray(start, Math.min(start + batch, order.length));
      buffers.fill(inputs, labels, rows, mean, invScale);
      adam.step(params, await batchGradients(params, shape, buffers, rows.length), lr);
      await pacer.tick();
    }
    opts.onProgress?.((epoch + 1) / s.epochs);
  }
  return { inputCols, nClasses, hidden: s.hidden, mean, scale, params, trainRows: trainRows.length };
}

/** `log softmax(logits)[y]` for each requested row (float64, max-shifted), in the order of `rows`. */
export async function probeLogProbOfLabel(model: ProbeModel, inputs: Matrix[], labels: Int32Array, rows: Int32Array): Promise<Float64Array> {
  return (await scoreRows(model, inputs, labels, rows)).logProb;
}

/**
 * Out-of-sample `log p(y|x)` for every sample.
 *
 * - Without `split`: stratified K-fold over all samples; each fold is scored by a probe fitted on the
 *   other K−1 (K fits).
 * - With `split`: val and test samples are scored by one probe fitted on all train samples, and the
 *   train samples are cross-fitted within train as above (K+1 fits). A split with no val/test
 *   samples is plain K-fold over the train samples.
 *
 * Seeding: the first `fork()` of `new Rng(seed)` draws the folds, the following ones seed the fits in
 * order (the train-only fit first when there is one, then folds 0..K−1). So folds depend only on
 * (labels, split, folds, seed), and the x1, x2 and (x1, x2) probes of one analysis, called with one
 * seed, share their folds. Cost: K fits (K+1 with val/test), each of `settings.epochs` passes over
 * (K−1)/K of the training samples.
 */
export async function crossFitLogProb(inputs: Matrix[], labels: Int32Array, nClasses: number, opts: CrossFitOptions): Promise<CrossFitResult> {
  await initBackend();
  checkSettings(opts.settings);
  checkInputs(inputs, labels, nClasses);
  const n = labels.length;
  const K = opts.folds;
  if (!Number.isInteger(K) || K < 2) throw new Error(`cross-fitting needs an integer number of folds ≥ 2 (got ${K})`);

  let train: Int32Array;
  let rest: Int32Array;
  if (opts.split) {
    const split = opts.split;
    if (split.length !== n) throw new Error(`the split has ${split.length} entries for ${n} samples`);
    const t: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < n; i++) {
      if (split[i] === 0) t.push(i);
      else if (split[i] === 1 || split[i] === 2) r.push(i);
      else throw new Error(`split value ${split[i]} at sample ${i}: expected 0 (train), 1 (val) or 2 (test)`);
    }
    if (t.length === 0) throw new Error('the split has no train samples, so there is nothing to fit the probes on');
    train = Int32Array.from(t);
    rest = Int32Array.from(r);
  } else {
    train = new Int32Array(n).map((_, i) => i);
    rest = new Int32Array(0);
  }
  const what = opts.split ? 'train samples' : 'samples';
  if (train.length < K * MIN_ROWS_PER_FOLD) {
    throw new Error(
      `${K}-fold cross-fitting needs at least ${MIN_ROWS_PER_FOLD} ${what} per fold (${K * MIN_ROWS_PER_FOLD} in all), ` +
        `but there are ${train.length}: use fewer folds`,
    );
  }

  const rng = new Rng(opts.seed);
  const fold = stratifiedFolds(train, labels, K, rng.fork());
  const fits: { fitOn: Int32Array; score: Int32Array }[] = [];
  if (rest.length) fits.push({ fitOn: train, score: rest });
  for (let k = 0; k < K; k++) {
    fits.push({ fitOn: train.filter((_, j) => fold[j] !== k), score: train.filter((_, j) => fold[j] === k) });
  }

  // Progress in proportion to the training work of each fit.
  const work = fits.map((f) => f.fitOn.length);
  const total = sum(work);
  let done = 0;
  const logProb = new Float64Array(n);
  let correct = 0;
  for (let f = 0; f < fits.length; f++) {
    const { fitOn, score } = fits[f];
    const base = done;
    const model = await fitProbe(inputs, labels, nClasses, fitOn, {
      settings: opts.settings,
      rng: rng.fork(),
      signal: opts.signal,
      onProgress: opts.onProgress && ((x) => opts.onProgress!((base + x * work[f]) / total)),
    });
    const scored = await scoreRows(model, inputs, labels, score);
    for (let j = 0; j < score.length; j++) {
      logProb[score[j]] = scored.logProb[j];
      correct += scored.correct[j];
    }
    done += work[f];
  }

  let loss = 0;
  for (let i = 0; i < n; i++) loss -= logProb[i];
  const scheme = rest.length
    ? `fit on train (${train.length}), score val/test (${rest.length}); ${K}-fold stratified cross-fit within train`
    : `${K}-fold stratified cross-fit${opts.split ? ' (the split has train samples only)' : ''}`;
  return { logProb, heldOutLogLoss: loss / n, heldOutAccuracy: correct / n, scheme };
}

/**
 * Gradients of the mean cross-entropy of a batch with respect to every parameter: the explicit
 * backward pass used in training, exposed for the gradient check. `x` holds `labels.length` rows of
 * already standardised inputs, row-major.
 */
export async function probeGradients(params: ProbeParams, nClasses: number, x: Float32Array, labels: Int32Array): Promise<ProbeParams> {
  await initBackend();
  const rows = labels.length;
  const shape: Shape = { dIn: x.length / rows, hidden: params.b1.length, nClasses };
  const buffers = new BatchBuffers(rows, shape);
  buffers.x.set(x);
  transpose(x, rows, shape.dIn, buffers.xt);
  for (let i = 0; i < rows; i++) buffers.target[i * nClasses + labels[i]] = 1 / rows;
  return batchGradients(params, shape, buffers, rows);
}

interface Shape {
  dIn: number;
  hidden: number;
  nClasses: number;
}

type ParamTensors = Record<keyof ProbeParams, tf.Tensor2D>;

const PARAM_NAMES: readonly (keyof ProbeParams)[] = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'];

/** Uploads the parameters; biases as [1, n] rows so they broadcast over the batch. */
function uploadParams(p: ProbeParams, { dIn, hidden, nClasses }: Shape): ParamTensors {
  return {
    w1: tf.tensor2d(p.w1, [dIn, hidden]),
    b1: tf.tensor2d(p.b1, [1, hidden]),
    w2: tf.tensor2d(p.w2, [hidden, hidden]),
    b2: tf.tensor2d(p.b2, [1, hidden]),
    w3: tf.tensor2d(p.w3, [hidden, nClasses]),
    b3: tf.tensor2d(p.b3, [1, nClasses]),
  };
}

/** The model: the one definition of the forward pass, shared by training and scoring. */
function forward(w: ParamTensors, x: tf.Tensor2D) {
  const z1 = tf.add(tf.matMul(x, w.w1), w.b1) as tf.Tensor2D;
  const a1 = tf.relu(z1);
  const z2 = tf.add(tf.matMul(a1, w.w2), w.b2) as tf.Tensor2D;
  const a2 = tf.relu(z2);
  const logits = tf.add(tf.matMul(a2, w.w3), w.b3) as tf.Tensor2D;
  return { z1, a1, z2, a2, logits };
}

/**
 * Backward pass of the mean cross-entropy for the `rows` rows in `b` (targets pre-scaled by 1/rows):
 *
 *   dZ3 = softmax(Z3) − Y/B             gW3 = A2ᵀ dZ3    gb3 = 1ᵀ dZ3
 *   dZ2 = (dZ3 W3ᵀ) ⊙ [Z2 > 0]          gW2 = A1ᵀ dZ2    gb2 = 1ᵀ dZ2
 *   dZ1 = (dZ2 W2ᵀ) ⊙ [Z1 > 0]          gW1 = Xᵀ dZ1     gb1 = 1ᵀ dZ1
 */
async function batchGradients(params: ProbeParams, shape: Shape, b: BatchBuffers, rows: number): Promise<ProbeParams> {
  const { dIn, nClasses } = shape;
  // one tensor, read back once and asynchronously: the webgpu backend has no synchronous read in Node
  const grads = tf.tidy(() => {
    const w = uploadParams(params, shape);
    const x = tf.tensor2d(b.x.subarray(0, rows * dIn), [rows, dIn]);
    const xt = tf.tensor2d(b.xt.subarray(0, rows * dIn), [dIn, rows]);
    const target = tf.tensor2d(b.target.subarray(0, rows * nClasses), [rows, nClasses]);
    const ones = tf.ones([1, rows]);
    const f = forward(w, x);
    const dz3 = tf.sub(tf.mul(tf.softmax(f.logits), 1 / rows), target);
    const dz2 = tf.mul(tf.matMul(dz3, tf.transpose(w.w3)), tf.step(f.z2));
    const dz1 = tf.mul(tf.matMul(dz2, tf.transpose(w.w2)), tf.step(f.z1));
    return tf.concat(
      [
        tf.matMul(xt, dz1),
        tf.matMul(ones, dz1),
        tf.matMul(tf.transpose(f.a1), dz2),
        tf.matMul(ones, dz2),
        tf.matMul(tf.transpose(f.a2), dz3),
        tf.matMul(ones, dz3),
      ].map((g) => tf.reshape(g, [-1])),
    );
  });
  const flat = (await grads.data()) as Float32Array;
  grads.dispose();
  const out = {} as ProbeParams;
  let at = 0;
  for (const name of PARAM_NAMES) {
    const n = params[name].length;
    out[name] = flat.slice(at, at + n);
    at += n;
  }
  return out;
}

/** Reused minibatch buffers: the standardised rows, their transpose, and the one-hot targets / B. */
class BatchBuffers {
  readonly x: Float32Array;
  readonly xt: Float32Array;
  readonly target: Float32Array;

  constructor(
    batch: number,
    private readonly shape: Shape,
  ) {
    this.x = new Float32Array(batch * shape.dIn);
    this.xt = new Float32Array(batch * shape.dIn);
    this.target = new Float32Array(batch * shape.nClasses);
  }

  /** Gathers `rows` from the input chunks, standardising on the way. */
  fill(inputs: Matrix[], labels: Int32Array, rows: Int32Array, mean: Float32Array, invScale: Float32Array): void {
    const { dIn, nClasses } = this.shape;
    const B = rows.length;
    gatherRows(inputs, rows, mean, invScale, this.x);
    const { x, xt, target } = this;
    transpose(x, B, dIn, xt);
    target.fill(0, 0, B * nClasses);
    for (let i = 0; i < B; i++) target[i * nClasses + labels[rows[i]]] = 1 / B;
  }
}

/** `out` [cols × rows] = `a` [rows × cols]ᵀ, in tiles of {@link TRANSPOSE_TILE} rows so the writes stay contiguous. */
function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let i0 = 0; i0 < rows; i0 += TRANSPOSE_TILE) {
    const i1 = Math.min(i0 + TRANSPOSE_TILE, rows);
    for (let k = 0; k < cols; k++) {
      const o = k * rows;
      for (let i = i0; i < i1; i++) out[o + i] = a[i * cols + k];
    }
  }
}

/** Writes the standardised concatenated inputs of `rows`, `(x − mean) · invScale`, into `out`, row-major. */
function gatherRows(inputs: Matrix[], rows: Int32Array, mean: Float32Array, invScale: Float32Array, out: Float32Array): void {
  const dIn = mean.length;
  let offset = 0;
  for (const m of inputs) {
    const cols = m.cols;
    for (let i = 0; i < rows.length; i++) {
      const c = m.chunks[chunkIndex(m, rows[i])];
      const src = c.data;
      const from = (rows[i] - c.start) * cols;
      const to = i * dIn + offset;
      for (let k = 0; k < cols; k++) out[to + k] = (src[from + k] - mean[offset + k]) * invScale[offset + k];
    }
    offset += cols;
  }
}

/** Per-feature mean and standard deviation over `rows` (float64, shifted by the first row for accuracy). */
function standardisation(inputs: Matrix[], rows: Int32Array): { mean: Float32Array; scale: Float32Array } {
  const mean = new Float32Array(sum(inputs.map((m) => m.cols)));
  const scale = new Float32Array(mean.length);
  const n = rows.length;
  let offset = 0;
  for (const m of inputs) {
    const cols = m.cols;
    const first = m.chunks[chunkIndex(m, rows[0])];
    const shift = Float64Array.from(first.data.subarray((rows[0] - first.start) * cols, (rows[0] - first.start + 1) * cols));
    const s1 = new Float64Array(cols);
    const s2 = new Float64Array(cols);
    for (let i = 0; i < n; i++) {
      const c = m.chunks[chunkIndex(m, rows[i])];
      const src = c.data;
      const from = (rows[i] - c.start) * cols;
      for (let k = 0; k < cols; k++) {
        const v = src[from + k] - shift[k];
        s1[k] += v;
        s2[k] += v * v;
      }
    }
    for (let k = 0; k < cols; k++) {
      const mu = s1[k] / n;
      const sd = Math.sqrt(Math.max(0, s2[k] / n - mu * mu));
      mean[offset + k] = shift[k] + mu;
      scale[offset + k] = sd > 0 && Number.isFinite(sd) ? sd : 1;
    }
    offset += cols;
  }
  return { mean, scale };
}

/** PyTorch's `Linear` default: weights and biases ~ U(−1/√fan_in, 1/√fan_in). */
function initParams({ dIn, hidden, nClasses }: Shape, rng: Rng): ProbeParams {
  const layer = (fanIn: number, fanOut: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    const w = new Float32Array(fanIn * fanOut);
    const b = new Float32Array(fanOut);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
    for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-bound, bound);
    return [w, b];
  };
  const [w1, b1] = layer(dIn, hidden);
  const [w2, b2] = layer(hidden, hidden);
  const [w3, b3] = layer(hidden, nClasses);
  return { w1, b1, w2, b2, w3, b3 };
}

/** Adam as torch.optim.Adam (L2 weight decay added to the gradient, bias-corrected moments). */
class Adam {
  private t = 0;
  private readonly m: ProbeParams;
  private readonly v: ProbeParams;

  constructor(
    params: ProbeParams,
    private readonly weightDecay: number,
  ) {
    this.m = {} as ProbeParams;
    this.v = {} as ProbeParams;
    for (const name of PARAM_NAMES) {
      this.m[name] = new Float32Array(params[name].length);
      this.v[name] = new Float32Array(params[name].length);
    }
  }

  step(params: ProbeParams, grads: ProbeParams, lr: number): void {
    this.t++;
    const stepSize = lr / (1 - Math.pow(ADAM_BETA1, this.t));
    const sqrtBc2 = Math.sqrt(1 - Math.pow(ADAM_BETA2, this.t));
    const wd = this.weightDecay;
    for (const name of PARAM_NAMES) {
      const p = params[name];
      const g = grads[name];
      const m = this.m[name];
      const v = this.v[name];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] + wd * p[i];
        m[i] = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * gi;
        v[i] = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * gi * gi;
        p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + ADAM_EPS);
      }
    }
  }
}

/** Held-out scores of `rows`: `log p(y|x)` and whether the argmax is the label. */
async function scoreRows(
  model: ProbeModel,
  inputs: Matrix[],
  labels: Int32Array,
  rows: Int32Array,
): Promise<{ logProb: Float64Array; correct: Uint8Array }> {
  await initBackend();
  const cols = checkInputs(inputs, labels, model.nClasses);
  if (cols.length !== model.inputCols.length || cols.some((c, i) => c !== model.inputCols[i])) {
    throw new Error(`the probe was trained on inputs of widths [${model.inputCols.join(', ')}], not [${cols.join(', ')}]`);
  }
  checkRows(rows, labels.length);
  const shape: Shape = { dIn: model.mean.length, hidden: model.hidden, nClasses: model.nClasses };
  const C = model.nClasses;
  const logProb = new Float64Array(rows.length);
  const correct = new Uint8Array(rows.length);
  const block = Math.min(SCORE_BLOCK_ROWS, rows.length);
  const x = new Float32Array(block * shape.dIn);
  const invScale = model.scale.map((v) => 1 / v);
  const w = uploadParams(model.params, shape);
  try {
    for (let start = 0; start < rows.length; start += block) {
      const part = rows.subarray(start, Math.min(start + block, rows.length));
      gatherRows(inputs, part, model.mean, invScale, x);
      const logits = tf.tidy(() => forward(w, tf.tensor2d(x.subarray(0, part.length * shape.dIn), [part.length, shape.dIn])).logits);
      const z = await logits.data();
      logits.dispose();
      for (let i = 0; i < part.length; i++) {
        const o = i * C;
        let best = 0;
        for (let c = 1; c < C; c++) if (z[o + c] > z[o + best]) best = c;
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(z[o + c] - z[o + best]);
        const y = labels[part[i]];
        logProb[start + i] = z[o + y] - z[o + best] - Math.log(s);
        correct[start + i] = best === y ? 1 : 0;
      }
    }
  } finally {
    tf.dispose(Object.values(w));
  }
  return { logProb, correct };
}

/**
 * Stratified fold of each of `rows`: every class's rows are shuffled, the classes are laid end to
 * end, and position j goes to fold j mod K, so folds differ in size by at most one and every class is
 * spread evenly.
 */
function stratifiedFolds(rows: Int32Array, labels: Int32Array, K: number, rng: Rng): Int32Array {
  const byClass = new Map<number, number[]>();
  rows.forEach((r, j) => {
    const y = labels[r];
    const list = byClass.get(y);
    if (list) list.push(j);
    else byClass.set(y, [j]);
  });
  const fold = new Int32Array(rows.length);
  let pos = 0;
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const j of rng.shuffle(byClass.get(y)!)) fold[j] = pos++ % K;
  }
  return fold;
}

/** Abort checks at every step, and a turn of the event loop every {@link YIELD_INTERVAL_MS}. */
class Pacer {
  private last = performance.now();

  constructor(private readonly signal?: AbortSignal) {}

  async tick(): Promise<void> {
    this.signal?.throwIfAborted();
    if (performance.now() - this.last < YIELD_INTERVAL_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
    this.last = performance.now();
  }
}

function checkSettings(s: ProbeSettings): void {
  const positiveInt = (name: keyof ProbeSettings) => {
    if (!Number.isInteger(s[name]) || s[name] < 1) throw new Error(`probe setting '${name}' must be a positive integer (got ${s[name]})`);
  };
  positiveInt('hidden');
  positiveInt('epochs');
  positiveInt('batchSize');
  positiveInt('stepSize');
  if (!(s.learningRate > 0) || !Number.isFinite(s.learningRate)) throw new Error(`probe setting 'learningRate' must be positive (got ${s.learningRate})`);
  if (!(s.gamma > 0) || !Number.isFinite(s.gamma)) throw new Error(`probe setting 'gamma' must be positive (got ${s.gamma})`);
  if (!(s.weightDecay >= 0) || !Number.isFinite(s.weightDecay)) throw new Error(`probe setting 'weightDecay' must be ≥ 0 (got ${s.weightDecay})`);
}

/** Checks shapes and labels; returns each input's width. */
function checkInputs(inputs: Matrix[], labels: Int32Array, nClasses: number): number[] {
  if (inputs.length === 0) throw new Error('a probe needs at least one input matrix');
  if (!Number.isInteger(nClasses) || nClasses < 1) throw new Error(`the number of classes must be a positive integer (got ${nClasses})`);
  for (const m of inputs) {
    if (m.rows !== labels.length) throw new Error(`an input has ${m.rows} rows but there are ${labels.length} labels`);
    if (m.cols < 1) throw new Error('an input matrix has no columns');
  }
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] < nClasses)) throw new Error(`label ${labels[i]} at sample ${i} is outside [0, ${nClasses})`);
  }
  return inputs.map((m) => m.cols);
}

function checkRows(rows: Int32Array, n: number): void {
  for (let i = 0; i < rows.length; i++) {
    if (!(rows[i] >= 0 && rows[i] < n)) throw new Error(`row ${rows[i]} is outside [0, ${n})`);
  }
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}
