/**
 * Uncertainty of the numbers users compare (docs/results-format.md#intervals, docs/compare-format.md#intervals): percentile bootstrap intervals for the
 * dataset atoms (the RUS adjustment applied inside every replicate, since it depends on the means),
 * t intervals for class means, and a paired bootstrap for differences between runs on the same
 * samples.
 *
 * Speed (≤ 1 s at N = 1e6 with 1000 replicates): the samples are dealt, in a seeded random order,
 * into B = min(N, {@link MAX_BLOCKS}) blocks, and each block's sums are computed once. A replicate
 * draws a Poisson(1) weight per block (the Poisson bootstrap: each block is taken k ~ Poisson(1)
 * times) and forms weighted means from the block sums, so a replicate costs O(B), not O(N), and no
 * resampled array is ever built. With one sample per block (N ≤ B) this is the ordinary Poisson
 * bootstrap of samples; with larger blocks of randomly assigned samples, the block sums are i.i.d.
 * and resampling them estimates the variance of a mean just as well (the coverage test in
 * test/engine/uncertainty.test.ts holds either way).
 */
import { type AdjustBranch, type Atoms, type PointwiseAtoms, adjustment } from './estimate/decompose';
import { Rng } from './random';
import { quantileSorted } from './select';

/** Blocks of the bootstrap, at most. */
export const MAX_BLOCKS = 2000;

export interface Interval {
  lo: number;
  hi: number;
}

export type AtomIntervals = Record<keyof Atoms, Interval>;

export interface BootstrapInfo {
  /** Replicates drawn. */
  replicates: number;
  /** Coverage of the intervals, e.g. 0.95. */
  level: number;
  /** Blocks the samples were dealt into (= N when N ≤ {@link MAX_BLOCKS}: a bootstrap of samples). */
  blocks: number;
  /** 'percentile bootstrap (Poisson weights)' or 't' */
  method: string;
}

export interface DatasetIntervals extends BootstrapInfo {
  raw: AtomIntervals;
  adjusted: AtomIntervals;
}

const KEYS = ['R', 'U1', 'U2', 'S'] as const;

/** P(k) of Poisson(1), cumulative, for an inverse-transform sampler (k ≤ 20 covers 1 − 1e-19). */
const POISSON1_CDF = (() => {
  const cdf: number[] = [];
  let p = Math.exp(-1);
  let acc = 0;
  for (let k = 0; k <= 20; k++) {
    acc += p;
    cdf.push(acc);
    p /= k + 1;
  }
  return cdf;
})();

function poisson1(rng: Rng): number {
  const u = rng.random();
  let k = 0;
  while (k < 20 && u > POISSON1_CDF[k]) k++;
  return k;
}

/**
 * The samples dealt into blocks: per block, the sum of each series and the count. `mask` keeps only
 * the samples where it is 1 (e.g. the samples every compared run has).
 */
export class BlockSums {
  readonly blocks: number;
  /** series × blocks */
  readonly sums: Float64Array[];
  readonly counts: Float64Array;

  constructor(series: ArrayLike<number>[], rng: Rng, mask?: Uint8Array) {
    const n = series[0]?.length ?? 0;
    const kept: number[] = [];
    for (let i = 0; i < n; i++) if (!mask || mask[i]) kept.push(i);
    const order = rng.shuffle(kept);
    this.blocks = Math.max(1, Math.min(order.length, MAX_BLOCKS));
    this.counts = new Float64Array(this.blocks);
    this.sums = series.map(() => new Float64Array(this.blocks));
    for (let j = 0; j < order.length; j++) {
      const b = j % this.blocks;
      const i = order[j];
      this.counts[b]++;
      for (let s = 0; s < series.length; s++) this.sums[s][b] += series[s][i];
    }
  }

  /**
   * Calls `each` with the weighted means of every series for each of `replicates` Poisson
   * replicates (a replicate that drew no sample is drawn again).
   */
  replicate(replicates: number, rng: Rng, each: (means: Float64Array, k: number) => void): void {
    const means = new Float64Array(this.sums.length);
    const w = new Float64Array(this.blocks);
    for (let k = 0; k < replicates; k++) {
      let total = 0;
      do {
        total = 0;
        for (let b = 0; b < this.blocks; b++) {
          w[b] = poisson1(rng);
          total += w[b] * this.counts[b];
        }
      } while (total === 0);
      for (let s = 0; s < this.sums.length; s++) {
        const sums = this.sums[s];
        let acc = 0;
        for (let b = 0; b < this.blocks; b++) acc += w[b] * sums[b];
        means[s] = acc / total;
      }
      each(means, k);
    }
  }
}

/** The percentile interval of each column of replicate values (replicates × stats, row-major). */
export function percentileIntervals(values: Float64Array, replicates: number, stats: number, level: number): Interval[] {
  const out: Interval[] = [];
  const col = new Float64Array(replicates);
  for (let s = 0; s < stats; s++) {
    for (let k = 0; k < replicates; k++) col[k] = values[k * stats + s];
    col.sort();
    out.push({ lo: quantileSorted(col, (1 - level) / 2), hi: quantileSorted(col, (1 + level) / 2) });
  }
  return out;
}

/**
 * Bootstrap intervals for the dataset atoms from the per-sample raw values: each replicate's raw
 * means, then the RUS adjustment on those means (so the adjusted intervals carry the adjustment's
 * own variability), then the percentile intervals.
 */
