/**
 * The LSMI decomposition (docs/estimator.md, "Decomposition into r, u1, u2, s"): per-sample redundancy r, uniquenesses u1, u2 and synergy s
 * from pointwise MIs and pointwise entropies, then the official `RUS_adjustment`.
 *
 * Per sample (Finn–Lizier specificity/ambiguity split, as in the official code):
 *
 *   r+ = min(h1, h2)          r− = min(h1 − i1, h2 − i2)          r = r+ − r−
 *   u1 = i1 − r               u2 = i2 − r                         s = i12 − r − u1 − u2
 *
 * Equivalently r = max(i_lo, i_hi − |h1 − h2|), where `lo` is the modality with the smaller h.
 * Negative per-sample values are meaningful (misleading evidence) and are never clipped.
 *
 * Dataset level: means of the per-sample values, after one scalar `adj` is added to r and s and
 * subtracted from u1 and u2 for every sample (this keeps r+u1, r+u2 and r+u1+u2+s per sample):
 *
 *   if R̄ < 0 or S̄ < 0:      adj = −min(R̄, S̄)     (priority 1)
 *   elif Ū1 < 0 or Ū2 < 0:  adj = min(Ū1, Ū2)     (priority 2)
 *   else                    adj = 0
 */

/** Pointwise MIs (nats) and pointwise entropies h = −log p̂(x) (nats), one entry per sample. */
export interface PointwiseTerms {
  i1: Float64Array;
  i2: Float64Array;
  i12: Float64Array;
  h1: Float64Array;
  h2: Float64Array;
}

/**
 * Which branch of the RUS adjustment fired:
 * - `none`: all raw means R̄, Ū1, Ū2, S̄ are ≥ 0; adj = 0.
 * - `priority1_R_le_S`: R̄ < 0 or S̄ < 0, and R̄ ≤ S̄; adj = −R̄ (adjusted R̄ = 0).
 * - `priority1_S_lt_R`: R̄ < 0 or S̄ < 0, and S̄ < R̄; adj = −S̄ (adjusted S̄ = 0).
 * - `priority2`: R̄, S̄ ≥ 0 and Ū1 < 0 or Ū2 < 0; adj = min(Ū1, Ū2) (the smaller Ū becomes 0).
 */
export type AdjustBranch = 'none' | 'priority1_R_le_S' | 'priority1_S_lt_R' | 'priority2';

/** Dataset-level atoms: means over samples, in nats. */
export interface Atoms {
  R: number;
  U1: number;
  U2: number;
  S: number;
}

/** Per-sample atoms, one entry per sample. */
export interface PointwiseAtoms {
  r: Float64Array;
  u1: Float64Array;
  u2: Float64Array;
  s: Float64Array;
}

export interface Decomposition {
  /** Before the RUS adjustment. */
  raw: PointwiseAtoms;
  /** After it: r + adj, u1 − adj, u2 − adj, s + adj. */
  adjusted: PointwiseAtoms;
  branch: AdjustBranch;
  adj: number;
  means: { raw: Atoms; adjusted: Atoms };
}

/** Decomposes every sample and applies the official RUS adjustment (no per-sample clipping). */
export function decompose(t: PointwiseTerms): Decomposition {
  const n = t.i1.length;
  if (n === 0) throw new Error('cannot decompose an empty set of samples');
  for (const [name, a] of Object.entries(t) as [string, Float64Array][]) {
    if (a.length !== n) throw new Error(`pointwise term ${name} has ${a.length} values, expected ${n}`);
  }
  const raw: PointwiseAtoms = { r: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n), s: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const rPlus = Math.min(t.h1[i], t.h2[i]);
    const rMinus = Math.min(t.h1[i] - t.i1[i], t.h2[i] - t.i2[i]);
    const r = rPlus - rMinus;
    const u1 = t.i1[i] - r;
    const u2 = t.i2[i] - r;
    raw.r[i] = r;
    raw.u1[i] = u1;
    raw.u2[i] = u2;
    raw.s[i] = t.i12[i] - r - u1 - u2;
  }
  const rawMeans: Atoms = { R: mean(raw.r), U1: mean(raw.u1), U2: mean(raw.u2), S: mean(raw.s) };
  const { branch, adj } = adjustment(rawMeans);
  const adjusted: PointwiseAtoms = { r: new Float64Array(n), u1: new Float64Array(n), u2: new Float64Array(n), s: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    adjusted.r[i] = raw.r[i] + adj;
    adjusted.u1[i] = raw.u1[i] - adj;
    adjusted.u2[i] = raw.u2[i] - adj;
    adjusted.s[i] = raw.s[i] + adj;
  }
  const adjustedMeans: Atoms = { R: rawMeans.R + adj, U1: rawMeans.U1 - adj, U2: rawMeans.U2 - adj, S: rawMeans.S + adj };
  return { raw, adjusted, branch, adj, means: { raw: rawMeans, adjusted: adjustedMeans } };
}

