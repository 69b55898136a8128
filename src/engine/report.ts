/** What `lsmi estimate` / `lsmi inspect <results>` print, as one plain object (also its --json form). */
import { topK } from './estimate/decompose';
import type { ClassSummary, ResultsData } from './io/results';
import { SPLITS } from './io/run';

export const COMPONENTS = ['r', 'u1', 'u2', 's'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface TopSample {
  sample_id: string;
  row: number;
  label: number;
  class: string;
  split?: string;
  value: number;
  r: number;
  u1: number;
  u2: number;
  s: number;
  /** The sorted component's standard deviation over the replicate fits (results estimated with replicates). */
  sd?: number;
}

export interface ResultsReport {
  results: string;
  reused?: boolean;
  run: ResultsData['meta']['run'];
  dataset: ResultsData['meta']['dataset'];
  perClass: {
    index: number;
    name: string;
    n: number;
    R: number;
    U1: number;
    U2: number;
    S: number;
    raw: { R: number; U1: number; U2: number; S: number };
    /** Intervals of the adjusted means (t, at the dataset intervals' level); null where n < 2. */
    intervals?: ClassSummary['intervals'];
    /** −log p(y): divide by it for the normalised view. */
    surprisal?: number;
  }[];
  top: Record<Component, TopSample[]>;
  /** Per-sample stability over replicate fits (absent unless estimated with replicates). */
  stability?: ResultsData['meta']['stability'];
  heads: ResultsData['meta']['heads'];
  density: ResultsData['meta']['density'];
  /** What 'auto' and the large-N schedule resolved to (absent in results of tool versions before 0.3). */
  effective?: ResultsData['meta']['effective'];
  /** Plain-word warnings about the heads, calibration, sample size and density. */
  warnings: string[];
  prior: { source: string; logPrior: number[] };
  settings: ResultsData['meta']['settings'];
  backend: ResultsData['meta']['backend'];
  timings: ResultsData['meta']['timings'];
  inputHash: string;
  toolVersion: string;
}

export function resultsReport(results: ResultsData, file: string, opts: { top?: number; reused?: boolean } = {}): ResultsReport {
  const k = opts.top ?? 10;
  const { meta, columns } = results;
  const top = {} as Record<Component, TopSample[]>;
  for (const c of COMPONENTS) {
    top[c] = Array.from(topK(columns[c], k, 'desc'), (row) => ({
      sample_id: results.sampleIds[row],
      row,
      label: results.labels[row],
      class: meta.run.classNames[results.labels[row]] ?? String(results.labels[row]),
      split: results.split ? SPLITS[results.split[row]] : undefined,
      value: columns[c][row],
      r: columns.r[row],
      u1: columns.u1[row],
      u2: columns.u2[row],
      s: columns.s[row],
      ...(results.stability ? { sd: results.stability[`${c}_sd`][row] } : {}),
    }));
  }
  return {
    results: file,
    reused: opts.reused,
    run: meta.run,
    dataset: meta.dataset,
    perClass: meta.perClass.map((c) => ({ index: c.index, name: c.name, n: c.n, ...c.adjusted, raw: c.raw, intervals: c.intervals, surprisal: c.surprisal })),
    top,
    stability: meta.stability,
    heads: meta.heads,
    density: meta.density,
    effective: meta.effective,
    warnings: meta.warnings ?? [],
    prior: { source: meta.priorSource, logPrior: meta.logPrior },
    settings: meta.settings,
    backend: meta.backend,
    timings: meta.timings,
    inputHash: meta.inputHash,
    toolVersion: meta.toolVersion,
  };
}
