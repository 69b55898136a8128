/**
 * The one histogram contract of the tool: the results panel's per-sample distributions, the
 * sample detail's "where it stands" and Compare Runs' per-sample Δ are all made here and drawn by
 * one renderer (webview/shared/histogram.ts).
 *
 * - Bins are half-open, `edges[k] ≤ x < edges[k + 1]`, exactly like the samples table's range
 *   filter (src/engine/select.ts), so the rows a brushed range lists are the bins' counts.
 * - Outliers are counted apart, never folded into the edge bins: `underflow` (x < edges[0]) and
 *   `overflow` (x ≥ edges[bins]). When the range is not clipped the last edge is the smallest double
 *   above the maximum, so the overflow is empty and the maximum is in the last bin.
 * - The range is the full [min, max] unless values lie far out (rule `fences`): beyond Tukey's
 *   outer fences, Q1 − 3·IQR and Q3 + 3·IQR, and beyond the 0.5th / 99.5th percentile. So the
 *   outliers are at most 0.5 % on each side and often none (normal data has none), never a fixed
 *   share; a spike holding the middle half (IQR 0) clips no more than the outer 0.5 %.
 * - Non-finite values (a Δ of a sample missing from a run) are left out and counted in `missing`.
 */
import { quantileSorted } from './select';

export type HistogramRule = 'full' | 'fences';

export interface HistogramRange {
  /** The range covered by the bins: [lo, hi). */
  lo: number;
  hi: number;
  /** `full`: every finite value is inside; `fences`: values beyond Tukey's outer fences are outliers. */
  rule: HistogramRule;
}

export interface Histogram {
  /** bins + 1 increasing edges; bin k counts edges[k] ≤ x < edges[k + 1]. */
  edges: number[];
  counts: number[];
  /** Values below edges[0] / at or above edges[bins]: outliers, counted apart. */
  underflow: number;
  overflow: number;
  /** Finite values: Σ counts + underflow + overflow. */
  n: number;
  /** Values left out: NaN or ±Infinity. */
  missing: number;
  /** Smallest and largest finite value (null when there is none). */
  min: number | null;
  max: number | null;
  rule: HistogramRule;
}

export const DEFAULT_BINS = 30;
/** Tukey's "far out" multiplier of the interquartile range. */
export const FENCE_IQR = 3;
/** At most this share of the values on either side is clipped (counted as outliers). */
export const TAIL = 0.005;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The smallest double above a finite x. */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] += x > 0 ? 1n : -1n;
  return f64[0];
}

/** Finite values, sorted ascending. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) m++;
  const out = new Float64Array(m);
  m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[m++] = values[i];
  return out.sort();
}

/**
 * The range a histogram covers, from the finite values sorted ascending: [min, max] (the last edge
 * just above the maximum), or clipped where values lie beyond both Tukey's outer fences and the
 * 0.5th / 99.5th percentile. `symmetric`: the
 * range is [−L, L] (differences, whose 0 must sit on an edge).
 */
export function histogramRange(sorted: ArrayLike<number>, opts: { symmetric?: boolean } = {}): HistogramRange {
  const n = sorted.length;
  if (n === 0) return opts.symmetric ? { lo: -1, hi: 1, rule: 'full' } : { lo: 0, hi: 1, rule: 'full' };
  const min = sorted[0];
  const max = sorted[n - 1];
  // the outer fences, Q1 − 3·IQR and Q3 + 3·IQR, but never more than the outer 0.5 % on either side
  // (a spike that holds the middle half, as the structural zeros of u1 / u2 do, makes the IQR 0)
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const lo0 = Math.min(q1 - FENCE_IQR * (q3 - q1), quantileSorted(sorted, TAIL));
  const hi0 = Math.max(q3 + FENCE_IQR * (q3 - q1), quantileSorted(sorted, 1 - TAIL));
  const lo = Math.max(min, lo0);
  const hi = Math.min(max, hi0);
  const rule: HistogramRule = lo > min || hi < max ? 'fences' : 'full';
  if (opts.symmetric) {
    const lim = Math.max(Math.abs(lo), Math.abs(hi));
    const full = Math.max(Math.abs(min), Math.abs(max));
    const L = lim > 0 ? lim : full > 0 ? full : 1;
    // clipped only when some value lies beyond ±L
    return L >= full ? { lo: -nextUp(L), hi: nextUp(L), rule: 'full' } : { lo: -L, hi: L, rule: 'fences' };
  }
  if (!(hi > lo)) return { lo: lo - 0.5, hi: hi + 0.5, rule: 'full' };
  return { lo, hi: rule === 'fences' && hi < max ? hi : nextUp(hi), rule };
}

/**
 * A histogram of `values` over `range` (default: {@link histogramRange} of the values) in `bins`
 * equal bins. Pass `sorted` (the finite values sorted) when it is at hand, to skip the sort.
 */
export function histogram(
  values: ArrayLike<number>,
  opts: { bins?: number; range?: HistogramRange; sorted?: ArrayLike<number>; symmetric?: boolean } = {},
): Histogram {
  const bins = Math.max(1, Math.floor(opts.bins ?? DEFAULT_BINS));
  let range = opts.range;
  let min: number | null = null;
  let max: number | null = null;
  if (!range) {
    const sorted = opts.sorted ?? sortedFinite(values);
    range = histogramRange(sorted, { symmetric: opts.symmetric });
  }
  const { lo, hi } = range;
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + k * width));
  const counts = new Array<number>(bins).fill(0);
  let underflow = 0;
  let overflow = 0;
  let n = 0;
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) {
      missing++;
      continue;
    }
    n++;
    if (min === null || x < min) min = x;
    if (max === null || x > max) max = x;
    if (x < lo) underflow++;
    else if (x >= hi) overflow++;
    else {
      // the arithmetic bin, then made to agree exactly with the edges (a value on an edge is in the bin it opens)
      let b = Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / width)));
      while (b > 0 && x < edges[b]) b--;
      while (b < bins - 1 && x >= edges[b + 1]) b++;
      counts[b]++;
    }
  }
  return { edges, counts, underflow, overflow, n, missing, min, max, rule: range.rule };
}
