/** Histograms of the per-sample differences Δ = run − baseline, every run on the same bins (src/engine/histogram.ts). */
import { type Histogram, histogram, histogramRange, sortedFinite } from '../histogram';
import type { MaybeNaN } from '../json';
import type { CompareComponent, Comparison } from './model';

export interface DeltaHistogram {
  component: CompareComponent;
  /**
   * Per run (index = run index; the baseline's Δ is 0 for its samples), on the same edges,
   * symmetric around 0: the histogram contract of src/engine/histogram.ts (outliers counted apart).
   */
  runs: Histogram[];
  /** Per run: mean Δ, mean |Δ| and standard deviation of Δ (NaN without samples). */
  mean: MaybeNaN[];
  meanAbs: MaybeNaN[];
  std: MaybeNaN[];
}

/**
 * Histogram of Δ = run − baseline of one component, every run on the same bins. The range is
 * symmetric, ±L, chosen from the Δ of every non-baseline run by the histogram rule (the full range,
 * or Tukey's outer fences when values lie far out: those are counted as under- and overflow).
 */
export function deltaHistogram(cmp: Comparison, component: CompareComponent, bins = 40): DeltaHistogram {
  const pooled: number[] = [];
  cmp.runs.forEach((_, k) => {
    if (k === cmp.baseline) return;
    for (const x of cmp.delta[k][component]) if (Number.isFinite(x)) pooled.push(x);
  });
  const range = histogramRange(sortedFinite(pooled), { symmetric: true });
  const h: DeltaHistogram = { component, runs: [], mean: [], meanAbs: [], std: [] };
  cmp.runs.forEach((_, k) => {
    const d = cmp.delta[k][component];
    h.runs.push(histogram(d, { bins, range }));
    let cnt = 0;
    let sum = 0;
    let sumAbs = 0;
    let sum2 = 0;
    for (const x of d) {
      if (!Number.isFinite(x)) continue;
      cnt++;
      sum += x;
      sumAbs += Math.abs(x);
      sum2 += x * x;
    }
    const mean = cnt ? sum / cnt : NaN;
    h.mean.push(mean);
    h.meanAbs.push(cnt ? sumAbs / cnt : NaN);
    h.std.push(cnt ? Math.sqrt(Math.max(0, sum2 / cnt - mean * mean)) : NaN);
  });
  return h;
}
