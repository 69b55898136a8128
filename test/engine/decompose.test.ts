import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classMeans, decompose, topK, type AdjustBranch, type PointwiseTerms } from '../../src/engine/estimate/decompose';
import { logPrior, logSoftmaxAt, pointwiseMI } from '../../src/engine/estimate/pmi';
import { denseMatrix } from '../../src/engine/io/matrix';
import { Rng } from '../../src/engine/random';

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/**
 * A random dataset. Random mean MIs make the three adjusting branches occur; one in four datasets is
 * built so that no branch fires (each modality alternately the lower-entropy one, with less MI).
 */
function randomTerms(rng: Rng, n: number): PointwiseTerms {
  const a = () => new Float64Array(n);
  const t: PointwiseTerms = { i1: a(), i2: a(), i12: a(), h1: a(), h2: a() };
  const noAdjustment = rng.random() < 0.25;
  const [m1, m2, m12] = [rng.normal(), rng.normal(), rng.normal() + 0.5];
  for (let i = 0; i < n; i++) {
    if (noAdjustment) {
      const lo1 = i % 2 === 0;
      t.h1[i] = lo1 ? 1 : 3;
      t.h2[i] = lo1 ? 3 : 1;
      t.i1[i] = (lo1 ? 0.2 : 0.5) + 0.05 * rng.normal();
      t.i2[i] = (lo1 ? 0.5 : 0.2) + 0.05 * rng.normal();
      t.i12[i] = 1 + 0.05 * rng.normal();
    } else {
      t.h1[i] = rng.uniform(-2, 3);
      t.h2[i] = rng.uniform(-2, 3);
      t.i1[i] = m1 + 0.5 * rng.normal();
      t.i2[i] = m2 + 0.5 * rng.normal();
      t.i12[i] = m12 + 0.5 * rng.normal();
    }
  }
  return t;
}

describe('decompose', () => {
  it('per sample: r = max(i_lo, i_hi − |h1 − h2|), u = i − r, s = i12 − r − u1 − u2, never clipped', () => {
    const rng = new Rng(1);
    const t = randomTerms(rng, 500);
    const { raw } = decompose(t);
    let negatives = 0;
    for (let i = 0; i < 500; i++) {
      const lo1 = t.h1[i] <= t.h2[i];
      const [iLo, iHi] = lo1 ? [t.i1[i], t.i2[i]] : [t.i2[i], t.i1[i]];
      const r = Math.max(iLo, iHi - Math.abs(t.h1[i] - t.h2[i]));
      assert.ok(close(raw.r[i], r, 1e-12), `row ${i}: r ${raw.r[i]} vs closed form ${r}`);
      assert.ok(close(raw.u1[i], t.i1[i] - r, 1e-12) && close(raw.u2[i], t.i2[i] - r, 1e-12));
      assert.ok(close(raw.s[i], t.i12[i] - t.i1[i] - t.i2[i] + r, 1e-12));
      assert.ok((lo1 ? raw.u1[i] : raw.u2[i]) <= 1e-12, 'u of the lower-entropy modality is ≤ 0');
      assert.ok(raw.r[i] >= Math.min(t.i1[i], t.i2[i]) - 1e-12 && raw.r[i] <= Math.max(t.i1[i], t.i2[i]) + 1e-12);
      if (raw.r[i] < 0 || raw.u1[i] < 0 || raw.u2[i] < 0 || raw.s[i] < 0) negatives++;
    }
    assert.ok(negatives > 0, 'negative pointwise values are kept');
  });

  it('the adjustment keeps r+u1, r+u2 and r+u1+u2+s per sample, with one scalar adj', () => {
    const rng = new Rng(2);
    for (let trial = 0; trial < 50; trial++) {
      const { raw, adjusted, adj } = decompose(randomTerms(rng, 30));
      for (let i = 0; i < 30; i++) {
        assert.ok(close(adjusted.r[i] + adjusted.u1[i], raw.r[i] + raw.u1[i]));
        assert.ok(close(adjusted.r[i] + adjusted.u2[i], raw.r[i] + raw.u2[i]));
        assert.ok(close(adjusted.r[i] + adjusted.u1[i] + adjusted.u2[i] + adjusted.s[i], raw.r[i] + raw.u1[i] + raw.u2[i] + raw.s[i]));
        assert.ok(close(adjusted.r[i] - raw.r[i], adj) && close(adjusted.s[i] - raw.s[i], adj));
      }
    }
  });

  it('every branch gives the closed-form adjusted means of docs/estimator.md', () => {
    const rng = new Rng(3);
    const seen = new Set<AdjustBranch>();
    for (let trial = 0; trial < 400; trial++) {
      const t = randomTerms(rng, 25);
      const { branch, adj, means } = decompose(t);
      seen.add(branch);
      const [I1, I2, I12] = [mean(t.i1), mean(t.i2), mean(t.i12)];
      const { raw, adjusted } = means;
      let want: number[];
      switch (branch) {
        case 'priority1_R_le_S':
          assert.ok((raw.R < 0 || raw.S < 0) && raw.R <= raw.S && close(adj, -raw.R));
          want = [0, I1, I2, I12 - I1 - I2];
          break;
        case 'priority1_S_lt_R':
          assert.ok((raw.R < 0 || raw.S < 0) && raw.S < raw.R && close(adj, -raw.S));
          want = [I1 + I2 - I12, I12 - I2, I12 - I1, 0];
          break;
        case 'priority2': {
          assert.ok(raw.R >= 0 && raw.S >= 0 && (raw.U1 < 0 || raw.U2 < 0));
          const m = Math.min(I1, I2);
          want = [m, I1 - m, I2 - m, I12 - Math.max(I1, I2)];
          break;
        }
        case 'none':
          assert.ok(raw.R >= 0 && raw.S >= 0 && raw.U1 >= 0 && raw.U2 >= 0 && adj === 0);
          want = [raw.R, raw.U1, raw.U2, raw.S];
          break;
      }
      const got = [adjusted.R, adjusted.U1, adjusted.U2, adjusted.S];
      for (let j = 0; j < 4; j++) assert.ok(close(got[j], want[j], 1e-9), `${branch}: atom ${j} ${got[j]} vs ${want[j]}`);
    }
    assert.deepEqual([...seen].sort(), ['none', 'priority1_R_le_S', 'priority1_S_lt_R', 'priority2']);
  });

  it('rejects empty or ragged input', () => {
    const e = new Float64Array(0);
    assert.throws(() => decompose({ i1: e, i2: e, i12: e, h1: e, h2: e }), /empty/);
    const one = new Float64Array(1);
    assert.throws(() => decompose({ i1: one, i2: one, i12: new Float64Array(2), h1: one, h2: one }), /i12/);
  });
});

