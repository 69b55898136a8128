/**
 * Initialisation of the EM fits (./em.ts): the centre, the variance floor, and greedy k-means++
 * seeding with a few Lloyd steps, all on at most {@link SEED_ROWS} seeded rows.
 */
import { tf } from '../../compute/backend';
import type { Matrix } from '../../io/matrix';
import type { Rng } from '../../random';
import type { Mixture } from './mixture';
import { checkpoint, toRows } from './rows';

/** Rows (at most) that the centre, the variance floor, k-means++ and the Lloyd steps are computed from. */
export const SEED_ROWS = 8192;
const LLOYD_ITERS = 10;

/** Below this fraction of the average variance a dimension counts as constant for the floor. */
const CONSTANT_DIM_REL = 1e-6;

/** Mean (rounded to float32) and variance of each column of Y, in float64, shifted by the first row. */
export function columnMoments(Y: Matrix): { center: Float64Array; variance: Float64Array } {
  const d = Y.cols;
  const data = toRows(Y);
  const shift = Float64Array.from(data.subarray(0, d));
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  for (let i = 0; i < Y.rows; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j] - shift[j];
      sum[j] += v;
      sumSq[j] += v * v;
    }
  }
  const center = new Float64Array(d);
  const variance = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const m = sum[j] / Y.rows;
    center[j] = Math.fround(shift[j] + m);
    variance[j] = Math.max(sumSq[j] / Y.rows - m * m, 0);
  }
  return { center, variance };
}

/** varFloor × each dimension's variance; constant dimensions use a small fraction of the average instead. */
export function varianceFloor(variance: Float64Array, varFloor: number): Float64Array {
  const average = variance.reduce((s, v) => s + v, 0) / variance.length;
  return variance.map((v) => varFloor * (average > 0 ? Math.max(v, CONSTANT_DIM_REL * average) : 1));
}

/**
 * Greedy k-means++ seeding and up to LLOYD_ITERS Lloyd steps on the seed rows (centred here); then
 * weights and means from the clusters and, for every component, the pooled within-cluster variance
 * plus the floor (a small or singleton cluster gets no degenerate width of its own). Distances go
 * through one [m,d]×[d,r] matMul per step (see {@link SeedDistances}).
 */
export async function kmeansInit(seed: Matrix, center: Float64Array, floor: Float64Array, K: number, rng: Rng, signal?: AbortSignal): Promise<Mixture> {
  const m = seed.rows;
  const d = seed.cols;
  const Y = toRows(seed).slice();
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) Y[i * d + j] -= center[j];
  let assign: Int32Array;
  if (K === 1) {
    // one cluster whatever the seed: k-means++ would draw its first seed and Lloyd keep every row
    rng.int(m);
    assign = new Int32Array(m);
  } else {
    const distances = new SeedDistances(Y, m, d);
    try {
      const centres = await kmeansPlusPlus(distances, Y, K, rng, signal);
      assign = await lloyd(distances, Y, centres, signal);
    } finally {
      distances.dispose();
    }
  }
  const Keff = assign.reduce((max, k) => Math.max(max, k + 1), 0);
  const counts = new Float64Array(Keff);
  const sums = new Float64Array(Keff * d);
  for (let i = 0; i < m; i++) {
    const k = assign[i];
    counts[k]++;
    const row = i * d;
    const at = k * d;
    for (let j = 0; j < d; j++) sums[at + j] += Y[row + j];
  }
  const means = sums.map((s, i) => s / counts[Math.floor(i / d)]);
  const pooled = new Float64Array(d);
  for (let i = 0; i < m; i++) {
    const row = i * d;
    const at = assign[i] * d;
    for (let j = 0; j < d; j++) {
      const t = Y[row + j] - means[at + j];
      pooled[j] += t * t;
    }
  }
  const out: Mixture = {
    K: Keff,
    logWeights: counts.map((c) => Math.log(c / m)),
    means,
    variances: new Float64Array(Keff * d),
  };
  for (let k = 0; k < Keff; k++) for (let j = 0; j < d; j++) out.variances![k * d + j] = pooled[j] / m + floor[j];
  return out;
}

/**
 * Squared distances from the m seed rows to a few points, as ‖y‖² − 2·y·p + ‖p‖² with the seed rows
 * uploaded once (float32; clamped at 0; plenty for choosing seeds and nearest centres).
 */
class SeedDistances {
  private readonly rows: tf.Tensor2D;
  private readonly norms: Float64Array;

