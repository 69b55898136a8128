/**
 * One interface for the density models of h(x) = −log p̂(x) (docs/estimator.md, "Density"), scikit-learn style: `fit` on
 * some rows, `score` any rows (log p̂ per row), `report` what was fitted. EM (./em.ts, the default)
 * and KNIFE (./knife.ts, parity with the official code) implement it; ./index.ts and ./search.ts
 * use only this interface and these two classes.
 */
import type { Matrix } from '../../io/matrix';
import type { DensityReport } from '../../io/results';
import type { Rng } from '../../random';
import type { Covariance, EmSettings, KnifeSettings } from '../settings';
import { fitGmm, gmmLogPdf, type FitRows, type GmmParams } from './em';
import { fitKnife, knifeLogPdf, type KnifeParams } from './knife';

export interface DensityFitOptions {
  /** Drives every random choice of the fit (subsamples, seeding, batch order). */
  rng: Rng;
  /** Checked between row blocks / batches; aborting rejects with an Error named 'AbortError'. */
  signal?: AbortSignal;
  /** A fraction in [0, 1] that never decreases; 1 when the fit is done. */
  onProgress?: (fraction: number) => void;
}

export interface DensityScoreOptions {
  signal?: AbortSignal;
  /** Fraction of rows scored. */
  onProgress?: (fraction: number) => void;
}

export interface DensityModel {
  /** Fits the density to the rows of X (or to a seeded subsample of them: see `report().fitRows`). */
  fit(X: Matrix, opts: DensityFitOptions): Promise<this>;
  /** log p̂(x) per row of X, in nats. Needs a fit first. */
  score(X: Matrix, opts?: DensityScoreOptions): Promise<Float64Array>;
  /** What was fitted (the results file's DensityReport, without a search). Needs a fit first. */
  report(): DensityReport;
}

/** A Gaussian mixture fitted by EM ({@link fitGmm}). */
export class EmDensity implements DensityModel {
  /** The fitted parameters (undefined before `fit`). */
  params: GmmParams | undefined;

  /**
   * @param start.init start EM from these parameters (e.g. the density search's fit on other rows)
   *   instead of k-means++; K is then init's.
   * @param start.rows the rows to fit, already prepared (shared by several fits: see prepareFitRows);
   *   `fit` must then be given the same matrix.
   * @param start.startKey with `rows`: fits with the same key and K share one k-means initialisation.
   * @param start.fullFit full covariance: plain EM ('em', the default) or the shrunk fit from a tied start.
   */
  constructor(
    readonly K: number,
    readonly covariance: Covariance,
    readonly em: EmSettings,
    readonly start: { init?: GmmParams; rows?: FitRows; startKey?: string; fullFit?: 'em' | 'shrunk' } = {},
  ) {}

  async fit(X: Matrix, opts: DensityFitOptions): Promise<this> {
    const { init, rows, startKey, fullFit } = this.start;
    if (rows && rows.X !== X) throw new Error('EmDensity.fit: X is not the matrix its prepared rows were made from');
    this.params = await fitGmm(X, { K: init?.K ?? this.K, covariance: this.covariance, em: this.em, init, rows, startKey, fullFit, ...opts });
    return this;
  }

  score(X: Matrix, opts: DensityScoreOptions = {}): Promise<Float64Array> {
    return gmmLogPdf(this.fitted(), X, opts);
  }

  report(): DensityReport {
    const p = this.fitted();
    return { mode: 'em', covariance: p.covariance, K: p.K, iterations: p.iterations, converged: p.converged, meanLogLik: p.meanLogLik, fitRows: p.fitRows, ...(p.shrinkage ? { shrinkage: p.shrinkage } : {}) };
  }

  private fitted(): GmmParams {
    if (!this.params) throw new Error('the EM density has not been fitted');
    return this.params;
  }
}

/**
 * The official KNIFE mixture fitted by Adam ({@link fitKnife}): diagonal, or full (the official
 * lower-triangular shear). Its mean log-likelihood is that of the final parameters over the fitted
 * rows (scored once at the end of `fit`; scoring the same matrix again reuses those values).
 */
export class KnifeDensity implements DensityModel {
  params: KnifeParams | undefined;
  private fitRows = 0;
  private fitted: { X: Matrix; logp: Float64Array } | undefined;

  /** @param batchOrder the row order of every epoch (parity: both modalities share one, as the official loader does). */
  constructor(
    readonly K: number,
    readonly covariance: 'diag' | 'full',
    readonly settings: KnifeSettings,
    readonly batchOrder?: Int32Array[],
  ) {}

  async fit(X: Matrix, opts: DensityFitOptions): Promise<this> {
    const { params } = await fitKnife(X, { K: this.K, full: this.covariance === 'full', settings: this.settings, rng: opts.rng, batchOrder: this.batchOrder, signal: opts.signal, onProgress: opts.onProgress });
    this.params = params;
    this.fitRows = X.rows;
    this.fitted = { X, logp: await knifeLogPdf(params, X, this.settings.useTanh) };
    return this;
  }

  async score(X: Matrix, opts: DensityScoreOptions = {}): Promise<Float64Array> {
    if (!this.params || !this.fitted) throw new Error('the KNIFE density has not been fitted');
    const logp = X === this.fitted.X ? this.fitted.logp.slice() : await knifeLogPdf(this.params, X, this.settings.useTanh);
    opts.onProgress?.(1);
    return logp;
  }

  report(): DensityReport {
    if (!this.fitted) throw new Error('the KNIFE density has not been fitted');
    let s = 0;
    for (const v of this.fitted.logp) s += v;
    return { mode: 'knife', covariance: this.covariance, K: this.K, iterations: this.settings.epochs, meanLogLik: s / this.fitted.logp.length, fitRows: this.fitRows };
  }
}
