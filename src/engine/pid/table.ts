/**
 * Discrete joint distributions P(x1, x2, y) on finite alphabets, and the plug-in information
 * quantities on them (nats). Used by the BROJA PID and the semi-supervised bounds (docs/pid.md).
 * Layout: cell (a, b, y) at index (a·n2 + b)·ny + y.
 */

export interface JointTable {
  n1: number;
  n2: number;
  ny: number;
  /** Probabilities, summing to 1. */
  p: Float64Array;
}

export const idx = (t: { n2: number; ny: number }, a: number, b: number, y: number): number => (a * t.n2 + b) * t.ny + y;

/** A table from (x1, x2, y) triples with weights (default 1 each), normalised. */
export function tableFromTriples(triples: readonly (readonly [number, number, number, number?])[], dims?: [number, number, number]): JointTable {
  const n1 = dims?.[0] ?? Math.max(...triples.map((t) => t[0])) + 1;
  const n2 = dims?.[1] ?? Math.max(...triples.map((t) => t[1])) + 1;
  const ny = dims?.[2] ?? Math.max(...triples.map((t) => t[2])) + 1;
  const p = new Float64Array(n1 * n2 * ny);
  let total = 0;
  for (const [a, b, y, w = 1] of triples) {
    p[(a * n2 + b) * ny + y] += w;
    total += w;
  }
  for (let i = 0; i < p.length; i++) p[i] /= total;
  return { n1, n2, ny, p };
}

/** The empirical table of N samples' cluster ids and labels (Liang et al.'s convert_data_to_distribution). */
export function tableFromSamples(c1: ArrayLike<number>, c2: ArrayLike<number>, y: ArrayLike<number>, n1: number, n2: number, ny: number): JointTable {
  const p = new Float64Array(n1 * n2 * ny);
  const n = y.length;
  for (let i = 0; i < n; i++) p[(c1[i] * n2 + c2[i]) * ny + y[i]] += 1;
  for (let i = 0; i < p.length; i++) p[i] /= n;
  return { n1, n2, ny, p };
}

export interface Marginals {
  /** P(x1, y): n1 × ny */
  p1y: Float64Array;
  /** P(x2, y): n2 × ny */
  p2y: Float64Array;
  /** P(x1, x2): n1 × n2 */
  p12: Float64Array;
  p1: Float64Array;
  p2: Float64Array;
  py: Float64Array;
}

export function marginals(t: JointTable): Marginals {
  const { n1, n2, ny, p } = t;
  const p1y = new Float64Array(n1 * ny);
  const p2y = new Float64Array(n2 * ny);
  const p12 = new Float64Array(n1 * n2);
  const p1 = new Float64Array(n1);
  const p2 = new Float64Array(n2);
  const py = new Float64Array(ny);
  for (let a = 0; a < n1; a++) {
    for (let b = 0; b < n2; b++) {
      for (let y = 0; y < ny; y++) {
        const v = p[(a * n2 + b) * ny + y];
        if (v === 0) continue;
        p1y[a * ny + y] += v;
        p2y[b * ny + y] += v;
        p12[a * n2 + b] += v;
        p1[a] += v;
        p2[b] += v;
        py[y] += v;
      }
    }
  }
  return { p1y, p2y, p12, p1, p2, py };
}

/** Shannon entropy (nats) of a probability vector (zeros contribute 0). */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
}

/** The plug-in information quantities of a table (nats). */
export interface TableInfo {
  H1: number;
  H2: number;
  HY: number;
  H12: number;
  H1Y: number;
  H2Y: number;
  H12Y: number;
  /** I(X1;Y), I(X2;Y), I(X1,X2;Y), I(X1;X2) */
  I1: number;
  I2: number;
  I12: number;
  I1x2: number;
}

export function tableInfo(t: JointTable, m: Marginals = marginals(t)): TableInfo {
  const H1 = entropy(m.p1);
  const H2 = entropy(m.p2);
  const HY = entropy(m.py);
  const H12 = entropy(m.p12);
  const H1Y = entropy(m.p1y);
  const H2Y = entropy(m.p2y);
  const H12Y = entropy(t.p);
  return { H1, H2, HY, H12, H1Y, H2Y, H12Y, I1: H1 + HY - H1Y, I2: H2 + HY - H2Y, I12: H12 + HY - H12Y, I1x2: H1 + H2 - H12 };
}

/** The table with its axes permuted: `order` names, for each new axis, the old axis (0: x1, 1: x2, 2: y). */
export function permuteTable(t: JointTable, order: [number, number, number]): JointTable {
  const dims = [t.n1, t.n2, t.ny];
  const nd = order.map((o) => dims[o]) as [number, number, number];
  const p = new Float64Array(t.p.length);
  const old = [0, 0, 0];
  for (old[0] = 0; old[0] < t.n1; old[0]++) {
    for (old[1] = 0; old[1] < t.n2; old[1]++) {
      for (old[2] = 0; old[2] < t.ny; old[2]++) {
        const v = t.p[(old[0] * t.n2 + old[1]) * t.ny + old[2]];
        p[(old[order[0]] * nd[1] + old[order[1]]) * nd[2] + old[order[2]]] = v;
      }
    }
  }
  return { n1: nd[0], n2: nd[1], ny: nd[2], p };
}
