/**
 * Semi-supervised bounds on synergy (Liang et al., "Multimodal learning without labeled multimodal
 * data", arXiv 2306.04539), computed on a discrete table as docs/pid.md ("Semi-supervised bounds")
 * defines them. R, U1 and U2 need only P(x1,y) and P(x2,y); S needs the full joint, hence bounds:
 *
 * - S_R (from redundancy): S = R − I(X1;X2) + I(X1;X2|Y), with the last term replaced by its minimum
 *   over joints that share the known margins.
 *   `full`: all three pair margins; any IPF iterate Q from uniform gives max H_r ≤ −Σ P ln Q, so
 *   S_R = R − I(X1;X2) + H(X1,Y) + H(X2,Y) − H(Y) + Σ P ln Q.
 *   `repo` (the authors' `lower_R`): only r(x1,x2) and r(x1,y) (or mirrored); max H_r(X1|X2,Y) is the
 *   BROJA solver on the permuted table, taken at its certificate LB; the larger of the two.
 * - S_D (from disagreement): with Bayes posteriors p1 = p(y|x1), p2 = p(y|x2) and Pinsker,
 *   S ≥ α/8 − max(U1, U2), α = E_{p(x1,x2)} ‖p1 − p2‖₁².
 * - S_U (upper): S = H(X1,X2) + H(Y) − H(X1,X2,Y) − I*, and H(X1,X2,Y) ≥ the entropy of the
 *   majorization meet of any pair of its marginals (every coupling has entropy at least that).
 *
 * Each BROJA quantity is taken at the end of its certified interval [H(Y) + LB, H(Y) + f] that
 * loosens the bound, so the bounds hold whatever the solver's remaining gap.
 */
import { type BrojaOptions, type BrojaResult, broja, solveMinSynergy } from './broja';
import { type JointTable, entropy, marginals, permuteTable, tableInfo } from './table';

export interface IpfOptions {
  /** Stop when the largest margin residual is at most this (default 1e-9). */
  tol?: number;
  /** Most sweeps (default 10 000). */
  maxSweeps?: number;
}

export interface SynergyBounds {
  /** The lower bound from redundancy with all three pair margins (IPF): the tightest. */
  lowerRedundancy: number;
  /** The same from two pair margins (the authors' code), the larger of the two orientations. */
  lowerRedundancyRepo: number;
  /** α/8 − max(U1, U2), α from the table's own posteriors p(y|x1), p(y|x2). */
  lowerDisagreement: number;
  /** α = E‖p(y|x1) − p(y|x2)‖₁² over p(x1,x2). */
  alpha: number;
  /** max(lowerRedundancy, lowerDisagreement). */
  lower: number;
  /** The upper bound via the majorization meet. */
  upper: number;
  /** The entropy lower bound H_lb ≤ H(X1,X2,Y) used by the upper bound. */
  jointEntropyLowerBound: number;
  ipf: { sweeps: number; residual: number; converged: boolean };
  /** The labelled table's own BROJA S (labels are known here): lower ≤ S ≤ upper must hold. */
  brojaS: number;
}

/**
 * Maximum-entropy joint with the three pair margins of `t`, by iterative proportional fitting from
 * uniform. Returns Q (log-linear in the pair margins at every sweep) and Σ P ln Q.
 */
export function ipfMaxEntropy(t: JointTable, opts: IpfOptions = {}): { q: Float64Array; crossEntropy: number; sweeps: number; residual: number; converged: boolean } {
  const tol = opts.tol ?? 1e-9;
  const maxSweeps = opts.maxSweeps ?? 10000;
  const { n1, n2, ny, p } = t;
  const m = marginals(t);
  const q = new Float64Array(p.length).fill(1 / p.length);
  const s12 = new Float64Array(n1 * n2);
  const s1y = new Float64Array(n1 * ny);
  const s2y = new Float64Array(n2 * ny);
  let sweeps = 0;
  let residual = Infinity;
  const fit = () => {
    // (x1, x2)
    s12.fill(0);
    for (let k = 0; k < n1 * n2; k++) for (let y = 0; y < ny; y++) s12[k] += q[k * ny + y];
    for (let k = 0; k < n1 * n2; k++) {
      const f = s12[k] > 0 ? m.p12[k] / s12[k] : 0;
      for (let y = 0; y < ny; y++) q[k * ny + y] *= f;
    }
    // (x1, y)
    s1y.fill(0);
    for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) for (let y = 0; y < ny; y++) s1y[a * ny + y] += q[(a * n2 + b) * ny + y];
    for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) for (let y = 0; y < ny; y++) {
      const s = s1y[a * ny + y];
      q[(a * n2 + b) * ny + y] *= s > 0 ? m.p1y[a * ny + y] / s : 0;
    }
    // (x2, y)
    s2y.fill(0);
    for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) for (let y = 0; y < ny; y++) s2y[b * ny + y] += q[(a * n2 + b) * ny + y];
    for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) for (let y = 0; y < ny; y++) {
      const s = s2y[b * ny + y];
      q[(a * n2 + b) * ny + y] *= s > 0 ? m.p2y[b * ny + y] / s : 0;
    }
  };
  const marginResidual = () => {
    const qm = marginals({ n1, n2, ny, p: q });
    let r = 0;
    for (let k = 0; k < qm.p12.length; k++) r = Math.max(r, Math.abs(qm.p12[k] - m.p12[k]));
    for (let k = 0; k < qm.p1y.length; k++) r = Math.max(r, Math.abs(qm.p1y[k] - m.p1y[k]));
    for (let k = 0; k < qm.p2y.length; k++) r = Math.max(r, Math.abs(qm.p2y[k] - m.p2y[k]));
    return r;
  };
  while (sweeps < maxSweeps) {
    fit();
    sweeps++;
    if (sweeps % 10 === 0 || sweeps < 10) {
      residual = marginResidual();
      if (residual <= tol) break;
    }
  }
  residual = marginResidual();
  let crossEntropy = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) crossEntropy += p[i] * Math.log(q[i]);
  }
  return { q, crossEntropy, sweeps, residual, converged: residual <= tol };
}

