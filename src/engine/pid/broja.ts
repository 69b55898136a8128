/**
 * The BROJA partial information decomposition (Bertschinger, Rauh, Olbrich, Jost, Ay 2014) of a
 * discrete table P(x1, x2, y), as Liang et al.'s PID code computes it with a conic solver, here with
 * a solver written for it (docs/pid.md, "BROJA PID"):
 *
 *   I* = min over Q in Δ_P of I_Q(X1,X2;Y),  Δ_P = {Q ≥ 0 : Q(x1,y) = P(x1,y), Q(x2,y) = P(x2,y)}
 *   R = I(X1;Y) + I(X2;Y) − I*,  U1 = I* − I(X2;Y),  U2 = I* − I(X1;Y),  S = I_P(X1,X2;Y) − I*
 *
 * On Δ_P, I_Q(X1,X2;Y) = H(Y) + f(Q) with f(Q) = Σ Q ln Q(y|x1,x2) = −H_Q(Y|X1,X2), so the solver
 * minimises f. Alternating I-projection (Csiszár–Tusnády): with r = Σ_y Q, the next Q is the
 * I-projection of r(x1,x2)·P(y) onto Δ_P, which splits into one Sinkhorn scaling per class y (rows to
 * P(x1,y), columns to P(x2,y)); the scalings carry over between steps. This is mirror descent with
 * step 1 on f, which is 1-smooth relative to Σ Q ln Q, so f decreases and f(Q_k) − min f ≤
 * ln min(|X1|,|X2|)/k.
 *
 * Convergence is certified, not assumed: the Sinkhorn scalings give dual variables λ(x1,y) =
 * ln α + ln P(y), μ(x2,y) = ln β; shifting λ by max_x2 m(x1,x2), m = ln Σ_y e^{λ+μ}, makes them
 * feasible for the dual (max Σ P(x1,y)λ + Σ P(x2,y)μ s.t. Σ_y e^{λ+μ} ≤ 1 for every pair), whose value
 * LB ≤ min f. The gap f(Q) − LB bounds the error of I*, which lies in [H(Y) + LB, H(Y) + f(Q)].
 */
import { type JointTable, type Marginals, type TableInfo, marginals, tableInfo } from './table';

export interface BrojaOptions {
  /** Stop when the duality gap f(Q) − LB is at most this (nats; default 1e-6). */
  tol?: number;
  /** Most outer steps (default 20 000). */
  maxSteps?: number;
  /** Sinkhorn stops when the largest row residual is below this (default 1e-12). */
  innerTol?: number;
  /** Most Sinkhorn sweeps of a checked step (default 1000). */
  maxInner?: number;
  /**
   * Between checks, Sinkhorn stops at a row residual of this times the last gap (at most 1e-6, at
   * least innerTol): a projection that is exact only where it matters (default 1e-2).
   */
  relTol?: number;
  /** Every this many steps (and the first 10), the projection is solved exactly and the gap checked (default 50). */
  checkEvery?: number;
}

/** Atoms with |x| below this are set to 0 (round-off); larger negatives would be a bug. */
export const ATOM_ZERO = 1e-9;
/** A gap above this gets a warning. */
export const GAP_WARN = 1e-4;

export interface PidAtoms {
  R: number;
  U1: number;
  U2: number;
  S: number;
}

export interface BrojaResult {
  atoms: PidAtoms;
  /** min I_Q(X1,X2;Y) (the primal value H(Y) + f(Q)), and the certified interval it lies in. */
  iStar: number;
  iStarLower: number;
  /** f(Q) − LB (nats). */
  gap: number;
  /** The dual lower bound LB on min f = −max H_Q(Y|X1,X2). */
  lowerBound: number;
  /** The primal value f(Q) = −H_Q(Y|X1,X2) of the returned Q. */
  value: number;
  steps: number;
  converged: boolean;
  /** Largest |Q(x1,y) − P(x1,y)| or |Q(x2,y) − P(x2,y)| of the returned Q. */
  residual: number;
  /** The optimal Q (same layout as the table). */
  q: Float64Array;
  info: TableInfo;
  seconds: number;
}

