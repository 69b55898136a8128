/** Histograms of the per-sample differences Δ = run − baseline, every run on the same bins. */
import { quantileSorted } from '../uncertainty';
import type { CompareComponent, Comparison } from './model';

export interface DeltaHistogram {
  component: CompareComponent;
  /** bins + 1 edges, symmetric around 0: [−lim, lim]. */
  edges: number[];
  /** Per run (index = run index; the baseline's entry is all zeros). */
  counts: number[][];
  /** Per run: samples with Δ below the first edge / above the last. */
  underflow: number[];
  overflow: number[];
  /** Per run: samples with a Δ (present in the run and the baseline). */
  n: number[];
  /** Per run: mean Δ, mean |Δ| and standard deviation of Δ. */
  mean: number[];
  meanAbs: number[];
  std: number[];
}

/**
 * Histogram of Δ = run − baseline of one component, every non-baseline run on the same bins. The
 * range is ±(99.5th percentile of |Δ| over those runs), so a few extreme samples do not flatten it;
 * they are counted in `underflow` / `overflow`.
 */
export function deltaHistogram(cmp: Comparison, component: CompareComponent, bins = 40): DeltaHistogram {
  const pooled: number[] = [];
  cmp.runs.forEach((_, k) => {
    if (k === cmp.baseline) return;
    for (const x of cmp.delta[k][component]) if (Number.isFinite(x)) pooled.push(Math.abs(x));
  });
  const abs = Float64Array.from(pooled).sort();
  let lim = abs.length ? quantileSorted(abs, 0.995) : 0;
  if (!(lim > 0)) lim = abs.length ? abs[abs.length - 1] : 0;
  if (!(lim > 0)) lim = 1e-6;
  const width = (2 * lim) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, b) => -lim + b * width);
  edges[bins] = lim;
  const h: DeltaHistogram = { component, edges, counts: [], underflow: [], overflow: [], n: [], mean: [], meanAbs: [], std: [] };
  cmp.runs.forEach((_, k) => {
    const counts = new Array<number>(bins).fill(0);
    let under = 0;
    let over = 0;
    let cnt = 0;
    let sum = 0;
    let sumAbs = 0;
    let sum2 = 0;
    for (const x of cmp.delta[k][component]) {
      if (!Number.isFinite(x)) continue;
      cnt++;
      sum += x;
      sumAbs += Math.abs(x);
      sum2 += x * x;
      if (x < -lim) under++;
      else if (x > lim) over++;
      else counts[Math.min(bins - 1, Math.floor((x + lim) / width))]++;
    }
    const mean = cnt ? sum / cnt : NaN;
    h.counts.push(counts);
    h.underflow.push(under);
    h.overflow.push(over);
    h.n.push(cnt);
    h.mean.push(mean);
    h.meanAbs.push(cnt ? sumAbs / cnt : NaN);
    h.std.push(cnt ? Math.sqrt(Math.max(0, sum2 / cnt - mean * mean)) : NaN);
  });
  return h;
}

export { quantileSorted };
