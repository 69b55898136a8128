/**
 * Stands in for src/engine/estimate/density/em.ts when lsmi.ts imports it in the benchmark bundle
 * (an esbuild plugin in scripts/bench.mjs redirects that one import): the same functions, timed, so
 * a density stage splits into fit and scoring. Nothing else changes.
 */
import * as em from '../../src/engine/estimate/density/em';

export * from '../../src/engine/estimate/density/em';

export interface DensityTiming {
  what: 'fit' | 'score';
  rows: number;
  cols: number;
  seconds: number;
}

export const densityTimings: DensityTiming[] = [];
(globalThis as { __benchDensityTimings?: DensityTiming[] }).__benchDensityTimings = densityTimings;

export const fitGmm: typeof em.fitGmm = async (X, opts) => {
  const t0 = performance.now();
  try {
    return await em.fitGmm(X, opts);
  } finally {
    densityTimings.push({ what: 'fit', rows: X.rows, cols: X.cols, seconds: (performance.now() - t0) / 1000 });
  }
};

export const gmmLogPdf: typeof em.gmmLogPdf = async (p, X, opts) => {
  const t0 = performance.now();
  try {
    return await em.gmmLogPdf(p, X, opts);
  } finally {
    densityTimings.push({ what: 'score', rows: X.rows, cols: X.cols, seconds: (performance.now() - t0) / 1000 });
  }
};