export function datasetIntervals(raw: PointwiseAtoms, opts: { replicates: number; level: number; rng: Rng }): DatasetIntervals {
  const sums = new BlockSums([raw.r, raw.u1, raw.u2, raw.s], opts.rng.fork());
  const R = opts.replicates;
  const values = new Float64Array(R * 8);
  sums.replicate(R, opts.rng.fork(), (m, k) => {
    const means: Atoms = { R: m[0], U1: m[1], U2: m[2], S: m[3] };
    const { adj } = adjustment(means);
    values.set([m[0], m[1], m[2], m[3], m[0] + adj, m[1] - adj, m[2] - adj, m[3] + adj], k * 8);
  });
  const iv = percentileIntervals(values, R, 8, opts.level);
  const atoms = (o: number) => Object.fromEntries(KEYS.map((key, j) => [key, iv[o + j]])) as AtomIntervals;
  return { replicates: R, level: opts.level, blocks: sums.blocks, method: 'percentile bootstrap (Poisson weights)', raw: atoms(0), adjusted: atoms(4) };
}

/** Student's t quantile t_{p, df} (Hill's 1970 approximation; exact enough for intervals, df ≥ 1). */
export function tQuantile(p: number, df: number): number {
  const z = normalQuantile(p);
  if (!Number.isFinite(df) || df > 1e6) return z;
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  const g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

/** Standard normal quantile (Acklam's algorithm, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Per class, the mean of each series and its t interval (mean ± t·sd/√n; none for n < 2). Class
 * means are what the Categories tab ranks, and they are sums of many samples (means of a few
 * heavy-tailed values are the exception; the interval's width says so).
 */
export function classIntervals(series: ArrayLike<number>[], labels: Int32Array, nClasses: number, level: number, mask?: Uint8Array): { n: number[]; mean: Float64Array[]; interval: (Interval | null)[][] } {
  const n = new Array<number>(nClasses).fill(0);
  const s1 = series.map(() => new Float64Array(nClasses));
  const s2 = series.map(() => new Float64Array(nClasses));
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask[i]) continue;
    const y = labels[i];
    n[y]++;
    for (let k = 0; k < series.length; k++) {
      const v = series[k][i];
      s1[k][y] += v;
      s2[k][y] += v * v;
    }
  }
  const mean = series.map(() => new Float64Array(nClasses));
  const interval = series.map(() => new Array<Interval | null>(nClasses).fill(null));
  for (let k = 0; k < series.length; k++) {
    for (let c = 0; c < nClasses; c++) {
      const m = n[c] ? s1[k][c] / n[c] : NaN;
      mean[k][c] = m;
      if (n[c] < 2) continue;
      const variance = Math.max(0, (s2[k][c] - n[c] * m * m) / (n[c] - 1));
      const half = tQuantile((1 + level) / 2, n[c] - 1) * Math.sqrt(variance / n[c]);
      interval[k][c] = { lo: m - half, hi: m + half };
    }
  }
  return { n, mean, interval };
}

/**
 * Below this, an interval's end counts as 0: e.g. a Δ of two atoms that the RUS adjustment pins
 * to 0 in most replicates ends at −1e-17, not at 0.
 */
export const ZERO_TOLERANCE = 1e-9;

/** Whether an interval excludes 0: a difference beyond noise at the interval's level. */
export function excludesZero(iv: Interval | null | undefined): boolean {
  return !!iv && (iv.lo > ZERO_TOLERANCE || iv.hi < -ZERO_TOLERANCE);
}

export type { AdjustBranch };

// ---------------------------------------------------------------------------------------------
// Fair class rankings (the Categories tab and the CLI's per-class table)

/** Classes with fewer samples than this are left out of rankings by default (and the count is shown). */
export const DEFAULT_MIN_CLASS_N = 30;

export interface ClassRow {
  index: number;
  name: string;
  n: number;
  /** The class mean (normalised: divided by −log p(y)). */
  value: number;
  interval: Interval | null;
}

export interface ClassRankingOptions {
  /** 'mean' (default) or 'lower': by the interval's lower bound (conservative; a class without an interval ranks last). */
  by?: 'mean' | 'lower';
  /** Classes with fewer samples are left out (default {@link DEFAULT_MIN_CLASS_N}). */
  minN?: number;
  /** Divide by the class's surprisal −log p(y): the share of the label's information in this component. */
  normalised?: boolean;
  /** Ascending instead of descending. */
  ascending?: boolean;
}

/**
 * Ranks classes by one atom of their means: by the mean or by the interval's lower bound (a class
 * of 40 samples with a wide interval then ranks below one of 4000 with the same mean), leaving out
 * classes below a minimum n. `excluded` counts the classes left out for their n.
 */
export function rankClasses(
  perClass: readonly { index: number; name: string; n: number; adjusted: Atoms; intervals?: Record<keyof Atoms, Interval | null>; surprisal?: number }[],
  atom: keyof Atoms,
  opts: ClassRankingOptions = {},
): { rows: ClassRow[]; excluded: number; minN: number } {
  const minN = opts.minN ?? DEFAULT_MIN_CLASS_N;
  const rows: ClassRow[] = [];
  let excluded = 0;
  for (const c of perClass) {
    if (c.n < minN || c.n === 0) {
      excluded++;
      continue;
    }
    const scale = opts.normalised ? (c.surprisal && c.surprisal > 0 ? 1 / c.surprisal : NaN) : 1;
    const iv = c.intervals?.[atom] ?? null;
    rows.push({ index: c.index, name: c.name, n: c.n, value: c.adjusted[atom] * scale, interval: iv ? { lo: iv.lo * scale, hi: iv.hi * scale } : null });
  }
  const key = (r: ClassRow) => (opts.by === 'lower' ? (opts.ascending ? (r.interval?.hi ?? Infinity) : (r.interval?.lo ?? -Infinity)) : r.value);
  rows.sort((a, b) => (opts.ascending ? key(a) - key(b) : key(b) - key(a)) || a.index - b.index);
  return { rows, excluded, minN };
}
