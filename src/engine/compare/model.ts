/**
 * The comparison's data model: 2 to 8 results files of different models on the same samples,
 * joined on `sample_id`, one of them the baseline. Sign convention: Δ = run − baseline, per sample
 * and per mean. Semantics: docs/compare-format.md. Pure TypeScript; never imports vscode.
 */
import type { Atoms } from '../estimate/decompose';
import type { ResultsData, ResultsMeta } from '../io/results';
import type { MaybeNaN } from '../json';
import type { AtomIntervals, Interval } from '../uncertainty';

export const MIN_COMPARE_RUNS = 2;
export const MAX_COMPARE_RUNS = 8;

/** The per-sample interaction components compared (after the RUS adjustment). */
export const COMPARE_COMPONENTS = ['r', 'u1', 'u2', 's'] as const;
export type CompareComponent = (typeof COMPARE_COMPONENTS)[number];
/** Per-sample columns carried into the join. */
export const JOINED_COLUMNS = ['r', 'u1', 'u2', 's', 'i1', 'i2', 'i12'] as const;
export type JoinedColumn = (typeof JOINED_COLUMNS)[number];

/** Means of R, U1, U2, S that are NaN over no samples (a class no common sample has; no common samples). */
export type MeanAtoms = Record<keyof Atoms, MaybeNaN>;

export const ATOM_OF: Record<CompareComponent, keyof Atoms> = { r: 'R', u1: 'U1', u2: 'U2', s: 'S' };
/** Split code for a joined sample whose runs have no split column. */
export const NO_SPLIT = 255;

export interface ComparedRun {
  index: number;
  /** Unique among the compared runs: the run name, disambiguated when two runs share it. */
  label: string;
  /** The run's name from its metadata (`run_name`; default the run file's name). */
  name: string;
  /** The results file. */
  file: string;
  architecture?: string;
  fusion?: string;
  /** "late fusion · two MLP encoders ..." (for tooltips and legends). */
  description: string;
  /** Samples in this run's results file. */
  n: number;
  /** Joined samples this run lacks. */
  missing: number;
  /** Dataset means from the results file (all of this run's samples; adjusted and raw, with the adjustment). */
  dataset: ResultsMeta['dataset'];
  /** Adjusted means over the samples every compared run has (what the differences use). */
  common: MeanAtoms;
  modalityNames: [string, string];
  toolVersion: string;
  settings: ResultsMeta['settings'];
  meta: ResultsMeta;
}

export interface ClassComparison {
  index: number;
  name: string;
  /** Samples of this class that every run has. */
  n: number;
  /** Adjusted means per run (index = run index) over those samples. */
  means: MeanAtoms[];
  /** means[k] − means[baseline], per run. */
  delta: MeanAtoms[];
  /**
   * Per run: the interval of each Δ (t interval of the mean per-sample difference, simultaneous
   * over the classes: see {@link CompareSignificance}); null for the baseline, for n < 2 and
   * without a bootstrap.
   */
  deltaIntervals: (Record<keyof Atoms, Interval | null> | null)[];
}

/** How the differences' intervals were computed (recorded so a rerun gives the same intervals). */
export interface CompareSignificance {
  /** Paired bootstrap replicates for the dataset Δ (0: no intervals). */
  replicates: number;
  /** Coverage, e.g. 0.95. */
  level: number;
  seed: number;
  /** Blocks the common samples were dealt into (see src/engine/uncertainty.ts). */
  blocks: number;
  /** 'paired percentile bootstrap (Poisson weights), RUS adjustment in every replicate' */
  method: string;
  /** Class shifts: t intervals of the mean per-sample Δ, Bonferroni-simultaneous over the classes. */
  classMethod: string;
  /** The per-class coverage that makes the class intervals simultaneous at `level`. */
  classLevel: number;
  /**
   * Per run: whether its intervals also include the estimator's own seed-to-seed noise (both it
   * and the baseline were estimated with replicates: their variances over the fits are added in
   * quadrature). Without replicates the intervals cover the sampling noise of the samples only.
   */
  seedNoise: boolean[];
}