/** The solver alone: min f(Q) = Σ Q ln Q(y|x1,x2) over Δ_P, with its certificate. */
export function solveMinSynergy(t: JointTable, opts: BrojaOptions = {}, m: Marginals = marginals(t)): { q: Float64Array; value: number; lowerBound: number; gap: number; steps: number; converged: boolean; residual: number } {
  const tol = opts.tol ?? 1e-6;
  const maxSteps = opts.maxSteps ?? 20000;
  const innerTol = opts.innerTol ?? 1e-12;
  const maxInner = opts.maxInner ?? 1000;
  const { n1, n2, ny } = t;
  const { p1y, p2y, py, p1 } = m;
  // per class: the rows and columns of its block (the mask is rows × cols)
  const rows: Int32Array[] = [];
  const cols: Int32Array[] = [];
  for (let y = 0; y < ny; y++) {
    const r: number[] = [];
    const c: number[] = [];
    if (py[y] > 0) {
      for (let a = 0; a < n1; a++) if (p1y[a * ny + y] > 0) r.push(a);
      for (let b = 0; b < n2; b++) if (p2y[b * ny + y] > 0) c.push(b);
    }
    rows.push(Int32Array.from(r));
    cols.push(Int32Array.from(c));
  }
  const q = new Float64Array(n1 * n2 * ny);
  for (let y = 0; y < ny; y++) {
    for (const a of rows[y]) for (const b of cols[y]) q[(a * n2 + b) * ny + y] = (p1y[a * ny + y] * p2y[b * ny + y]) / py[y];
  }
  const alpha = new Float64Array(n1 * ny).fill(1);
  const beta = new Float64Array(n2 * ny).fill(1);
  const r = new Float64Array(n1 * n2);
  const rowSum = new Float64Array(n1);
  const colSum = new Float64Array(n2);
  const mmax = new Float64Array(n1);
  let value = fValue(q, t);
  let lowerBound = -Infinity;
  let gap = Infinity;
  let steps = 0;
  let residual = 0;
  const relTol = opts.relTol ?? 1e-2;
  const checkEvery = opts.checkEvery ?? 50;
  // checks on the inexact iterates are cheap; one below tol triggers an exact step, whose gap counts
  let confirm = false;
  let exact = false;
  while (steps < maxSteps) {
    steps++;
    exact = confirm || steps === maxSteps;
    confirm = false;
    const check = exact || steps <= 10 || steps % checkEvery === 0;
    r.fill(0);
    for (let k = 0, cell = 0; k < n1 * n2; k++) for (let y = 0; y < ny; y++, cell++) r[k] += q[cell];
    // Sinkhorn per class on M(a,b) = r(a,b)·P(y), warm-started from the last scalings
    residual = 0;
    for (let y = 0; y < ny; y++) {
      const R = rows[y];
      const C = cols[y];
      if (R.length === 0) continue;
      const pyy = py[y];
      let res = Infinity;
      const stepTol = exact ? innerTol : Math.max(innerTol, Math.min(1e-3, gap * relTol));
      for (let it = 0; it < maxInner; it++) {
        for (const a of R) {
          let s = 0;
          for (const b of C) s += r[a * n2 + b] * beta[b * ny + y];
          rowSum[a] = s * pyy;
          const v = p1y[a * ny + y] / rowSum[a];
          if (v > 0 && v < Infinity) alpha[a * ny + y] = v;
        }
        for (const b of C) colSum[b] = 0;
        for (const a of R) {
          const al = alpha[a * ny + y] * pyy;
          for (const b of C) colSum[b] += al * r[a * n2 + b];
        }
        for (const b of C) {
          const v = p2y[b * ny + y] / colSum[b];
          if (v > 0 && v < Infinity) beta[b * ny + y] = v;
        }
        // row residual after the column update
        res = 0;
        for (const a of R) {
          let s = 0;
          for (const b of C) s += r[a * n2 + b] * beta[b * ny + y];
          res = Math.max(res, Math.abs(alpha[a * ny + y] * pyy * s - p1y[a * ny + y]));
        }
        if (res < stepTol) break;
      }
      residual = Math.max(residual, res);
      for (const a of R) {
        const al = alpha[a * ny + y] * pyy;
        for (const b of C) q[(a * n2 + b) * ny + y] = al * r[a * n2 + b] * beta[b * ny + y];
      }
    }
    if (!check) continue;
    const v = fValue(q, t);
    // the certificate: dual value of the shifted Sinkhorn potentials
    let dual = 0;
    for (let y = 0; y < ny; y++) {
      if (py[y] <= 0) continue;
      for (const a of rows[y]) dual += p1y[a * ny + y] * (Math.log(alpha[a * ny + y]) + Math.log(py[y]));
      for (const b of cols[y]) dual += p2y[b * ny + y] * Math.log(beta[b * ny + y]);
    }
    mmax.fill(-Infinity);
    for (let a = 0; a < n1; a++) {
      if (p1[a] <= 0) continue;
      for (let b = 0; b < n2; b++) {
        let s = 0;
        for (let y = 0; y < ny; y++) {
          if (p1y[a * ny + y] > 0 && p2y[b * ny + y] > 0) s += alpha[a * ny + y] * py[y] * beta[b * ny + y];
        }
        if (s > 0) mmax[a] = Math.max(mmax[a], Math.log(s));
      }
      dual -= p1[a] * mmax[a];
    }
    if (Number.isFinite(dual)) lowerBound = Math.max(lowerBound, dual);
    if (exact) {
      value = v;
      gap = value - lowerBound;
      if (gap <= tol) break;
    } else if (v - lowerBound <= tol) confirm = true;
    else gap = Math.min(gap, v - lowerBound);
  }
  return { q, value, lowerBound, gap, steps, converged: gap <= tol, residual };
}

