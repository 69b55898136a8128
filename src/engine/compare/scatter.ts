/** A bounded scatter of one component, run A against run B: a density grid of every sample and the points that matter. */
import { topK } from '../estimate/decompose';
import type { MaybeNaN } from '../json';
import { Rng } from '../random';
import { type CompareComponent, type Comparison, checkRun, defaultRun } from './model';
import { type SampleFilter, filterSamples } from './movers';

export interface ScatterQuery extends SampleFilter {
  component: CompareComponent;
  /** x axis run (default: the baseline), y axis run (default: the first non-baseline run). */
  x?: number;
  y?: number;
  /** Points returned at most (default 4000). */
  maxPoints?: number;
  /** Density grid cells per axis (default 64). */
  grid?: number;
  seed?: number;
}

export interface Scatter {
  component: CompareComponent;
  x: number;
  y: number;
  /** Samples that pass the filter and are in both runs. */
  total: number;
  /** Samples that pass the filter but lack a value in x or y. */
  missing: number;
  /** Shared axis range (both axes: the same component): min and max over the plotted samples. */
  min: number;
  max: number;
  /** Density of every plotted sample: cells[gy * size + gx], gy from min (bottom) to max. */
  grid: { size: number; cells: number[]; maxCount: number };
  /**
   * At most maxPoints samples drawn as points: the half with the largest |y − x| (the movers, so
   * outliers are never hidden), the rest a seeded uniform sample of the others. All when total ≤ maxPoints.
   */
  points: { index: number[]; sampleId: string[]; x: number[]; y: number[]; label: number[] };
  /** True when points is a subset. */
  sampled: boolean;
  /** NaN for fewer than two samples or no spread. */
  pearson: MaybeNaN;
}

export function scatter(cmp: Comparison, q: ScatterQuery): Scatter {
  const xr = q.x ?? cmp.baseline;
  const yr = q.y ?? (xr === cmp.baseline ? defaultRun(cmp) : cmp.baseline);
  checkRun(cmp, xr);
  checkRun(cmp, yr);
  const maxPoints = Math.max(0, Math.floor(q.maxPoints ?? 4000));
  const size = Math.max(1, Math.min(512, Math.floor(q.grid ?? 64)));
  const xs = cmp.values[xr][q.component];
  const ys = cmp.values[yr][q.component];
  const sel = filterSamples(cmp, q);
  const idx: number[] = [];
  for (const j of sel) if (Number.isFinite(xs[j]) && Number.isFinite(ys[j])) idx.push(j);
  const total = idx.length;
  let min = Infinity;
  let max = -Infinity;
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (const j of idx) {
    const a = xs[j];
    const b = ys[j];
    min = Math.min(min, a, b);
    max = Math.max(max, a, b);
    sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
  }
  if (!total) (min = 0), (max = 1);
  if (max === min) (min -= 0.5), (max += 0.5);
  const cov = sxy / total - (sx / total) * (sy / total);
  const vx = sxx / total - (sx / total) ** 2;
  const vy = syy / total - (sy / total) ** 2;
  const pearson = total > 1 && vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : NaN;
  const cells = new Array<number>(size * size).fill(0);
  const cell = (v: number) => Math.min(size - 1, Math.floor(((v - min) / (max - min)) * size));
  for (const j of idx) cells[cell(ys[j]) * size + cell(xs[j])]++;
  let maxCount = 0;
  for (const c of cells) maxCount = Math.max(maxCount, c);

  let chosen: number[];
  const sampled = total > maxPoints;
  if (!sampled) chosen = idx;
  else {
    const half = Math.floor(maxPoints / 2);
    const move = Float64Array.from(idx, (j) => Math.abs(ys[j] - xs[j]));
    const top = topK(move, half, 'desc'); // positions in idx, O(N log half)
    const taken = new Uint8Array(total);
    for (const p of top) taken[p] = 1;
    const movers = Array.from(top, (p) => idx[p]);
    const rest: number[] = [];
    for (let p = 0; p < total; p++) if (!taken[p]) rest.push(idx[p]);
    const rng = new Rng(q.seed ?? 0);
    // partial Fisher–Yates: the first (maxPoints − half) entries of rest become a uniform sample
    const need = maxPoints - half;
    for (let i = 0; i < need; i++) {
      const k = i + rng.int(rest.length - i);
      const t = rest[i];
      rest[i] = rest[k];
      rest[k] = t;
    }
    chosen = movers.concat(rest.slice(0, need)).sort((a, b) => a - b);
  }
  return {
    component: q.component,
    x: xr,
    y: yr,
    total,
    missing: sel.length - total,
    min,
    max,
    grid: { size, cells, maxCount },
    points: { index: chosen, sampleId: chosen.map((j) => cmp.sampleIds[j]), x: chosen.map((j) => xs[j]), y: chosen.map((j) => ys[j]), label: chosen.map((j) => cmp.labels[j]) },
    sampled,
    pearson,
  };
}
