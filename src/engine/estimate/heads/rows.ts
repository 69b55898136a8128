/**
 * Row bookkeeping shared by the probe families, the cross-fit and the calibration: stratified folds,
 * splits and subsamples, gathering standardised rows out of a head's input matrices, and the
 * log-loss of a block of logits.
 */
import { type Matrix, chunkIndex } from '../../io/matrix';
import type { Rng } from '../../random';

/** The inputs of one head: `[emb1]`, `[emb2]` or `[emb1, emb2]` (concatenated per row), and the labels. */
export interface HeadData {
  inputs: Matrix[];
  labels: Int32Array;
  nClasses: number;
}

/** Total columns of the concatenated inputs. */
export function inputWidth(data: HeadData): number {
  let d = 0;
  for (const m of data.inputs) d += m.cols;
  return d;
}

/**
 * Per-class positions of `rows` after a seeded shuffle within each class, classes laid end to end:
 * position j of this order assigned to fold j mod K spreads every class evenly over the folds.
 */
function stratifiedOrder(rows: Int32Array, labels: Int32Array, rng: Rng): number[] {
  const byClass = new Map<number, number[]>();
  rows.forEach((r, j) => {
    const y = labels[r];
    const list = byClass.get(y);
    if (list) list.push(j);
    else byClass.set(y, [j]);
  });
  const order: number[] = [];
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) order.push(...rng.shuffle(byClass.get(y)!));
  return order;
}

/**
 * Stratified fold of each of `rows` (0..K−1): every class's rows are shuffled, the classes are laid
 * end to end, and position j goes to fold j mod K, so folds differ in size by at most one and every
 * class is spread evenly.
 */
export function stratifiedFolds(rows: Int32Array, labels: Int32Array, K: number, rng: Rng): Int32Array {
  const fold = new Int32Array(rows.length);
  stratifiedOrder(rows, labels, rng).forEach((j, pos) => (fold[j] = pos % K));
  return fold;
}

/**
 * A stratified seeded subsample of at most `m` of `rows` (all of them when there are no more): evenly
 * spaced positions of the stratified order, so every class keeps its share (±1), in row order.
 */
export function stratifiedSubsample(rows: Int32Array, labels: Int32Array, m: number, rng: Rng): Int32Array {
  if (rows.length <= m) return rows;
  const order = stratifiedOrder(rows, labels, rng);
  const out = new Int32Array(m);
  for (let j = 0; j < m; j++) out[j] = rows[order[Math.floor((j * rows.length) / m)]];
  return out.sort();
}

/** Splits `rows` into a stratified held-out share `fraction` (at least one row each side when possible) and the rest. */
export function stratifiedSplit(rows: Int32Array, labels: Int32Array, fraction: number, rng: Rng): { train: Int32Array; val: Int32Array } {
  const K = Math.max(2, Math.round(1 / fraction));
  const fold = stratifiedFolds(rows, labels, K, rng);
  const train: number[] = [];
  const val: number[] = [];
  rows.forEach((r, j) => (fold[j] === 0 ? val : train).push(r));
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}

/** Per concatenated input feature: mean and standard deviation (1 where it is 0) over `rows`, in float64. */
export function standardisation(data: HeadData, rows: Int32Array): { mean: Float64Array; scale: Float64Array } {
  const width = inputWidth(data);
  const mean = new Float64Array(width);
  const scale = new Float64Array(width);
  const n = rows.length;
  let offset = 0;
  for (const m of data.inputs) {
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
      scale[offset + k] = sd > 1e-12 * Math.max(1, Math.abs(shift[k] + mu)) && Number.isFinite(sd) ? sd : 1;
    }
    offset += cols;
  }
  return { mean, scale };
}

/** Writes the standardised concatenated inputs of `rows`, `(x − mean) / scale`, into `out` (row-major, float32). */
export function gatherRows(data: HeadData, rows: ArrayLike<number>, mean: Float64Array, invScale: Float64Array, out: Float32Array): void {
  const dIn = mean.length;
  let offset = 0;
  for (const m of data.inputs) {
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

/** `out` [cols × rows] = `a` [rows × cols]ᵀ, in tiles of 16 rows so the writes stay contiguous. */
export function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let i0 = 0; i0 < rows; i0 += 16) {
    const i1 = Math.min(i0 + 16, rows);
    for (let k = 0; k < cols; k++) {
      const o = k * rows;
      for (let i = i0; i < i1; i++) out[o + i] = a[i * cols + k];
    }
  }
}

/** `log softmax(z)[y]` of row `i` of a row-major logits block (max-shifted, float64). */
export function logSoftmaxAtRow(z: ArrayLike<number>, i: number, C: number, y: number): number {
  const o = i * C;
  let max = -Infinity;
  for (let c = 0; c < C; c++) if (z[o + c] > max) max = z[o + c];
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[o + c] - max);
  return z[o + y] - max - Math.log(s);
}

/** Mean −log softmax(z_i)[y_i] over the rows of a logits block; `labels[i]` belongs to row i. */
export function meanLogLoss(z: ArrayLike<number>, labels: ArrayLike<number>, C: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= logSoftmaxAtRow(z, i, C, labels[i]);
  return s / labels.length;
}

/** The labels of `rows`, in their order. */
export function labelsOf(labels: Int32Array, rows: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = labels[rows[i]];
  return out;
}

/** Give the event loop a turn (abort messages, progress) at least every 50 ms; abort checks every call. */
export class Pacer {
  private last = performance.now();

  constructor(private readonly signal?: AbortSignal) {}

  async tick(): Promise<void> {
    this.signal?.throwIfAborted();
    if (performance.now() - this.last < 50) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
    this.last = performance.now();
  }
}
