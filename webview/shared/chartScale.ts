/**
 * Axis arithmetic of the webview's charts, kept free of the DOM so the engine tests can run it
 * (test/engine/chart-scale.test.ts): nice ticks, the count axis (linear or log) and which bins a
 * brushed selection covers.
 */

/** About `target` round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 4): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

/** Digits after the point that tell ticks `step` apart. */
export function tickDigits(ticks: number[]): number {
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1] - ticks[0]);
  return Math.max(0, Math.min(4, Math.ceil(-Math.log10(step) + 1e-9)));
}

export type CountScale = 'linear' | 'log';

/**
 * The height (0..1 of the plot) of a bar of `count` samples when the tallest holds `max`. The log
 * scale is log(1 + count) / log(1 + max): 0 stays 0, a single sample stays visible, and the
 * order of the bars never changes. Only the drawing changes: the counts themselves are never touched.
 */
export function barHeight(count: number, max: number, scale: CountScale): number {
  if (!(count > 0) || !(max > 0)) return 0;
  return scale === 'log' ? Math.log1p(count) / Math.log1p(max) : count / max;
}

/** Tick values of the count axis: 0 and round counts up to max (linear), or 1, 10, 100… (log). */
export function countTicks(max: number, scale: CountScale): number[] {
  if (!(max > 0)) return [0];
  if (scale === 'linear') return niceTicks(0, max, 3).filter((t) => t <= max && Number.isInteger(t));
  const out = [0];
  for (let t = 1; t <= max; t *= 10) out.push(t);
  return out;
}

/** A count for an axis: 1,234 → "1.2k", 2,000,000 → "2M". */
export function shortCount(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}

/** The bins a histogram's data carries (the engine's Histogram: edges, counts, outliers counted apart). */
export interface BinnedCounts {
  edges: number[];
  counts: number[];
  underflow: number;
  overflow: number;
}

/**
 * The slots a histogram draws, left to right: the underflow (−1, when it holds samples), the bins
 * 0..bins−1, the overflow (bins, when it holds samples).
 */
export function slotsOf(h: BinnedCounts): number[] {
  const bins = h.counts.length;
  return [...(h.underflow > 0 ? [-1] : []), ...Array.from({ length: bins }, (_, k) => k), ...(h.overflow > 0 ? [bins] : [])];
}

/** The value range [lo, hi) of slots first..last (null ends are open: the underflow and overflow reach to ±∞). */
export function slotRange(h: BinnedCounts, first: number, last: number): { lo: number | null; hi: number | null } {
  const bins = h.counts.length;
  return { lo: first < 0 ? null : h.edges[Math.min(first, bins)], hi: last >= bins ? null : h.edges[Math.max(0, last + 1)] };
}

/** Samples in slots first..last. */
export function slotCount(h: BinnedCounts, first: number, last: number): number {
  let s = 0;
  const bins = h.counts.length;
  for (let k = Math.max(-1, first); k <= Math.min(bins, last); k++) s += k < 0 ? h.underflow : k >= bins ? h.overflow : h.counts[k];
  return s;
}

/**
 * The slots a value range covers exactly (a brushed range restored from the panel's state), or
 * undefined when the range does not fall on the histogram's edges.
 */
export function slotsOfRange(h: BinnedCounts, lo: number | null, hi: number | null): [number, number] | undefined {
  const bins = h.counts.length;
  const first = lo === null ? -1 : h.edges.indexOf(lo);
  const last = hi === null ? bins : h.edges.indexOf(hi) - 1;
  if ((lo !== null && first < 0) || (hi !== null && last < 0) || last < first) return undefined;
  return [first, last];
}
