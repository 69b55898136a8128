/**
 * L-BFGS (Nocedal & Wright, Algorithm 7.4 / 7.5) for the smooth convex objectives of the heads:
 * multinomial logistic regression and the bias / vector-scaling calibrators. The objective may be
 * asynchronous (its gradient is read back from tfjs). Line search: backtracking from the unit step
 * (the first iteration starts at 1/‖g‖) with the Armijo condition, each retry at the minimiser of the
 * quadratic through f(0), f′(0) and the rejected point (kept within [0.1, 0.5] of the last step); a
 * curvature pair with sᵀy ≤ 0 is not stored, so the inverse-Hessian approximation stays positive
 * definite.
 */
import { NumericalError } from '../numerical';

export type Objective = (x: Float64Array) => Promise<{ value: number; grad: Float64Array }> | { value: number; grad: Float64Array };

export interface LbfgsOptions {
  maxIter: number;
  /** Stop when the objective's relative decrease over one iteration falls below this, or ‖g‖∞ < tol. */
  tol: number;
  /** Curvature pairs kept (default 10). */
  memory?: number;
  signal?: AbortSignal;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** Objective evaluations, line-search trials included. */
  evaluations: number;
  converged: boolean;
}

const ARMIJO_C1 = 1e-4;
const MAX_BACKTRACKS = 30;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export async function minimizeLbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions): Promise<LbfgsResult> {
  const n = x0.length;
  const m = opts.memory ?? 10;
  let x = Float64Array.from(x0);
  let { value, grad } = await f(x);
  let evaluations = 1;
  if (!Number.isFinite(value)) throw new NumericalError(`L-BFGS: the objective is not finite at the start (${value})`);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  for (; iterations < opts.maxIter; iterations++) {
    opts.signal?.throwIfAborted();
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(grad[i]));
    if (gmax < opts.tol) {
      converged = true;
      break;
    }
    // two-loop recursion: d = −H·g
    d.set(grad);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], d);
      const y = Y[k];
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * y[i];
    }
    if (S.length) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], d);
      const s = S[k];
      for (let i = 0; i < n; i++) d[i] += s[i] * (alpha[k] - beta);
    }
    for (let i = 0; i < n; i++) d[i] = -d[i];
    let slope = dot(grad, d);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -grad[i];
      slope = dot(grad, d);
    }
    let step = S.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    // a predicted decrease below the objective's rounding (float32 sums: ~1e-7 relative) cannot be
    // verified by any line search: the minimum is reached to working precision
    if (-slope * step < 1e-7 * Math.max(1, Math.abs(value))) {
      converged = true;
      break;
    }
    let next: { value: number; grad: Float64Array } | undefined;
    const xNew = new Float64Array(n);
    for (let t = 0; t < MAX_BACKTRACKS; t++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      const trial = await f(xNew);
      evaluations++;
      if (Number.isFinite(trial.value) && trial.value <= value + ARMIJO_C1 * step * slope) {
        next = trial;
        break;
      }
      // the minimiser of the quadratic through f(0), f′(0) and f(step), kept within [0.1, 0.5]·step
      const q = Number.isFinite(trial.value) ? (-slope * step * step) / (2 * (trial.value - value - slope * step)) : 0.1 * step;
      step = Math.min(0.5 * step, Math.max(0.1 * step, q));
    }
    if (!next) {
      converged = true; // no decrease possible along the direction: at the optimum to working precision
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = next.grad[i] - grad[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const decrease = value - next.value;
    x = xNew;
    value = next.value;
    grad = next.grad;
    if (decrease <= opts.tol * Math.max(1, Math.abs(value))) {
      converged = true;
      iterations++;
      break;
    }
  }
  return { x, value, iterations, evaluations, converged };
}
