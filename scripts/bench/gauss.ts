/**
 * The benchmark's Gaussian generator for d ≥ C, with its exact oracle.
 *
 * y is uniform over C classes; the class mean is e_y embedded in d dimensions (so only the first C
 * dimensions carry the label, the rest are noise). Each modality adds noise σ·B·w with w ~ N(0, I):
 *
 *   x1 = e_y + σ B w1,    x2 = e_y + σ B (ρ w1 + √(1−ρ²) w2)
 *
 * B = I gives the official demo generator (`generate_gaussian_data`) padded to d dimensions. With
 * `block` = b > 1, B is block-diagonal with one seeded random lower-triangular b×b block repeated
 * d/b times, so the noise is correlated within each modality (a diagonal density cannot model it,
 * a full-covariance one can) and the whitened noise of the two modalities keeps correlation ρ per
 * dimension.
 *
 * The oracle whitens each row once (t = B⁻¹x / σ, block by block) and gets every class's quadratic
 * form from three dot products and the sparse vector c_y = B⁻¹e_y / σ, so it costs O(d·b) per row
 * instead of O(C·d²).
 */
import { Rng } from '../../src/engine/random';

export interface GaussSpec {
  C: number;
  d: number;
  sigma: number;
  rho: number;
  /** Block size of the noise mixing B (1: isotropic noise). Must divide d. */
  block: number;
  /** Seed of B. */
  mixSeed: number;
}

export interface GaussBatch {
  labels: Int32Array;
  x1: Float32Array;
  x2: Float32Array;
  /** Exact log p(y|x) per head, rows × C, float64. */
  logPost1: Float64Array;
  logPost2: Float64Array;
  logPost12: Float64Array;
  i1: Float64Array;
  i2: Float64Array;
  i12: Float64Array;
  h1: Float64Array;
  h2: Float64Array;
}

export class GaussGenerator {
  readonly spec: GaussSpec;
  /** The b×b lower-triangular block of B, row-major. */
  readonly B: Float64Array;
  private readonly logDetB: number;
  /** c_y = B⁻¹ e_y / σ restricted to its support [lo_y, hi_y). */
  private readonly cLo: Int32Array;
  private readonly cVal: Float64Array[];
  private readonly cNorm2: Float64Array;
  private readonly t1: Float64Array;
  private readonly t2: Float64Array;
  private readonly w: Float64Array;

  constructor(spec: GaussSpec) {
    const { C, d, block: b, sigma, rho } = spec;
    if (d < C) throw new Error(`d (${d}) must be ≥ C (${C})`);
    if (d % b !== 0) throw new Error(`block ${b} does not divide d ${d}`);
    if (!(sigma > 0) || !(Math.abs(rho) < 1)) throw new Error('need σ > 0 and |ρ| < 1');
    this.spec = spec;
    const B = new Float64Array(b * b);
    const rng = new Rng(spec.mixSeed);
    for (let i = 0; i < b; i++) {
      for (let k = 0; k < i; k++) B[i * b + k] = b > 1 ? 0.5 * rng.normal() : 0;
      B[i * b + i] = b > 1 ? Math.exp(rng.uniform(-0.3, 0.3)) : 1;
    }
    this.B = B;
    let ld = 0;
    for (let i = 0; i < b; i++) ld += Math.log(B[i * b + i]);
    this.logDetB = (d / b) * ld;
    this.cLo = new Int32Array(C);
    this.cVal = [];
    this.cNorm2 = new Float64Array(C);
    const e = new Float64Array(b);
    const t = new Float64Array(b);
    for (let y = 0; y < C; y++) {
      const blockStart = Math.floor(y / b) * b;
      e.fill(0);
      e[y - blockStart] = 1;
      this.solveBlock(e, 0, t, 0);
      const lo = y; // B⁻¹ is lower triangular: zero before the local index of y
      const vals = new Float64Array(blockStart + b - lo);
      for (let j = 0; j < vals.length; j++) vals[j] = t[lo - blockStart + j] / sigma;
      this.cLo[y] = lo;
      this.cVal.push(vals);
      let s = 0;
      for (const v of vals) s += v * v;
      this.cNorm2[y] = s;
    }
    this.t1 = new Float64Array(d);
    this.t2 = new Float64Array(d);
    this.w = new Float64Array(2 * d);
    void rho;
  }

  /** out[o..o+b) = B_block⁻¹ v[vo..vo+b) (forward substitution). */
  private solveBlock(v: ArrayLike<number>, vo: number, out: Float64Array, o: number): void {
    const b = this.spec.block;
    const B = this.B;
    for (let i = 0; i < b; i++) {
      let s = v[vo + i];
      for (let k = 0; k < i; k++) s -= B[i * b + k] * out[o + k];
      out[o + i] = s / B[i * b + i];
    }
  }

