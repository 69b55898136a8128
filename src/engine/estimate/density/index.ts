/**
 * The density model for h(x) = −log p̂(x) of one modality (docs/estimator.md, "Density"), behind one call: EM (default)
 * or KNIFE (parity), with K and the covariance given or chosen ('auto').
 *
 * - EM, K and covariance both given: one fit (./em.ts) on the usual fit rows, every row scored.
 * - EM, either 'auto': the search (./search.ts) picks them by held-out log-likelihood within the
 *   time budget; the winner is then refitted on the usual fit rows, starting from its search fit
 *   (so the refit converges in a few passes), and every row is scored. The report carries the whole
 *   search.
 * - KNIFE (parity with the official code, ./knife.ts): 'auto' resolves to the official values,
 *   K = 5 and diagonal covariance (the report says so); no search. KNIFE has no tied covariance.
 *
 * The models are used through the {@link DensityModel} interface (./model.ts).
 */
import type { Matrix } from '../../io/matrix';
import type { DensityReport } from '../../io/results';
import type { Rng } from '../../random';
import { settingsError, type EstimatorSettings } from '../settings';
import { monotone, span } from './em-loop';
import { EmDensity, KnifeDensity, type DensityModel } from './model';
import { resolveFullFit, searchDensity } from './search';

export type { DensityModel } from './model';
export { EmDensity, KnifeDensity } from './model';

/** KNIFE parity: what 'auto' means (the official code's hard-coded K and its diagonal option). */
export const KNIFE_AUTO = { K: 5, covariance: 'diag' } as const;

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
  const { rng, signal } = opts;
  const progress = monotone(opts.onProgress);
  if (settings.mode === 'knife') {
    if (settings.covariance === 'tied') throw settingsError('covariance', "KNIFE (mode 'knife') has diagonal or full covariance only: use covariance 'diag', 'full' or 'auto'");
    const auto: string[] = [];
    if (settings.components === 'auto') auto.push(`components 'auto' → K = ${KNIFE_AUTO.K}`);
    if (settings.covariance === 'auto') auto.push(`covariance 'auto' → ${KNIFE_AUTO.covariance}`);
    const K = settings.components === 'auto' ? KNIFE_AUTO.K : settings.components;
    const covariance = settings.covariance === 'auto' ? KNIFE_AUTO.covariance : settings.covariance;
    const model = new KnifeDensity(K, covariance, settings.knife, opts.batchOrder);
    const { logp, report } = await fitAndScore(model, X, rng, signal, progress, 0.95);
    if (auto.length) report.auto = `KNIFE parity: ${auto.join(', ')} (the official code's values; no search)`;
    return { logp, report };
  }
  if (settings.components !== 'auto' && settings.covariance !== 'auto') {
    if (settings.covariance !== 'full') return fitAndScore(new EmDensity(settings.components, settings.covariance, settings.em), X, rng, signal, progress, 0.9);
    const { fullFit, predictedSeconds } = resolveFullFit(settings, X.rows, X.cols, settings.components);
    const fit = await fitAndScore(new EmDensity(settings.components, 'full', settings.em, { fullFit }), X, rng, signal, progress, 0.9);
    if (settings.em.fullFit === 'auto') {
      const how = fullFit === 'em' ? 'EM from a diagonal start' : 'shrunk toward the pooled covariance from a tied start';
      fit.report.auto = `em.fullFit 'auto' → '${fullFit}' (${how}): plain EM predicted at ${predictedSeconds.toFixed(1)} s against the ${settings.densitySearch.budgetSeconds} s budget`;
    }
    return fit;
  }
  const searchRng = rng.fork();
  const refitRng = rng.fork();
  const t0 = performance.now();
  const { covariance, K, start, report: search } = await searchDensity(X, settings, { rng: searchRng, signal, onProgress: span(progress, 0, 0.6) });
  const searchSeconds = (performance.now() - t0) / 1000;
  const model = new EmDensity(K, covariance, settings.em, { init: start });
  const { logp, report } = await fitAndScore(model, X, refitRng, signal, span(progress, 0.6, 1), 0.8);
  return { logp, report: { ...report, search, seconds: { ...report.seconds!, search: searchSeconds } } };
}

/** Fits on X, then scores X; progress: the fit up to `fitShare`, scoring the rest. */
async function fitAndScore(model: DensityModel, X: Matrix, rng: Rng, signal: AbortSignal | undefined, progress: (f: number) => void, fitShare: number): Promise<DensityFit> {
  const t0 = performance.now();
  await model.fit(X, { rng, signal, onProgress: span(progress, 0, fitShare) });
  const t1 = performance.now();
  const logp = await model.score(X, { signal, onProgress: span(progress, fitShare, 1) });
  progress(1);
  return { logp, report: { ...model.report(), seconds: { fit: (t1 - t0) / 1000, score: (performance.now() - t1) / 1000 } } };
}
