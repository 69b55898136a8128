/**
 * Calibration of a head's logits, fitted out of fold, and the reliability diagrams that show it.
 *
 * Why: each head's mean pointwise MI is H(Y) minus its held-out cross-entropy, so an over-confident
 * head (most trained networks are: Guo et al. 2017) pulls every MI down, and the RUS adjustment turns
 * that into a wrong R and S (exact posteriors × 3 move R by 0.7–1.9 nats; see docs/heads.md).
 * Temperature scaling fixes the confidence without changing any prediction, with one parameter.
 *
 * Methods (all convex in their parameters, all fitted by minimising the mean log-loss):
 * - `temperature`: z / T (one parameter; fitted as β = 1/T by safeguarded Newton steps).
 * - `bias`: z / T + b (T and one bias per class): also corrects a shift of the label prior between
 *   the data a network was trained on and the analysed samples.
 * - `vector`: a ⊙ z + b (a scale and a bias per class; Guo et al.'s vector scaling), by L-BFGS.
 *   `bias` and `vector` carry a small L2 penalty (1e-4) on b and, for `vector`, on a − β₀ (β₀ = 1/T, the scale temperature scaling fitted), which pins the softmax's
 *   shift invariance and keeps rare classes from being fitted to a handful of rows.
 *
 * Out of fold: with folds 0..K−1, the rows of fold k are calibrated by parameters fitted on the
 * other folds' rows only (at most {@link TEMPERATURE_MAX_ROWS} of them for a temperature,
 * {@link CALIBRATION_MAX_ROWS} for bias and vector scaling; a seeded subsample), so no sample's
 * calibrated value depends on its own label.
 */
import type { Calibration } from '../settings';
import type { CalibrationReport, Reliability } from '../../io/results';
import { type Matrix, chunkIndex } from '../../io/matrix';
import { Rng } from '../../random';
import { minimizeLbfgs } from './lbfgs';
import { logSoftmaxAtRow, meanLogLoss } from './rows';

/** Rows a calibrator is fitted on at most (seeded subsample): plenty for 1 + 2C parameters. */
export const CALIBRATION_MAX_ROWS = 100_000;
/**
 * Rows a temperature is fitted on at most: the standard error of β = 1/T from n rows is about
 * 1/√(n·mean Var_p[z]), which is largest for confident heads (measured: 3 % at 5000 rows for a head
 * with accuracy 0.93), and a β off by ε moves a mean log-loss by only ~½·Var·ε².
 */
export const TEMPERATURE_MAX_ROWS = 20000;
/** Bins of the reliability diagrams (equal width on [0, 1]). */
export const RELIABILITY_BINS = 10;
const PENALTY = 1e-4;
const BETA_MIN = 1e-4;
const BETA_MAX = 1e4;

export interface CalibrationParams {
  method: Calibration;
  /** 1/T (temperature, bias). */
  beta: number;
  /** Per class (bias, vector). */
  bias?: Float64Array;
  /** Per class (vector). */
  scale?: Float64Array;
}

/** Writes the calibrated logits of row i of `z` (row-major, C columns) into `out`. */
export function calibrateRow(p: CalibrationParams, z: ArrayLike<number>, i: number, C: number, out: Float64Array): void {
  const o = i * C;
  if (p.method === 'vector') {
    for (let c = 0; c < C; c++) out[c] = p.scale![c] * z[o + c] + p.bias![c];
  } else if (p.method === 'bias') {
    for (let c = 0; c < C; c++) out[c] = p.beta * z[o + c] + p.bias![c];
  } else {
    const beta = p.method === 'temperature' ? p.beta : 1;
    for (let c = 0; c < C; c++) out[c] = beta * z[o + c];
  }
}

