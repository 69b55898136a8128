/** The samples filter of Compare Runs and its "biggest movers": rankings by Δ, paged, cached per comparison. */
import { LsmiInputError } from '../errors';
import type { Split } from '../io/run';
import type { MaybeNaN } from '../json';
import { type RowRange, type SamplesTable, selectRows } from '../select';
import { COMPARE_COMPONENTS, type CompareComponent, type Comparison, checkRun, defaultRun } from './model';
import { sampleCore, sampleValues } from './details';

/**
 * A value range of one component in one run (`delta`: of its Δ to the baseline): a brushed range
 * of a Δ histogram, or one axis of a brushed box on the scatter. lo ≤ x < hi, like the histogram
 * bins (src/engine/histogram.ts); a null end is open. A sample without the value never passes.
 */
export interface ValueRange {
  run: number;
  component: CompareComponent;
  delta?: boolean;
  lo: number | null;
  hi: number | null;
}

export interface SampleFilter {
  /** Keep these classes (indices). */
  classes?: number[];
  split?: Split;
  /** Case-insensitive substring of sample_id. */
  search?: string;
  /** Every range must hold. */
  ranges?: ValueRange[];
}

/** Whether a filter selects anything less than every sample. */
export function isFiltered(f: SampleFilter): boolean {
  return !!(f.classes?.length || f.split !== undefined || f.search?.trim() || f.ranges?.length);
}

/**
 * Joined-sample indices that pass the filter, in the order of `order` (default: ascending), by the
 * one row selection (src/engine/select.ts). The table need not be a comparison (exports filter a
 * results file with it); a value range needs one.
 */
export function filterSamples(
  cmp: SamplesTable & Partial<Pick<Comparison, 'values' | 'delta'>>,
  f: SampleFilter = {},
  order?: ArrayLike<number>,
): Int32Array {
  const ranges = (f.ranges ?? []).map((r): RowRange => {
    const runs = cmp.values && cmp.delta ? cmp.values.length : 0;
    if (!Number.isInteger(r.run) || r.run < 0 || r.run >= runs || !(COMPARE_COMPONENTS as readonly string[]).includes(r.component)) {
      throw new LsmiInputError('BAD_SETTINGS', { file: '', setting: 'ranges' }, `a value range needs a run (0–${runs - 1}) and a component (${COMPARE_COMPONENTS.join(', ')})`);
    }
    return { values: (r.delta ? cmp.delta! : cmp.values!)[r.run][r.component], lo: r.lo, hi: r.hi };
  });
  return selectRows(cmp, { classes: f.classes, split: f.split, search: f.search, ranges }, order);
}

export type MoverComponent = CompareComponent | 'any';
/**
 * `abs`: largest |Δ| first; `gain`: largest Δ first; `loss`: most negative Δ first; `stable`: largest
 * |Δ| relative to the samples' stability, |Δ| / √(sd_run² + sd_baseline²) (both runs estimated with
 * replicates), so a sample that moves by more than its own seed-to-seed noise leads.
 */
export type MoverOrder = 'abs' | 'gain' | 'loss' | 'stable';
export const MOVER_ORDERS: readonly MoverOrder[] = ['abs', 'gain', 'loss', 'stable'];

export interface MoversQuery extends SampleFilter {
  /** Ranked by Δ of this component, or `any`: the component with the largest |Δ| per sample (default). */
  component?: MoverComponent;
  /** The run compared with the baseline (default: the first non-baseline run). */
  run?: number;
  order?: MoverOrder;
  offset?: number;
  /** Rows per page (default 50, at most 1000). */
  limit?: number;
}

export interface MoverRow {
  /** 1-based rank within the filtered ranking. */
  rank: number;
  /** Joined-sample index (for {@link joinedSample}). */
  index: number;
  sample_id: string;
  label: number;
  class: string;
  split?: string;
  /** The component the row is ranked by (for `any`: the one with the largest |Δ|) and its Δ. */
  component: CompareComponent;
  delta: number;
  /** Δ of every component, the baseline's values and the run's values (NaN where a run lacks the value). */
  deltas: Record<CompareComponent, MaybeNaN>;
  baseline: Record<CompareComponent, MaybeNaN>;
  value: Record<CompareComponent, MaybeNaN>;
  /** √(sd_run² + sd_baseline²) of the ranked component (both runs estimated with replicates). */
  stability?: MaybeNaN;
}

export interface MoversPage {
  component: MoverComponent;
  run: number;
  order: MoverOrder;
  offset: number;
  /** Samples that pass the filter and have a Δ (present in the run and the baseline). */
  total: number;
  /** Samples that pass the filter but lack a Δ (missing from the run or the baseline). */
  missing: number;
  rows: MoverRow[];
}

/** The sort key per joined sample for a ranking (NaN: no Δ). */
function moverKey(cmp: Comparison, run: number, component: MoverComponent): { key: Float64Array; comp: Uint8Array | undefined } {
  const d = cmp.delta[run];
  if (component !== 'any') return { key: d[component], comp: undefined };
  const cache = cmp.caches.anyKeys;
  const hit = cache.get(run);
  if (hit) return hit;
  const made = anyMoverKey(cmp, d);
  cache.set(run, made);
  return made;
}

