/**
 * The EM loop shared by every covariance type (./diag.ts, ./full.ts, ./tied.ts): E-step passes
 * until the mean log-likelihood stops improving, with progress that never goes backwards.
 */
import type { Matrix } from '../../io/matrix';
import type { EmSettings } from '../settings';
import type { Mixture } from './mixture';
import type { TransposedBlocks } from './rows';
import { NumericalError } from '../numerical';

/** What one covariance type's E- and M-steps work on. */
export interface FitContext {
  /** The rows being fitted. */
  X: Matrix;
  /** Float32-representable, so centring is exact in float32 and float64 alike. */
  center: Float64Array;
  /** Per-dimension variance floor. */
  floor: Float64Array;
  /** Rows per block. */
  rows: number;
  transposed: TransposedBlocks;
  signal?: AbortSignal;
}

export interface EmResult {
  model: Mixture;
  meanLogLik: number;
  iterations: number;
  converged: boolean;
}

/**
 * One E-step pass: the mean log-likelihood of `model` over the rows, and (when `wantNext`) the
 * M-step that turns the pass's statistics into the next parameters.
 */
export type EmStep = (
  model: Mixture,
  wantNext: boolean,
  onFraction: (fraction: number) => void,
) => Promise<{ meanLogLik: number; next?: () => Promise<Mixture> }>;

/**
 * EM from `init`: stops when the mean log-likelihood per row improves by less than `em.tol` nats (or
 * gets worse), or after `em.maxIter` M-steps. The model returned is the one whose log-likelihood was
 * measured last, so `meanLogLik` belongs to it.
 */
export async function runEm(step: EmStep, init: Mixture, em: EmSettings, report: (fraction: number) => void): Promise<EmResult> {
  const progress = new PassProgress(em.maxIter + 1, em.tol, report);
  let model = init;
  let previous = -Infinity;
  for (let iterations = 0; ; iterations++) {
    const { meanLogLik, next } = await step(model, iterations < em.maxIter, (f) => progress.within(iterations, f));
    if (!Number.isFinite(meanLogLik)) throw new NumericalError(`EM produced a non-finite log-likelihood (${meanLogLik}) at iteration ${iterations}`);
    const gain = meanLogLik - previous;
    if (gain < em.tol) return { model, meanLogLik, iterations, converged: true };
    if (!next) return { model, meanLogLik, iterations, converged: false };
    progress.passDone(iterations + 1, gain);
    const updated = await next();
    // dropping a component changes the model discontinuously: measure gains afresh from there
    previous = updated.K < model.K ? -Infinity : meanLogLik;
    model = updated;
  }
}

/**
 * Progress of an EM run of unknown length: the passes still needed are extrapolated from how fast
 * the log-likelihood gain shrinks (taken as geometric), capped by the pass budget. Never decreases.
 */
export class PassProgress {
  private expected: number;
  private lastGain = Infinity;

  constructor(
    private readonly maxPasses: number,
    private readonly tol: number,
    private readonly report: (fraction: number) => void,
  ) {
    this.expected = Math.min(maxPasses, 10);
  }

  within(pass: number, fraction: number): void {
    this.report(Math.min(1, (pass + fraction) / this.expected));
  }

  /** After `passes` passes, the last of which raised the mean log-likelihood by `gain` (≥ tol). */
  passDone(passes: number, gain: number): void {
    const ratio = gain / this.lastGain;
    this.lastGain = gain;
    let estimate = this.expected;
    if (ratio > 0 && ratio < 1) estimate = passes + Math.ceil(Math.log(this.tol / gain) / Math.log(ratio)) + 1;
    this.expected = Math.min(this.maxPasses, Math.max(passes + 1, estimate));
  }
}

/** Wraps a progress callback so that it only ever sees increasing fractions. */
export function monotone(report?: (fraction: number) => void): (fraction: number) => void {
  let last = -1;
  return (f) => {
    if (report && f > last) {
      last = f;
      report(f);
    }
  };
}

/** Maps [0, 1] onto [from, to] of a parent progress. */
export function span(report: (fraction: number) => void, from: number, to: number): (fraction: number) => void {
  return (f) => report(from + (to - from) * f);
}
