/**
 * Row selection and the statistics of a samples table, in one place: the results panel's rows
 * (src/engine/rowsQuery.ts), Compare Runs' movers and scatter (src/engine/compare/movers.ts) and the
 * exports (src/engine/export.ts) select rows with {@link selectRows}; quantiles, percentile-of and the
 * sorted copy of a column are made here too (histograms: src/engine/histogram.ts, one contract).
 *
 * Selection, exactly:
 * - classes: a row's label is one of them (none or empty: every class);
 * - split: a row's split is this one (a table without a split column has no row of any split; an
 *   unknown split name selects as if none were given);
 * - search: the sample_id contains it, case-insensitively (trimmed; empty: every id);
 * - ranges: every range holds, lo ≤ v < hi like the histogram bins, a null end open (±∞, so −∞
 *   passes an open lower end and +∞ never passes); a NaN value never passes.
 * Pure; never imports vscode.
 */
import { SPLITS, type Split } from './io/run';

/** What a row selection reads: one label, split code and sample_id per row. */
export interface SamplesTable {
  sampleIds: readonly string[];
  labels: ArrayLike<number>;
  /** Per row an index into SPLITS (any other code: the row has no split); absent: no split column. */
  split?: ArrayLike<number>;
}

/** A value range over a column of the table: lo ≤ v < hi; a null end is open. */
export interface RowRange {
  values: ArrayLike<number>;
  lo: number | null;
  hi: number | null;
}

export interface RowSelection {
  /** Keep these class indices (none or empty: every class). */
  classes?: readonly number[];
  /** A name in SPLITS. */
  split?: Split | (string & {});
  /** Case-insensitive substring of sample_id. */
  search?: string;
  /** Every range must hold. */
  ranges?: readonly RowRange[];
}

/** Whether `x` lies in [lo, hi), a null end being ±∞ (so +∞ never does); NaN never does. */
export function inRange(x: number, lo: number | null, hi: number | null): boolean {
  return x >= (typeof lo === 'number' ? lo : -Infinity) && x < (typeof hi === 'number' ? hi : Infinity);
}

const lowerCache = new WeakMap<readonly string[], string[]>();

/** The table's sample_ids in lower case (made once per id array, for the id search). */
export function lowerIds(ids: readonly string[]): string[] {
  let lower = lowerCache.get(ids);
  if (!lower) {
    lower = ids.map((id) => id.toLowerCase());
    lowerCache.set(ids, lower);
  }
  return lower;
}

/**
 * The rows of `t` that the selection keeps, in the order of `order` (default: every row, ascending).
 * Entries of `order` that are not rows of the table (not an integer in 0 … n − 1) are left out.
 */
export function selectRows(t: SamplesTable, sel: RowSelection, order?: ArrayLike<number>): Int32Array {
  const n = t.sampleIds.length;
  const classes = sel.classes?.length ? new Set(sel.classes) : undefined;
  const split = sel.split !== undefined ? (SPLITS as readonly string[]).indexOf(sel.split) : -1;
  const needle = sel.search?.trim().toLowerCase() || undefined;
  const ids = needle ? lowerIds(t.sampleIds) : undefined;
  const ranges = sel.ranges ?? [];
  const len = order ? order.length : n;
  const out = new Int32Array(len);
  let m = 0;
  next: for (let p = 0; p < len; p++) {
    const j = order ? order[p] : p;
    if (order && !(Number.isInteger(j) && j >= 0 && j < n)) continue;
    if (classes && !classes.has(t.labels[j])) continue;
    if (split >= 0 && (!t.split || t.split[j] !== split)) continue;
    if (needle !== undefined && ids && !ids[j].includes(needle)) continue;
    for (const r of ranges) if (!inRange(r.values[j], r.lo, r.hi)) continue next;
    out[m++] = j;
  }
  return m === len ? out : out.slice(0, m);
}

// ---------------------------------------------------------------------------------------------
// Statistics of a column

/**
 * Linear-interpolation quantile (numpy's default) of an ascending array; q is clamped to [0, 1].
 * NaN for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Where `x` stands among the values as a percentile in [0, 100]: the share of values ≤ x, from the
 * values sorted ascending (NaN last, as {@link sortedColumn} has them: a NaN is never ≤ x but counts
 * in the share's denominator). 0 for no values.
 */
export function percentileOf(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? (100 * lo) / sorted.length : 0;
}

const sortedCache = new WeakMap<Float64Array, Float64Array>();

/**
 * A sorted copy of a column (ascending, NaN last), made once per column and kept while the column
 * lives: the results panel's histograms and the sample detail's percentiles share it.
 */
export function sortedColumn(v: Float64Array): Float64Array {
  let s = sortedCache.get(v);
  if (!s) {
    s = Float64Array.from(v).sort();
    sortedCache.set(v, s);
  }
  return s;
}