  constructor(
    Y: Float32Array,
    readonly m: number,
    readonly d: number,
  ) {
    this.rows = tf.tensor2d(Y, [m, d]);
    this.norms = new Float64Array(m);
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) this.norms[i] += Y[i * d + j] ** 2;
  }

  /** Distances to the r points P (r×d row-major), as an m×r row-major array. */
  async to(P: ArrayLike<number>): Promise<Float64Array> {
    const { m, d } = this;
    const r = P.length / d;
    const PT = new Float32Array(d * r);
    const pNorms = new Float64Array(r);
    for (let t = 0; t < r; t++) {
      for (let j = 0; j < d; j++) {
        PT[j * r + t] = P[t * d + j];
        pNorms[t] += P[t * d + j] ** 2;
      }
    }
    const g = tf.tidy(() => tf.matMul(this.rows, tf.tensor2d(PT, [d, r])));
    const dots = await g.data();
    g.dispose();
    const out = new Float64Array(m * r);
    for (let i = 0; i < m; i++) for (let t = 0; t < r; t++) out[i * r + t] = Math.max(0, this.norms[i] - 2 * dots[i * r + t] + pNorms[t]);
    return out;
  }

  dispose(): void {
    this.rows.dispose();
  }
}

/**
 * Greedy k-means++ (as scikit-learn: 2 + ⌊ln K⌋ candidates per seed, keep the one that lowers the
 * potential most). Stops early when every row coincides with a seed. Returns Keff×d centres.
 */
async function kmeansPlusPlus(distances: SeedDistances, Y: Float32Array, K: number, rng: Rng, signal?: AbortSignal): Promise<Float64Array> {
  const { m, d } = distances;
  const trials = 2 + Math.floor(Math.log(K));
  const row = (i: number) => Y.subarray(i * d, (i + 1) * d);
  const centres = new Float64Array(K * d);
  const first = rng.int(m);
  centres.set(row(first));
  let count = 1;
  const closest = await distances.to(row(first));
  while (count < K) {
    let total = 0;
    for (let i = 0; i < m; i++) total += closest[i];
    if (!(total > 0)) break;
    const candidates = Array.from({ length: trials }, () => sampleProportional(closest, total, rng));
    const P = new Float32Array(trials * d);
    candidates.forEach((c, t) => P.set(row(c), t * d));
    const dist = await distances.to(P);
    let best = 0;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let potential = 0;
      for (let i = 0; i < m; i++) potential += Math.min(closest[i], dist[i * trials + t]);
      if (potential < bestPotential) [best, bestPotential] = [t, potential];
    }
    for (let i = 0; i < m; i++) closest[i] = Math.min(closest[i], dist[i * trials + best]);
    centres.set(row(candidates[best]), count * d);
    count++;
    await checkpoint(signal);
  }
  return centres.slice(0, count * d);
}

/**
 * Lloyd steps until no row changes cluster (at most LLOYD_ITERS); updates `centres`, returns the
 * assignment, renumbered so that the clusters that kept rows are 0..Keff−1.
 */
async function lloyd(distances: SeedDistances, Y: Float32Array, centres: Float64Array, signal?: AbortSignal): Promise<Int32Array> {
  const { m, d } = distances;
  const K = centres.length / d;
  const assign = new Int32Array(m).fill(-1);
  const sums = new Float64Array(K * d);
  const counts = new Float64Array(K);
  for (let it = 0; it < LLOYD_ITERS; it++) {
    const dist = await distances.to(centres);
    let changed = 0;
    for (let i = 0; i < m; i++) {
      const at = i * K;
      let bestK = 0;
      let bestDist = dist[at];
      for (let k = 1; k < K; k++) {
        if (dist[at + k] < bestDist) {
          bestK = k;
          bestDist = dist[at + k];
        }
      }
      if (assign[i] !== bestK) {
        assign[i] = bestK;
        changed++;
      }
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const k = assign[i];
      counts[k]++;
      const row = i * d;
      const at = k * d;
      for (let j = 0; j < d; j++) sums[at + j] += Y[row + j];
    }
    for (let k = 0; k < K; k++) if (counts[k] > 0) for (let j = 0; j < d; j++) centres[k * d + j] = sums[k * d + j] / counts[k];
    await checkpoint(signal);
  }
  const renumber = new Int32Array(K).fill(-1);
  let next = 0;
  return assign.map((k) => (renumber[k] < 0 ? (renumber[k] = next++) : renumber[k]));
}

/** An index drawn with probability proportional to w (w ≥ 0, Σw = total > 0). */
function sampleProportional(w: Float64Array, total: number, rng: Rng): number {
  const u = rng.random() * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] <= 0) continue;
    acc += w[i];
    last = i;
    if (acc > u) return i;
  }
  return last;
}
