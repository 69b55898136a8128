/**
 * Comparing runs: 2 to 8 results files of different models on the same samples, joined on
 * `sample_id`, with one run pinned as the baseline. Everything a compare view needs is computed on
 * the engine side, so a panel receives only small data: dataset and per-class means per run, their
 * differences to the baseline with intervals, per-class shifts, histograms of per-sample
 * differences, paged "biggest movers" and a bounded scatter of one component in run A against run B.
 * One module per concern: model (types), join (reading, joining, rebasing), significance, shifts,
 * histograms, movers (filter and rankings), details (one sample), scatter, summary.
 * Semantics: docs/compare-format.md. Pure TypeScript; never imports vscode.
 */
export * from './compare/model';
export * from './compare/join';
export * from './compare/significance';
export * from './compare/shifts';
export * from './compare/histograms';
export * from './compare/movers';
export * from './compare/details';
export * from './compare/scatter';
export * from './compare/summary';