/** f(Q) = Σ Q ln(Q / Σ_y Q) = −H_Q(Y|X1,X2). */
function fValue(q: Float64Array, t: JointTable): number {
  const { ny } = t;
  let f = 0;
  for (let k = 0; k < t.n1 * t.n2; k++) {
    let r = 0;
    for (let y = 0; y < ny; y++) r += q[k * ny + y];
    if (r <= 0) continue;
    for (let y = 0; y < ny; y++) {
      const v = q[k * ny + y];
      if (v > 0) f += v * Math.log(v / r);
    }
  }
  return f;
}

const clamp0 = (x: number) => (Math.abs(x) < ATOM_ZERO ? 0 : x);

/** The BROJA PID of a table (nats). */
export function broja(t: JointTable, opts: BrojaOptions = {}): BrojaResult {
  const t0 = performance.now();
  checkTable(t);
  const m = marginals(t);
  const info = tableInfo(t, m);
  const sol = solveMinSynergy(t, opts, m);
  const iStar = info.HY + sol.value;
  const atoms: PidAtoms = {
    R: clamp0(info.I1 + info.I2 - iStar),
    U1: clamp0(iStar - info.I2),
    U2: clamp0(iStar - info.I1),
    S: clamp0(info.I12 - iStar),
  };
  return {
    atoms,
    iStar,
    iStarLower: info.HY + sol.lowerBound,
    gap: sol.gap,
    lowerBound: sol.lowerBound,
    value: sol.value,
    steps: sol.steps,
    converged: sol.converged,
    residual: sol.residual,
    q: sol.q,
    info,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** A table must be a finite, non-negative probability table of the stated size (a bug otherwise). */
export function checkTable(t: JointTable): void {
  if (!(t.n1 >= 1 && t.n2 >= 1 && t.ny >= 1) || t.p.length !== t.n1 * t.n2 * t.ny) throw new Error(`table of ${t.p.length} cells is not ${t.n1}×${t.n2}×${t.ny}`);
  let s = 0;
  for (const v of t.p) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`table has a cell ${v}`);
    s += v;
  }
  if (Math.abs(s - 1) > 1e-9) throw new Error(`table sums to ${s}, not 1`);
}