/**
 * The majorization meet of two probability vectors: both sorted descending and zero-padded, z_i =
 * min(cumsum p, cumsum q)_i − Σ_{j<i} z_j. Every coupling of p and q has entropy ≥ H(z).
 */
export function majorizationMeet(p: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  const a = Array.from(p).filter((v) => v > 0).sort((x, y) => y - x);
  const b = Array.from(q).filter((v) => v > 0).sort((x, y) => y - x);
  const n = Math.max(a.length, b.length);
  const z = new Float64Array(n);
  let ca = 0;
  let cb = 0;
  let cz = 0;
  for (let i = 0; i < n; i++) {
    ca += a[i] ?? 0;
    cb += b[i] ?? 0;
    const v = Math.min(ca, cb) - cz;
    z[i] = Math.max(0, v);
    cz += z[i];
  }
  return z;
}

/** All bounds of a table (nats). `pid` is the table's BROJA PID when already computed. */
export function synergyBounds(t: JointTable, opts: { broja?: BrojaOptions; ipf?: IpfOptions; pid?: BrojaResult } = {}): SynergyBounds {
  const pid = opts.pid ?? broja(t, opts.broja);
  const m = marginals(t);
  const info = tableInfo(t, m);
  const { n1, n2, ny } = t;
  // BROJA quantities at the loosening end of I* ∈ [iStarLower, iStar]
  const iHi = pid.iStar;
  const iLo = Math.min(pid.iStarLower, pid.iStar);
  const Rloose = info.I1 + info.I2 - iHi;
  const Umax = Math.max(iHi - info.I2, iHi - info.I1);

  // S_R, full: IPF
  const ipf = ipfMaxEntropy(t, opts.ipf);
  const lowerRedundancy = Rloose - info.I1x2 + info.H1Y + info.H2Y - info.HY + ipf.crossEntropy;

  // S_R, repo: min I(X1;X2|Y) ≥ H(X1|Y) + LB of the solver on (x2, y, x1), and mirrored
  const perm1 = solveMinSynergy(permuteTable(t, [1, 2, 0]), opts.broja);
  const perm2 = solveMinSynergy(permuteTable(t, [0, 2, 1]), opts.broja);
  const h1gy = info.H1Y - info.HY;
  const h2gy = info.H2Y - info.HY;
  const minCondI = Math.max(0, h1gy + perm1.lowerBound, h2gy + perm2.lowerBound);
  const lowerRedundancyRepo = Rloose - info.I1x2 + minCondI;

  // S_D: α from the table's posteriors
  let alpha = 0;
  for (let a = 0; a < n1; a++) {
    if (m.p1[a] <= 0) continue;
    for (let b = 0; b < n2; b++) {
      const w = m.p12[a * n2 + b];
      if (w <= 0 || m.p2[b] <= 0) continue;
      let l1 = 0;
      for (let y = 0; y < ny; y++) l1 += Math.abs(m.p1y[a * ny + y] / m.p1[a] - m.p2y[b * ny + y] / m.p2[b]);
      alpha += w * l1 * l1;
    }
  }
  const lowerDisagreement = alpha / 8 - Umax;

  // S_U: H_lb from the majorization meets of three marginal pairs
  const hLb = Math.max(
    entropy(majorizationMeet(m.p12, m.py)),
    entropy(majorizationMeet(m.p1y, m.p2)),
    entropy(majorizationMeet(m.p2y, m.p1)),
  );
  const upper = info.H12 + info.HY - hLb - iLo;
  return {
    lowerRedundancy,
    lowerRedundancyRepo,
    lowerDisagreement,
    alpha,
    lower: Math.max(lowerRedundancy, lowerDisagreement),
    upper,
    jointEntropyLowerBound: hLb,
    ipf: { sweeps: ipf.sweeps, residual: ipf.residual, converged: ipf.converged },
    brojaS: pid.atoms.S,
  };
}

/** α̂ = mean over samples of ‖p̂(·|x1) − p̂(·|x2)‖₁² from two heads' class probabilities (N × C, row-major). */
export function headDisagreement(p1: Float64Array, p2: Float64Array, nClasses: number): number {
  const n = p1.length / nClasses;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let l1 = 0;
    for (let c = 0; c < nClasses; c++) l1 += Math.abs(p1[i * nClasses + c] - p2[i * nClasses + c]);
    s += l1 * l1;
  }
  return n > 0 ? s / n : NaN;
}