/** The official `RUS_adjustment` decision on the raw means. */
export function adjustment(m: Atoms): { branch: AdjustBranch; adj: number } {
  if (m.R < 0 || m.S < 0) {
    return m.R <= m.S ? { branch: 'priority1_R_le_S', adj: -m.R } : { branch: 'priority1_S_lt_R', adj: -m.S };
  }
  if (m.U1 < 0 || m.U2 < 0) return { branch: 'priority2', adj: Math.min(m.U1, m.U2) };
  return { branch: 'none', adj: 0 };
}

/** Per-class sample counts and means of `values` (NaN for a class with no sample). */
export function classMeans(values: Float64Array, labels: Int32Array, nClasses: number): { n: number[]; mean: Float64Array } {
  if (labels.length !== values.length) throw new Error(`${labels.length} labels for ${values.length} values`);
  const n = new Array<number>(nClasses).fill(0);
  const sum = new Float64Array(nClasses);
  for (let i = 0; i < values.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < nClasses)) throw new Error(`row ${i}: label ${y} outside [0, ${nClasses})`);
    n[y]++;
    sum[y] += values[i];
  }
  const m = new Float64Array(nClasses);
  for (let c = 0; c < nClasses; c++) m[c] = n[c] > 0 ? sum[c] / n[c] : NaN;
  return { n, mean: m };
}

/**
 * Row indices of the k largest (`desc`) or smallest (`asc`) values, best first; among equal values
 * the smaller row index comes first. NaN values are never selected. O(N log k) with a bounded heap.
 */
export function topK(values: Float64Array, k: number, order: 'desc' | 'asc'): Int32Array {
  const sign = order === 'desc' ? 1 : -1;
  // a ranks before b
  const before = (a: number, b: number) => {
    const va = sign * values[a];
    const vb = sign * values[b];
    return va > vb || (va === vb && a < b);
  };
  const cap = Math.max(0, Math.min(Math.floor(k), values.length));
  // Heap of the best `cap` rows so far, with the worst of them at the root.
  const heap = new Int32Array(cap);
  let size = 0;
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const r = l + 1;
      const worse = r < size && before(heap[l], heap[r]) ? r : l;
      if (!before(heap[i], heap[worse])) return;
      const t = heap[i];
      heap[i] = heap[worse];
      heap[worse] = t;
      i = worse;
    }
  };
  if (cap > 0) {
    for (let row = 0; row < values.length; row++) {
      if (Number.isNaN(values[row])) continue;
      if (size < cap) {
        let i = size++;
        heap[i] = row;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!before(heap[p], heap[i])) break;
          const t = heap[i];
          heap[i] = heap[p];
          heap[p] = t;
          i = p;
        }
      } else if (before(row, heap[0])) {
        heap[0] = row;
        siftDown(0);
      }
    }
  }
  return heap.slice(0, size).sort((a, b) => (before(a, b) ? -1 : 1));
}

/** Mean with Neumaier-compensated summation (stable for millions of samples). */
function mean(a: Float64Array): number {
  let sum = 0;
  let comp = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return (sum + comp) / a.length;
}