  /** Draws `rows` samples from `rng` and scores them with the exact oracle. */
  batch(rows: number, rng: Rng): GaussBatch {
    const { C, d, sigma, rho, block: b } = this.spec;
    const x1 = new Float32Array(rows * d);
    const x2 = new Float32Array(rows * d);
    const labels = new Int32Array(rows);
    const sr = Math.sqrt(1 - rho * rho);
    const w = this.w;
    const B = this.B;
    for (let i = 0; i < rows; i++) {
      const y = rng.int(C);
      labels[i] = y;
      for (let j = 0; j < 2 * d; j++) w[j] = rng.normal();
      const o = i * d;
      for (let blk = 0; blk < d; blk += b) {
        for (let r = 0; r < b; r++) {
          let n1 = 0;
          let n2 = 0;
          for (let k = 0; k <= r; k++) {
            const a = w[blk + k];
            n1 += B[r * b + k] * a;
            n2 += B[r * b + k] * (rho * a + sr * w[d + blk + k]);
          }
          const j = blk + r;
          const mu = j === y ? 1 : 0;
          x1[o + j] = mu + sigma * n1;
          x2[o + j] = mu + sigma * n2;
        }
      }
    }
    return { labels, x1, x2, ...this.score(x1, x2, labels) };
  }

  /** The exact oracle on float32 rows (the values a reader of the file sees). */
  score(x1: Float32Array, x2: Float32Array, labels: Int32Array): Omit<GaussBatch, 'labels' | 'x1' | 'x2'> {
    const { C, d, sigma, rho, block: b } = this.spec;
    const rows = labels.length;
    const out = {
      logPost1: new Float64Array(rows * C), logPost2: new Float64Array(rows * C), logPost12: new Float64Array(rows * C),
      i1: new Float64Array(rows), i2: new Float64Array(rows), i12: new Float64Array(rows), h1: new Float64Array(rows), h2: new Float64Array(rows),
    };
    const logPi = -Math.log(C);
    const LOG2PI = Math.log(2 * Math.PI);
    const const1 = d * Math.log(sigma) + this.logDetB + 0.5 * d * LOG2PI;
    const one = 1 - rho * rho;
    const const12 = d * (LOG2PI + 0.5 * Math.log(one)) + 2 * (d * Math.log(sigma) + this.logDetB);
    const t1 = this.t1;
    const t2 = this.t2;
    const l1 = new Float64Array(C);
    const l2 = new Float64Array(C);
    const l12 = new Float64Array(C);
    const v1 = new Float64Array(b);
    const v2 = new Float64Array(b);
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      for (let blk = 0; blk < d; blk += b) {
        for (let r = 0; r < b; r++) {
          v1[r] = x1[o + blk + r] / sigma;
          v2[r] = x2[o + blk + r] / sigma;
        }
        this.solveBlock(v1, 0, t1, blk);
        this.solveBlock(v2, 0, t2, blk);
      }
      let s11 = 0;
      let s22 = 0;
      let s12 = 0;
      for (let j = 0; j < d; j++) {
        s11 += t1[j] * t1[j];
        s22 += t2[j] * t2[j];
        s12 += t1[j] * t2[j];
      }
      for (let y = 0; y < C; y++) {
        const c = this.cVal[y];
        const lo = this.cLo[y];
        let a1 = 0;
        let a2 = 0;
        for (let j = 0; j < c.length; j++) {
          a1 += t1[lo + j] * c[j];
          a2 += t2[lo + j] * c[j];
        }
        const cc = this.cNorm2[y];
        const q1 = s11 - 2 * a1 + cc;
        const q2 = s22 - 2 * a2 + cc;
        const q12 = s12 - a1 - a2 + cc;
        l1[y] = logPi - 0.5 * q1 - const1;
        l2[y] = logPi - 0.5 * q2 - const1;
        l12[y] = logPi - (0.5 * (q1 - 2 * rho * q12 + q2)) / one - const12;
      }
      const y = labels[i];
      const e1 = lse(l1);
      const e2 = lse(l2);
      const e12 = lse(l12);
      for (let k = 0; k < C; k++) {
        out.logPost1[i * C + k] = l1[k] - e1;
        out.logPost2[i * C + k] = l2[k] - e2;
        out.logPost12[i * C + k] = l12[k] - e12;
      }
      out.i1[i] = l1[y] - e1 - logPi;
      out.i2[i] = l2[y] - e2 - logPi;
      out.i12[i] = l12[y] - e12 - logPi;
      out.h1[i] = -e1;
      out.h2[i] = -e2;
    }
    return out;
  }
}

function lse(a: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i] - m);
  return m + Math.log(s);
}