/** Fits a calibrator on a block of logits (row-major, `labels.length` rows of C). */
export async function fitCalibration(method: Calibration, z: Float32Array, labels: Int32Array, C: number, signal?: AbortSignal, startBeta = 1): Promise<CalibrationParams> {
  if (method === 'none') return { method, beta: 1 };
  if (method === 'temperature') return { method, beta: temperatureFit(z, labels, C, false, startBeta).beta };
  const n = labels.length;
  const vector = method === 'vector';
  const beta0 = fitTemperature(z, labels, C);
  // parameters: bias scaling [β, b_0..b_C−1]; vector scaling [a_0..a_C−1, b_0..b_C−1]
  const x0 = vector ? new Float64Array(2 * C).fill(beta0, 0, C) : new Float64Array(1 + C);
  if (!vector) x0[0] = beta0;
  const logit = new Float64Array(C);
  const objective = (x: Float64Array) => {
    const grad = new Float64Array(x.length);
    let value = 0;
    const bOff = vector ? C : 1;
    for (let i = 0; i < n; i++) {
      const o = i * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = (vector ? x[c] : x[0]) * z[o + c] + x[bOff + c];
        logit[c] = v;
        if (v > max) max = v;
      }
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(logit[c] - max);
      const lse = max + Math.log(s);
      const y = labels[i];
      value += lse - logit[y];
      for (let c = 0; c < C; c++) {
        const g = Math.exp(logit[c] - lse) - (c === y ? 1 : 0);
        grad[bOff + c] += g;
        if (vector) grad[c] += g * z[o + c];
        else grad[0] += g * z[o + c];
      }
    }
    value /= n;
    for (let j = 0; j < grad.length; j++) grad[j] /= n;
    // L2 on b (and on a − β₀, β₀ = 1/T from temperature scaling): shift invariance and rare classes
    for (let c = 0; c < C; c++) {
      value += 0.5 * PENALTY * x[bOff + c] * x[bOff + c];
      grad[bOff + c] += PENALTY * x[bOff + c];
      if (vector) {
        const a = x[c] - beta0;
        value += 0.5 * PENALTY * a * a;
        grad[c] += PENALTY * a;
      }
    }
    return { value, grad };
  };
  const fit = await minimizeLbfgs(objective, x0, { maxIter: 200, tol: 1e-9, signal });
  const x = fit.x;
  return vector ? { method, beta: 1, scale: x.slice(0, C), bias: x.slice(C) } : { method, beta: x[0], bias: x.slice(1) };
}

/** Scratch for {@link temperatureFit}: logits shifted by their row max (grown as needed, reused). */
let scratch = new Float32Array(0);

/**
 * β = 1/T minimising the mean log-loss of β·z. The loss is convex in β (L′ = mean(E_p[z] − z_y),
 * L″ = mean(Var_p[z]) ≥ 0); Newton steps are taken in u = log β, which makes them scale-free (heads
 * are off by factors, not offsets), at most ±1.5 in u per step, halved while they do not decrease
 * the loss, β kept in [1e-4, 1e4]; stop when a step moves β by less than 1e-4 relative (Newton's
 * error is then ~1e-8 relative, and the loss settled to ~1e-12). Returns β and the mean loss there (and, when asked, each row's). Terms
 * with β·(z − max) < −40 (weight below 4e-18) are skipped: most of them, for a confident head.
 */
