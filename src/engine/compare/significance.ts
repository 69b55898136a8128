/**
 * Significance of the differences between runs: the paired bootstrap of the dataset Δ (with the
 * RUS adjustment in every replicate) and which components moved beyond noise. The class intervals
 * and the estimator's seed noise are combined in join.ts (rebase), which calls this.
 */
import { adjustment } from '../estimate/decompose';
import type { Atoms } from '../estimate/decompose';
import { Rng } from '../random';
import { type AtomIntervals, BlockSums, type Interval, excludesZero, percentileIntervals } from '../uncertainty';
import { COMPARE_COMPONENTS, type Comparison, type Rebased, SIGN } from './model';

/**
 * The paired bootstrap of the dataset Δ over the samples every run has: every replicate weighs the
 * same samples in every run (Poisson weights on blocks, see src/engine/uncertainty.ts), takes each
 * run's raw means (adjusted value ∓ the run's adjustment), applies the RUS adjustment to those
 * means (it depends on them) and differences the adjusted means against the baseline's. The
 * percentile interval is then shifted by (shown Δ − the same recipe on all common samples), which
 * is 0 when every run has every sample (the results file's adjustment is this recipe's on all its
 * samples); with missing samples it centres the interval on the Δ the tables show.
 */
export function pairedDeltaIntervals(c: Omit<Comparison, Rebased>, baseline: number, shown: Atoms[]): { intervals: AtomIntervals[]; blocks: number } {
  const { runs, values } = c;
  const series: Float64Array[] = [];
  for (let k = 0; k < runs.length; k++) {
    const adj = runs[k].dataset.adj;
    for (const comp of COMPARE_COMPONENTS) {
      const v = values[k][comp];
      const out = new Float64Array(v.length);
      const shift = SIGN[comp] * adj;
      for (let j = 0; j < v.length; j++) out[j] = c.common[j] ? v[j] - shift : 0;
      series.push(out);
    }
  }
  const adjustedDelta = (m: ArrayLike<number>, out: Float64Array, at: number) => {
    const adjusted: Atoms[] = [];
    for (let k = 0; k < runs.length; k++) {
      const raw = { R: m[4 * k], U1: m[4 * k + 1], U2: m[4 * k + 2], S: m[4 * k + 3] };
      const { adj } = adjustment(raw);
      adjusted.push({ R: raw.R + adj, U1: raw.U1 - adj, U2: raw.U2 - adj, S: raw.S + adj });
    }
    for (let k = 0; k < runs.length; k++) {
      out[at + 4 * k] = adjusted[k].R - adjusted[baseline].R;
      out[at + 4 * k + 1] = adjusted[k].U1 - adjusted[baseline].U1;
      out[at + 4 * k + 2] = adjusted[k].U2 - adjusted[baseline].U2;
      out[at + 4 * k + 3] = adjusted[k].S - adjusted[baseline].S;
    }
  };
  const rng = Rng.derive(c.bootstrap.seed, 'compare-bootstrap');
  const sums = new BlockSums(series, rng.fork(), c.common);
  const stats = 4 * runs.length;
  const reps = new Float64Array(c.bootstrap.replicates * stats);
  sums.replicate(c.bootstrap.replicates, rng.fork(), (m, k) => adjustedDelta(m, reps, k * stats));
  // the recipe on all common samples, to centre the intervals on the shown Δ
  const full = new Float64Array(series.length);
  for (let q = 0; q < series.length; q++) {
    let acc = 0;
    for (let j = 0; j < series[q].length; j++) acc += series[q][j];
    full[q] = acc / c.nCommon;
  }
  const recipe = new Float64Array(stats);
  adjustedDelta(full, recipe, 0);
  const iv = percentileIntervals(reps, c.bootstrap.replicates, stats, c.bootstrap.level);
  const intervals = runs.map((_, k) => {
    const out = {} as AtomIntervals;
    (['R', 'U1', 'U2', 'S'] as const).forEach((a, q) => {
      const shift = shown[k][a] - recipe[4 * k + q];
      const x = iv[4 * k + q];
      out[a] = { lo: x.lo + shift, hi: x.hi + shift };
    });
    return out;
  });
  return { intervals, blocks: sums.blocks };
}

/** The components whose Δ interval excludes 0, largest |Δ| first (the compare headline names only these). */
export function significantMoves(cmp: Pick<Comparison, 'datasetDelta' | 'datasetDeltaIntervals'>, run: number): { atom: keyof Atoms; delta: number; interval: Interval }[] {
  const iv = cmp.datasetDeltaIntervals[run];
  if (!iv) return [];
  return (['R', 'U1', 'U2', 'S'] as const)
    .filter((a) => excludesZero(iv[a]))
    .map((a) => ({ atom: a, delta: cmp.datasetDelta[run][a], interval: iv[a] }))
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));
}