/** For `any`: per sample, the Δ of the component with the largest |Δ|, and which component it is. */
function anyMoverKey(cmp: Comparison, d: Record<CompareComponent, Float64Array>): { key: Float64Array; comp: Uint8Array } {
  const key = new Float64Array(cmp.n);
  const comp = new Uint8Array(cmp.n);
  for (let j = 0; j < cmp.n; j++) {
    let best = NaN;
    let which = 0;
    COMPARE_COMPONENTS.forEach((c, q) => {
      const x = d[c][j];
      if (Number.isFinite(x) && !(Math.abs(x) <= Math.abs(best))) (best = x), (which = q);
    });
    key[j] = best;
    comp[j] = which;
  }
  return { key, comp };
}

/** Whether a run and the baseline both carry per-sample stability (replicate fits). */
export function hasPairStability(cmp: Pick<Comparison, 'sd' | 'baseline'>, run: number): boolean {
  return !!cmp.sd[run] && !!cmp.sd[cmp.baseline];
}

/** Per joined sample and component: √(sd_run² + sd_baseline²), the noise of its Δ. */
function pairNoise(cmp: Comparison, run: number): Record<CompareComponent, Float64Array> {
  if (!hasPairStability(cmp, run)) {
    const without = [run, cmp.baseline].filter((k) => !cmp.sd[k]).map((k) => cmp.runs[k].label);
    throw new LsmiInputError('BAD_SETTINGS', { file: cmp.runs[run].file, setting: 'order' },
      `ranking movers by stability needs per-sample standard deviations in both runs; ${without.join(' and ')} ${without.length === 1 ? 'was' : 'were'} estimated without replicates (lsmi estimate --replicates R, or the lsmi.estimator.replicates setting).`);
  }
  const cache = cmp.caches.noise;
  const hit = cache.get(run);
  if (hit) return hit;
  const a = cmp.sd[run]!;
  const b = cmp.sd[cmp.baseline]!;
  const out = {} as Record<CompareComponent, Float64Array>;
  for (const c of COMPARE_COMPONENTS) out[c] = a[c].map((x, j) => Math.sqrt(x * x + b[c][j] * b[c][j]));
  cache.set(run, out);
  return out;
}

/** Every joined sample with a Δ, ranked (cached per comparison, run, component and order). */
function ranking(cmp: Comparison, run: number, component: MoverComponent, order: MoverOrder): Int32Array {
  const cache = cmp.caches.ranks;
  const id = `${run}/${component}/${order}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const { key, comp } = moverKey(cmp, run, component);
  const idx: number[] = [];
  for (let j = 0; j < cmp.n; j++) if (Number.isFinite(key[j])) idx.push(j);
  let score: (j: number) => number;
  if (order === 'stable') {
    const noise = pairNoise(cmp, run);
    const sdOf = (j: number) => noise[comp ? COMPARE_COMPONENTS[comp[j]] : (component as CompareComponent)][j];
    // a sample with no measured noise at all (sd 0 in both runs) ranks by |Δ| / a floor of 1e-6
    score = (j: number) => Math.abs(key[j]) / Math.max(1e-6, sdOf(j));
  } else score = order === 'abs' ? (j: number) => Math.abs(key[j]) : order === 'gain' ? (j: number) => key[j] : (j: number) => -key[j];
  idx.sort((a, b) => score(b) - score(a) || a - b);
  const out = Int32Array.from(idx);
  cache.set(id, out);
  return out;
}

/**
 * Every joined sample of a movers query, in its ranking (the filtered ranking a movers table pages
 * through): one pass, for exports of the whole view.
 */
export function moversRanking(cmp: Comparison, q: MoversQuery = {}): Int32Array {
  const run = q.run ?? defaultRun(cmp);
  checkRun(cmp, run);
  const ranked = ranking(cmp, run, q.component ?? 'any', q.order ?? 'abs');
  return isFiltered(q) ? filterSamples(cmp, q, ranked) : ranked;
}

export function moversPage(cmp: Comparison, q: MoversQuery = {}): MoversPage {
  const run = q.run ?? defaultRun(cmp);
  checkRun(cmp, run);
  const component = q.component ?? 'any';
  const order = q.order ?? 'abs';
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(1000, Math.max(0, Math.floor(q.limit ?? 50)));
  const ranked = ranking(cmp, run, component, order);
  const filtered = isFiltered(q);
  let keep: Int32Array = ranked;
  let missing = 0;
  if (filtered) {
    keep = filterSamples(cmp, q, ranked);
    missing = filterSamples(cmp, q).length - keep.length;
  } else missing = cmp.n - ranked.length;
  const { key, comp } = moverKey(cmp, run, component);
  const noise = hasPairStability(cmp, run) ? pairNoise(cmp, run) : undefined;
  const rows: MoverRow[] = [];
  for (let p = offset; p < Math.min(keep.length, offset + limit); p++) {
    const j = keep[p];
    const c = comp ? COMPARE_COMPONENTS[comp[j]] : (component as CompareComponent);
    rows.push({ rank: p + 1, ...sampleCore(cmp, j), component: c, delta: key[j], ...sampleValues(cmp, j, run), ...(noise ? { stability: noise[c][j] } : {}) });
  }
  return { component, run, order, offset, total: keep.length, missing, rows };
}