export function temperatureFit(z: Float32Array, labels: Int32Array, C: number, wantRows = false, start = 1): { beta: number; loss: number; rowLoss?: Float64Array } {
  const n = labels.length;
  if (n === 0) return { beta: 1, loss: 0, rowLoss: wantRows ? new Float64Array(0) : undefined };
  if (scratch.length < n * C) scratch = new Float32Array(n * C);
  const shifted = scratch;
  const zy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) if (z[o + c] > max) max = z[o + c];
    for (let c = 0; c < C; c++) shifted[o + c] = z[o + c] - max;
    zy[i] = shifted[o + labels[i]];
  }
  const rowLoss = wantRows ? new Float64Array(n) : undefined;
  const evalAt = (beta: number, rows?: Float64Array) => {
    let loss = 0;
    let d1 = 0;
    let d2 = 0;
    const cut = -40 / beta;
    for (let i = 0; i < n; i++) {
      const o = i * C;
      let s = 0;
      let ez = 0;
      let ez2 = 0;
      for (let c = 0; c < C; c++) {
        const zc = shifted[o + c];
        if (zc < cut) continue;
        const w = Math.exp(beta * zc);
        s += w;
        ez += w * zc;
        ez2 += w * zc * zc;
      }
      ez /= s;
      ez2 /= s;
      const l = Math.log(s) - beta * zy[i];
      if (rows) rows[i] = l;
      loss += l;
      d1 += ez - zy[i];
      d2 += Math.max(0, ez2 - ez * ez);
    }
    return { loss: loss / n, d1: d1 / n, d2: d2 / n };
  };
  let beta = Math.min(BETA_MAX, Math.max(BETA_MIN, start));
  let cur = evalAt(beta);
  let evals = 1;
  for (let it = 0; it < 60; it++) {
    // in u = log β: L_u = β·L′, L_uu = β·L′ + β²·L″
    const gu = beta * cur.d1;
    const hu = gu + beta * beta * cur.d2;
    let du = hu > 0 ? -gu / hu : -Math.sign(gu) * 1.5;
    if (!Number.isFinite(du)) break;
    du = Math.max(-1.5, Math.min(1.5, du));
    if (Math.abs(du) < 1e-4) break;
    let moved = false;
    for (let t = 0; t < 30; t++) {
      const next = Math.min(BETA_MAX, Math.max(BETA_MIN, beta * Math.exp(du)));
      const e = evalAt(next);
      evals++;
      if (Number.isFinite(e.loss) && e.loss <= cur.loss + 1e-12 * Math.abs(cur.loss)) {
        moved = Math.abs(next - beta) > 1e-4 * beta;
        beta = next;
        cur = e;
        break;
      }
      du /= 2;
    }
    if (!moved) break;
  }
  if (rowLoss) cur = evalAt(beta, rowLoss);
  if (process.env.LSMI_DEBUG_T) console.error(`T n=${n} C=${C} evals=${evals} start=${start.toFixed(3)} beta=${beta.toFixed(4)}`);
  return { beta, loss: cur.loss, rowLoss };
}

export function fitTemperature(z: Float32Array, labels: Int32Array, C: number): number {
  return temperatureFit(z, labels, C).beta;
}

/** Per-row −log softmax(β·z)[y] with β fitted on these rows (what selection compares, row by row). */
export function calibratedRowLosses(z: Float32Array, y: Int32Array, C: number): Float64Array {
  return temperatureFit(z, y, C, true).rowLoss!;
}

/** Held-out log-loss after a temperature fitted on the held-out logits themselves: what selection compares. */
export function calibratedLoss(z: Float32Array, y: Int32Array, C: number): number {
  return temperatureFit(z, y, C).loss;
}

/** Rows of a logits matrix gathered into one block (row-major). */
function gatherLogits(logits: Matrix, rows: Int32Array): Float32Array {
  const C = logits.cols;
  const out = new Float32Array(rows.length * C);
  for (let j = 0; j < rows.length; j++) {
    const c = logits.chunks[chunkIndex(logits, rows[j])];
    const from = (rows[j] - c.start) * C;
    out.set(c.data.subarray(from, from + C), j * C);
  }
  return out;
}

export interface CalibratedHead {
  /** Calibrated log p(y|x) per sample. */
  logProb: Float64Array;
  /** Share of samples whose calibrated argmax is their label. */
  accuracy: number;
  report: CalibrationReport;
  reliability: { before: Reliability; after: Reliability };
}

/**
 * Calibrates every row of `logits` out of fold (see the module comment): `fold[i]` in 0..K−1 is the
 * calibration fold of sample i. Also returns the log-loss before and after and both reliability
 * diagrams.
 */