describe('classMeans and topK', () => {
  it('classMeans counts and averages per class, NaN for an empty class', () => {
    const { n, mean: m } = classMeans(Float64Array.from([1, 2, 3, 10]), Int32Array.from([0, 0, 2, 2]), 3);
    assert.deepEqual(n, [2, 0, 2]);
    assert.deepEqual([m[0], m[2]], [1.5, 6.5]);
    assert.ok(Number.isNaN(m[1]));
    assert.throws(() => classMeans(Float64Array.from([1]), Int32Array.from([3]), 3), /label 3/);
  });

  it('topK matches a full sort (ties by row index), both orders, any k, NaN skipped', () => {
    const rng = new Rng(4);
    const values = new Float64Array(2000);
    for (let i = 0; i < values.length; i++) values[i] = rng.int(50) / 10; // many ties
    values[7] = NaN;
    const rows = [...values.keys()].filter((i) => !Number.isNaN(values[i]));
    const desc = [...rows].sort((a, b) => values[b] - values[a] || a - b);
    const asc = [...rows].sort((a, b) => values[a] - values[b] || a - b);
    for (const k of [0, 1, 5, 37, 1999, 5000]) {
      assert.deepEqual(Array.from(topK(values, k, 'desc')), desc.slice(0, k), `desc k=${k}`);
      assert.deepEqual(Array.from(topK(values, k, 'asc')), asc.slice(0, k), `asc k=${k}`);
    }
  });
});

describe('pointwise MI from logits', () => {
  it('logSoftmaxAt is exact and finite for extreme logits', () => {
    const logits = denseMatrix(2, 3, Float32Array.from([1000, -1000, 0, 0, Math.log(2), 0]));
    const lp = logSoftmaxAt(logits, Int32Array.from([1, 1]));
    assert.ok(close(lp[0], -2000, 1e-12));
    assert.ok(close(lp[1], Math.log(0.5), 1e-6));
  });

  it('empirical prior = label frequencies; uniform = −log C; a given prior is used as is', () => {
    const labels = Int32Array.from([0, 1, 1, 1]);
    assert.deepEqual(Array.from(logPrior(labels, 2, 'empirical')), [Math.log(0.25), Math.log(0.75)]);
    assert.deepEqual(Array.from(logPrior(labels, 2, 'uniform')), [-Math.log(2), -Math.log(2)]);
    assert.deepEqual(Array.from(logPrior(labels, 2, 'empirical', [0.5, 0.5])), [Math.log(0.5), Math.log(0.5)]);
    const pmi = pointwiseMI(Float64Array.from([Math.log(0.5), 0, 0, 0]), labels, logPrior(labels, 2, 'empirical'));
    assert.ok(close(pmi[0], Math.log(2)) && close(pmi[1], -Math.log(0.75)));
  });

  it('explains a class without samples, a bad given prior and an out-of-range label', () => {
    assert.throws(() => logPrior(Int32Array.from([0, 0, 2]), 3, 'empirical'), /no sample has class 1/);
    assert.throws(() => logPrior(Int32Array.from([0, 1]), 2, 'empirical', [0.5, 0.7]), /sums to/);
    assert.throws(() => logPrior(Int32Array.from([0, 1]), 2, 'empirical', [1, 0]), /positive/);
    assert.throws(() => logPrior(Int32Array.from([0, 2]), 2, 'empirical'), /label 2/);
    assert.throws(() => logSoftmaxAt(denseMatrix(1, 2, new Float32Array(2)), Int32Array.from([2])), /label 2/);
  });
});
