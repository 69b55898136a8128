/**
 * The density model for h(x) = −log p̂(x) of one modality, behind one call: EM (default) or KNIFE
 * (parity), with K and the covariance given or chosen ('auto').
 */
import type { Matrix } from '../../io/matrix';
import type { DensityReport } from '../../io/results';
import type { Rng } from '../../random';
import type { EstimatorSettings } from '../settings';
import { fitGmm, gmmLogPdf } from './em';
import { fitKnife, knifeLogPdf } from './knife';

export interface DensityOptions {
  rng: Rng;
  /** KNIFE parity: the batch order of every epoch, shared by both modalities as in the official loader. */
  batchOrder?: Int32Array[];
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface DensityFit {
  /** log p̂(x) per row. */
  logp: Float64Array;
  report: DensityReport;
}

/** Fits the density of X's rows and scores every row. */
export async function estimateDensity(X: Matrix, settings: EstimatorSettings, opts: DensityOptions): Promise<DensityFit> {
  const K = settings.components === 'auto' ? 5 : settings.components;
  const covariance = settings.covariance === 'full' ? 'full' : 'diag';
  const { rng, signal, onProgress } = opts;
  if (settings.mode === 'em') {
    const gmm = await fitGmm(X, { K, covariance, em: settings.em, rng, signal, onProgress: onProgress && ((f) => onProgress(f * 0.9)) });
    const logp = await gmmLogPdf(gmm, X, { signal });
    return { logp, report: { mode: 'em', covariance, K: gmm.K, iterations: gmm.iterations, converged: gmm.converged, meanLogLik: gmm.meanLogLik, fitRows: gmm.fitRows } };
  }
  const fit = await fitKnife(X, { K, full: covariance === 'full', settings: settings.knife, rng, batchOrder: opts.batchOrder, signal, onProgress });
  const logp = await knifeLogPdf(fit.params, X, settings.knife.useTanh);
  let s = 0;
  for (let i = 0; i < logp.length; i++) s += logp[i];
  return { logp, report: { mode: 'knife', covariance, K, iterations: settings.knife.epochs, meanLogLik: s / logp.length, fitRows: X.rows } };
}