export async function crossCalibrate(
  logits: Matrix,
  labels: Int32Array,
  method: Calibration,
  fold: Int32Array,
  K: number,
  rng: Rng,
  signal?: AbortSignal,
): Promise<CalibratedHead> {
  const n = labels.length;
  const C = logits.cols;
  const params: CalibrationParams[] = [];
  for (let k = 0; k < K; k++) {
    signal?.throwIfAborted();
    if (method === 'none') {
      params.push({ method, beta: 1 });
      continue;
    }
    const others: number[] = [];
    for (let i = 0; i < n; i++) if (fold[i] !== k) others.push(i);
    let rows = Int32Array.from(others);
    const cap = method === 'temperature' ? TEMPERATURE_MAX_ROWS : CALIBRATION_MAX_ROWS;
    if (rows.length > cap) {
      const pick = rng.fork().permutation(rows.length).subarray(0, cap).sort();
      rows = Int32Array.from(pick, (j) => rows[j]);
    }
    const y = Int32Array.from(rows, (r) => labels[r]);
    // every fold starts from β = 1: starting from another fold's fit would make this fold's result
    // depend (at Newton's tolerance) on labels of its own rows
    params.push(rows.length ? await fitCalibration(method, gatherLogits(logits, rows), y, C, signal) : { method: 'none', beta: 1 });
    await new Promise((resolve) => setImmediate(resolve));
  }
  const logProb = new Float64Array(n);
  const before = new ReliabilityAccumulator();
  const after = new ReliabilityAccumulator();
  const cal = new Float64Array(C);
  let lossBefore = 0;
  let lossAfter = 0;
  let correct = 0;
  for (const chunk of logits.chunks) {
    const z = chunk.data;
    for (let r = 0; r < chunk.rows; r++) {
      const i = chunk.start + r;
      const y = labels[i];
      const raw = rowStats(z, r * C, C, y);
      lossBefore -= raw.logPy;
      before.add(raw.confidence, raw.argmax === y);
      calibrateRow(params[fold[i]], z, r, C, cal);
      const c = rowStats(cal, 0, C, y);
      logProb[i] = c.logPy;
      lossAfter -= c.logPy;
      after.add(c.confidence, c.argmax === y);
      if (c.argmax === y) correct++;
    }
  }
  const temperatures = method === 'temperature' || method === 'bias' ? params.map((p) => 1 / p.beta) : undefined;
  return {
    logProb,
    accuracy: correct / n,
    report: { method, temperatures, logLossBefore: lossBefore / n, logLossAfter: lossAfter / n },
    reliability: { before: before.result(), after: after.result() },
  };
}

/** log softmax at y, the top-class probability and the argmax of one row (offset o, C values). */
function rowStats(z: ArrayLike<number>, o: number, C: number, y: number): { logPy: number; confidence: number; argmax: number } {
  let best = 0;
  for (let c = 1; c < C; c++) if (z[o + c] > z[o + best]) best = c;
  const max = z[o + best];
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[o + c] - max);
  return { logPy: z[o + y] - max - Math.log(s), confidence: 1 / s, argmax: best };
}

/** Equal-width bins of the top-class probability: counts, mean confidence and accuracy. */
export class ReliabilityAccumulator {
  private readonly n = new Float64Array(RELIABILITY_BINS);
  private readonly conf = new Float64Array(RELIABILITY_BINS);
  private readonly hits = new Float64Array(RELIABILITY_BINS);

  add(confidence: number, correct: boolean): void {
    const b = Math.min(RELIABILITY_BINS - 1, Math.max(0, Math.floor(confidence * RELIABILITY_BINS)));
    this.n[b]++;
    this.conf[b] += confidence;
    if (correct) this.hits[b]++;
  }

  result(): Reliability {
    let total = 0;
    for (const v of this.n) total += v;
    let ece = 0;
    const bins = Array.from({ length: RELIABILITY_BINS }, (_, b) => {
      const n = this.n[b];
      const confidence = n ? this.conf[b] / n : (b + 0.5) / RELIABILITY_BINS;
      const accuracy = n ? this.hits[b] / n : 0;
      if (n) ece += (n / total) * Math.abs(accuracy - confidence);
      return { lo: b / RELIABILITY_BINS, hi: (b + 1) / RELIABILITY_BINS, n, confidence, accuracy };
    });
    return { bins, ece };
  }
}

/** Stratified calibration folds for heads without cross-fit folds (given logits). */
export function calibrationRng(seed: number, head: string): Rng {
  return Rng.derive(seed, `calibration ${head}`);
}
