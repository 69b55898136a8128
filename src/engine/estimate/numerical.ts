/**
 * A fit that broke down numerically (a non-finite objective or log-likelihood, a covariance that is
 * not positive definite): usually the data's doing (extreme or degenerate values), sometimes a
 * backend's precision. The estimator turns it into an `LsmiInputError` with code `FIT_FAILED` that
 * names the stage and the column (lsmi.ts); on a GPU backend it is left as it is, so the pool reruns
 * the job on wasm.
 */
export class NumericalError extends Error {
  override readonly name = 'NumericalError';
  constructor(
    message: string,
    /** The rows whose output is not finite (the first few, and how many), when that is how it showed. */
    readonly rows?: { rows: number[]; count: number },
  ) {
    super(message);
  }
}

/** Also true for a NumericalError that crossed a worker boundary (only its name survives). */
export function isNumericalError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'NumericalError';
}
