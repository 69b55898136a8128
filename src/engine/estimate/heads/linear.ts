/**
 * Linear heads z = x·W + b (LDA and logistic regression) on tfjs: scoring in row blocks, and the
 * sufficient statistics of a set of rows (class counts, class sums, the Gram matrix) that LDA is
 * computed from. Every product is a 2-D non-transposed matMul (the only kind XNNPACK runs fast on
 * the wasm backend: docs/compute.md, "Writing engine code for these backends"), so row blocks are gathered and transposed in JS.
 */
import { initBackend, tf } from '../../compute/backend';
import { type HeadData, Pacer, gatherRows, inputWidth, transpose } from './rows';

/** Rows per block when scoring or accumulating statistics. */
export const BLOCK_ROWS = 2048;

/** A linear head on raw inputs: z = ((x − shift) ⊙ invScale)·W + b. */
export interface LinearModel {
  shift: Float64Array;
  invScale: Float64Array;
  /** d×C, row-major. */
  W: Float32Array;
  b: Float32Array;
  nClasses: number;
}

/** Logits of `rows` (rows.length × C, row-major). */
export async function scoreLinear(data: HeadData, model: LinearModel, rows: Int32Array, signal?: AbortSignal): Promise<Float32Array> {
  await initBackend();
  const d = model.shift.length;
  const C = model.nClasses;
  const out = new Float32Array(rows.length * C);
  const x = new Float32Array(Math.min(BLOCK_ROWS, rows.length) * d);
  const pacer = new Pacer(signal);
  const W = tf.tensor2d(model.W, [d, C]);
  const b = tf.tensor2d(model.b, [1, C]);
  try {
    for (let start = 0; start < rows.length; start += BLOCK_ROWS) {
      const part = rows.subarray(start, Math.min(start + BLOCK_ROWS, rows.length));
      gatherRows(data, part, model.shift, model.invScale, x);
      const z = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(x.subarray(0, part.length * d), [part.length, d]), W), b));
      out.set((await z.data()) as Float32Array, start * C);
      z.dispose();
      await pacer.tick();
    }
  } finally {
    W.dispose();
    b.dispose();
  }
  return out;
}

/** Sufficient statistics of a set of rows, in shifted coordinates x − shift (float64). */
export interface Moments {
  n: number;
  /** Rows per class. */
  counts: Float64Array;
  /** C×d class sums of x − shift. */
  sums: Float64Array;
  /** d×d Σ (x − shift)(x − shift)ᵀ (full, symmetric). */
  gram: Float64Array;
}

export function emptyMoments(C: number, d: number): Moments {
  return { n: 0, counts: new Float64Array(C), sums: new Float64Array(C * d), gram: new Float64Array(d * d) };
}

/** a += sign·b, in place. */
export function addMoments(a: Moments, b: Moments, sign = 1): void {
  a.n += sign * b.n;
  for (let i = 0; i < a.counts.length; i++) a.counts[i] += sign * b.counts[i];
  for (let i = 0; i < a.sums.length; i++) a.sums[i] += sign * b.sums[i];
  const g = a.gram;
  const h = b.gram;
  for (let i = 0; i < g.length; i++) g[i] += sign * h[i];
}

/**
 * Moments of `rows`: the Gram matrix by tfjs (XᵀX per block, block results added in float64), class
 * sums and counts in JS. `shift` should be near the data's mean (it keeps float32 products accurate).
 */
export async function moments(data: HeadData, rows: Int32Array, shift: Float64Array, signal?: AbortSignal): Promise<Moments> {
  await initBackend();
  const d = inputWidth(data);
  const C = data.nClasses;
  const m = emptyMoments(C, d);
  const block = Math.min(BLOCK_ROWS, rows.length);
  const x = new Float32Array(block * d);
  const xt = new Float32Array(block * d);
  const ones = new Float64Array(d).fill(1);
  const pacer = new Pacer(signal);
  for (let start = 0; start < rows.length; start += block) {
    const part = rows.subarray(start, Math.min(start + block, rows.length));
    const B = part.length;
    gatherRows(data, part, shift, ones, x);
    transpose(x, B, d, xt);
    const g = tf.tidy(() => tf.matMul(tf.tensor2d(xt.subarray(0, B * d), [d, B]), tf.tensor2d(x.subarray(0, B * d), [B, d])));
    const gv = (await g.data()) as Float32Array;
    g.dispose();
    const gram = m.gram;
    for (let i = 0; i < gram.length; i++) gram[i] += gv[i];
    for (let i = 0; i < B; i++) {
      const y = data.labels[part[i]];
      m.counts[y]++;
      const o = y * d;
      const xo = i * d;
      for (let k = 0; k < d; k++) m.sums[o + k] += x[xo + k];
    }
    m.n += B;
    await pacer.tick();
  }
  return m;
}

/** The mean of (up to 4096 evenly spaced) rows, rounded to float32: a shift for {@link moments}. */
export function rowShift(data: HeadData, rows: Int32Array): Float64Array {
  const d = inputWidth(data);
  const step = Math.max(1, Math.floor(rows.length / 4096));
  const picked: number[] = [];
  for (let i = 0; i < rows.length; i += step) picked.push(rows[i]);
  const x = new Float32Array(picked.length * d);
  gatherRows(data, picked, new Float64Array(d), new Float64Array(d).fill(1), x);
  const mean = new Float64Array(d);
  for (let i = 0; i < picked.length; i++) for (let k = 0; k < d; k++) mean[k] += x[i * d + k];
  return Float64Array.from(Float32Array.from(mean, (v) => v / picked.length));
}