export interface Comparison {
  runs: ComparedRun[];
  /** Index of the baseline run. */
  baseline: number;
  /** Joined samples: the union of every run's sample ids (in first-seen order, baseline first). */
  n: number;
  /** Joined samples present in every run. */
  nCommon: number;
  /** Joined samples absent from at least one run. */
  nIncomplete: number;
  nClasses: number;
  classNames: string[];
  modalityNames: [string, string];
  sampleIds: string[];
  labels: Int32Array;
  /** Index into SPLITS, or {@link NO_SPLIT}; absent when no run has a split column. */
  split?: Uint8Array;
  /** Per run: the row in its results file of each joined sample, −1 where the run lacks it. */
  rows: Int32Array[];
  /** Per run: the joined per-sample values, NaN where the run lacks the sample. */
  values: Record<JoinedColumn, Float64Array>[];
  /**
   * Per run: each joined sample's standard deviation of r, u1, u2, s over the run's replicate fits
   * (NaN where the run lacks the sample); undefined for a run estimated without replicates.
   */
  sd: (Record<CompareComponent, Float64Array> | undefined)[];
  /** Per run: values − baseline values (NaN where either lacks the sample; zeros for the baseline). */
  delta: Record<CompareComponent, Float64Array>[];
  /** 1 where every run has the sample. */
  common: Uint8Array;
  /** Per run: common means − baseline's common means. */
  datasetDelta: MeanAtoms[];
  /** Per run: the paired bootstrap interval of each Δ (null for the baseline, or without a bootstrap). */
  datasetDeltaIntervals: (AtomIntervals | null)[];
  significance: CompareSignificance;
  /** The bootstrap settings the comparison was made with (kept for a change of baseline). */
  bootstrap: { replicates: number; level: number; seed: number };
  perClass: ClassComparison[];
  warnings: string[];
  /**
   * What the comparison was built from and what it computes once (not enumerable: JSON, structured
   * clones and deep equality leave it out). Each comparison owns its caches; a change of baseline
   * gets new ones and shares the sources.
   */
  readonly caches: ComparisonCaches;
}

export interface ComparisonCaches {
  /** The results files' data, in run order (sample paths come from here). */
  sources: ResultsData[];
  /** Movers rankings by `run/component/order`. */
  ranks: Map<string, Int32Array>;
  /** Per run: the `any`-component sort key and which component it is. */
  anyKeys: Map<number, { key: Float64Array; comp: Uint8Array }>;
  /** Per run: √(sd_run² + sd_baseline²) per sample and component. */
  noise: Map<number, Record<CompareComponent, Float64Array>>;
}

/** What {@link rebase} (src/engine/compare/join.ts) computes for a baseline. */
export type Rebased = 'delta' | 'datasetDelta' | 'datasetDeltaIntervals' | 'significance' | 'perClass' | 'caches';

export interface CompareOptions {
  /** The baseline: a run index (0-based, in file order), or a label, run name, file path or file name. Default 0. */
  baseline?: string | number;
  /** The paired bootstrap of the differences (defaults: 1000 replicates, 95 %, seed 0). */
  bootstrap?: { replicates?: number; level?: number; seed?: number };
}

/** Reads 2 to 8 results files and compares them (see {@link compareResults}). */

/** Signs of the RUS adjustment per component: r and s gain it, u1 and u2 lose it. */
export const SIGN: Record<CompareComponent, number> = { r: 1, u1: -1, u2: -1, s: 1 };

export function subAtoms(a: Atoms, b: Atoms): Atoms {
  return { R: a.R - b.R, U1: a.U1 - b.U1, U2: a.U2 - b.U2, S: a.S - b.S };
}

export function checkRun(cmp: Comparison, run: number): void {
  if (!(Number.isInteger(run) && run >= 0 && run < cmp.runs.length)) throw new RangeError(`run ${run} is out of range (0 to ${cmp.runs.length - 1})`);
}

export function defaultRun(cmp: Comparison): number {
  return cmp.baseline === 0 ? 1 : 0;
}
