/** One joined sample in every run (inline inspection), and its sample files. */
import * as path from 'node:path';
import type { ResultsData } from '../io/results';
import { SPLITS } from '../io/run';
import type { MaybeNaN } from '../json';
import { COMPARE_COMPONENTS, type CompareComponent, type Comparison, JOINED_COLUMNS, type JoinedColumn, NO_SPLIT } from './model';
import type { MoverRow } from './movers';

export function sampleCore(cmp: Comparison, j: number): { index: number; sample_id: string; label: number; class: string; split?: string } {
  const y = cmp.labels[j];
  return {
    index: j,
    sample_id: cmp.sampleIds[j],
    label: y,
    class: cmp.classNames[y] ?? String(y),
    split: cmp.split && cmp.split[j] !== NO_SPLIT ? SPLITS[cmp.split[j]] : undefined,
  };
}

export function sampleValues(cmp: Comparison, j: number, run: number): Pick<MoverRow, 'deltas' | 'baseline' | 'value'> {
  const pick = (f: (c: CompareComponent) => number) => Object.fromEntries(COMPARE_COMPONENTS.map((c) => [c, f(c)])) as Record<CompareComponent, MaybeNaN>;
  return {
    deltas: pick((c) => cmp.delta[run][c][j]),
    baseline: pick((c) => cmp.values[cmp.baseline][c][j]),
    value: pick((c) => cmp.values[run][c][j]),
  };
}

export interface SampleFiles {
  /** As written in the run (relative to `base`), and resolved. */
  path_1?: string;
  path_2?: string;
  resolved_1?: string;
  resolved_2?: string;
  /** The folder relative paths are resolved against: the folder of `resultsFile`. */
  base: string;
  /** The results file (run) the paths were taken from: the baseline's when it has them, else the first run's that does. */
  resultsFile: string;
  run: number;
}

/** One joined sample in one run: whether the run has it, its row there, its values and Δ vs the baseline. */
export interface JoinedSampleRun {
  run: number;
  label: string;
  present: boolean;
  /** The row in the run's results file, −1 where the run lacks the sample. */
  row: number;
  /** NaN where the run lacks the sample. */
  value: Record<JoinedColumn, MaybeNaN>;
  delta: Record<CompareComponent, MaybeNaN>;
}

/** One joined sample in every run, with its sample files. */
export interface JoinedSample {
  index: number;
  sample_id: string;
  label: number;
  class: string;
  split?: string;
  runs: JoinedSampleRun[];
  files?: SampleFiles;
}

/** Per run, one joined sample's values (see {@link JoinedSampleRun}). */
export function joinedSampleRuns(cmp: Comparison, index: number): JoinedSampleRun[] {
  return cmp.runs.map((r, k) => ({
    run: k,
    label: r.label,
    present: cmp.rows[k][index] >= 0,
    row: cmp.rows[k][index],
    value: Object.fromEntries(JOINED_COLUMNS.map((c) => [c, cmp.values[k][c][index]])) as Record<JoinedColumn, MaybeNaN>,
    delta: Object.fromEntries(COMPARE_COMPONENTS.map((c) => [c, cmp.delta[k][c][index]])) as Record<CompareComponent, MaybeNaN>,
  }));
}

/** Everything about one joined sample (for inline inspection), with its sample files. */
export function joinedSample(cmp: Comparison, index: number): JoinedSample {
  if (!(Number.isInteger(index) && index >= 0 && index < cmp.n)) throw new RangeError(`sample index ${index} is out of range (0 to ${cmp.n - 1})`);
  return { ...sampleCore(cmp, index), runs: joinedSampleRuns(cmp, index), files: sampleFiles(cmp, index) };
}

/** The ResultsData a comparison was built from (kept for sample paths; shared, not copied). */
export function resultsOf(cmp: Comparison): ResultsData[] | undefined {
  return cmp.caches?.sources;
}

/** The sample files of a joined sample: from the baseline when it has them, else the first run that does. */
export function sampleFiles(cmp: Comparison, index: number): SampleFiles | undefined {
  const data = resultsOf(cmp);
  if (!data) return undefined;
  const order = [cmp.baseline, ...cmp.runs.map((r) => r.index).filter((k) => k !== cmp.baseline)];
  for (const k of order) {
    const row = cmp.rows[k][index];
    if (row < 0) continue;
    const p1 = data[k].paths1?.[row] ?? undefined;
    const p2 = data[k].paths2?.[row] ?? undefined;
    if (!p1 && !p2) continue;
    const base = path.dirname(path.resolve(cmp.runs[k].file));
    return {
      path_1: p1,
      path_2: p2,
      resolved_1: p1 ? path.resolve(base, p1) : undefined,
      resolved_2: p2 ? path.resolve(base, p2) : undefined,
      base,
      resultsFile: cmp.runs[k].file,
      run: k,
    };
  }
  return undefined;
}
