import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogram, histogramRange, nextUp, sortedFinite } from '../../src/engine/histogram';
import { histogramOf } from '../../src/extension/resultsOverview';
import { Rng } from '../../src/engine/random';
import { inRange as keeps } from '../../src/engine/select';

/** How many values the samples table's range filter keeps (src/engine/select.ts): lo ≤ x < hi, null ends open. */
const inRange = (values: ArrayLike<number>, lo: number | null, hi: number | null) => Array.from(values).filter((x) => keeps(x, lo, hi)).length;

const normal = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.normal());

describe('histogram: the one contract', () => {
  it('counts sum to N: every finite value is in a bin, the underflow or the overflow; non-finite ones are missing', () => {
    const rng = new Rng(3);
    const v = normal(rng, 20_000);
    v[5] = NaN;
    v[6] = Infinity;
    v[7] = 40; // far out
    v[8] = -25;
    const h = histogram(v, { bins: 30 });
    const inBins = h.counts.reduce((s, c) => s + c, 0);
    assert.equal(inBins + h.underflow + h.overflow, h.n);
    assert.equal(h.n, 19_998);
    assert.equal(h.missing, 2);
    assert.equal(h.edges.length, 31);
    assert.equal(h.min, -25);
    assert.equal(h.max, 40);
  });

  it('outliers go to explicit overflow bins (never into the edge bins), by Tukey\'s outer fences, not a fixed share', () => {
    const rng = new Rng(4);
    const v = normal(rng, 100_000);
    v[0] = 50;
    v[1] = 60;
    v[2] = -70;
    const h = histogram(v, { bins: 30 });
    assert.equal(h.rule, 'fences');
    // the fences Q1 − 3·IQR, Q3 + 3·IQR of a standard normal: about ±4.7; only the three planted values beyond
    assert.ok(h.edges[30] > 4.5 && h.edges[30] < 5, `hi ${h.edges[30]}`);
    assert.ok(h.edges[0] < -4.5 && h.edges[0] > -5, `lo ${h.edges[0]}`);
    assert.equal(h.overflow, 2);
    assert.equal(h.underflow, 1);
    // the overflow is exactly what lies at or above the last edge; the edge bins hold only values inside
    assert.equal(h.overflow, inRange(v, h.edges[30], null));
    assert.equal(h.counts[29], inRange(v, h.edges[29], h.edges[30]));
    assert.equal(h.counts[0], inRange(v, h.edges[0], h.edges[1]));
  });

  it('no outliers: the full range, the maximum inside the last bin (the last edge is the next double above it)', () => {
    const v = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const h = histogram(v, { bins: 3 });
    assert.equal(h.rule, 'full');
    assert.equal(h.edges[0], 0);
    assert.equal(h.edges[3], nextUp(9));
    assert.equal(h.overflow + h.underflow, 0);
    assert.deepEqual(h.counts, [4, 3, 3], "edges 0, 3 + ε, 6 + ε, 9 + ε");
  });

  it('every bin agrees exactly with the range filter, values on the edges included (brushed bins = the rows the table lists)', () => {
    // values on the edges themselves: 0.1 steps do not add up exactly in floating point
    const v = Float64Array.from({ length: 1001 }, (_, i) => i / 10);
    v[1000] = 1e6; // one far outlier
    const h = histogram(v, { bins: 37 });
    for (let k = 0; k < 37; k++) assert.equal(h.counts[k], inRange(v, h.edges[k], h.edges[k + 1]), `bin ${k}`);
    assert.equal(h.underflow, inRange(v, null, h.edges[0]));
    assert.equal(h.overflow, inRange(v, h.edges[37], null));
    // any run of bins, as a brush selects them
    for (const [a, b] of [[0, 5], [3, 36], [10, 10]]) {
      const sum = h.counts.slice(a, b + 1).reduce((s, c) => s + c, 0);
      assert.equal(sum, inRange(v, h.edges[a], h.edges[b + 1]), `bins ${a}..${b}`);
    }
  });

  it('a structural spike (half the samples at one value) keeps its own bin and the tail stays visible', () => {
    const rng = new Rng(5);
    const n = 100_000;
    const v = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 0.062 : 0.062 + Math.abs(normal(rng, 1)[0]) * 0.3));
    const h = histogram(v, { bins: 30 });
    const spike = h.counts.findIndex((c, k) => 0.062 >= h.edges[k] && 0.062 < h.edges[k + 1]);
    assert.ok(h.counts[spike] >= n / 2);
    assert.ok(h.counts.filter((c) => c > 0).length > 10, 'the tail spreads over the bins');
  });

  it('symmetric ranges put 0 on an edge; all-equal values get a unit-wide range', () => {
    const r = histogramRange(sortedFinite([-0.5, 0.1, 0.2, 2]), { symmetric: true });
    assert.equal(r.lo, -r.hi);
    const h = histogram([-0.5, 0.1, 0.2, 2], { bins: 4, range: r });
    assert.equal(h.edges[2], 0);
    const flat = histogram([3, 3, 3], { bins: 2 });
    assert.deepEqual([flat.edges[0], flat.edges[2]], [2.5, 3.5]);
    assert.equal(flat.counts[0] + flat.counts[1], 3);
    const empty = histogram([NaN], { bins: 2 });
    assert.equal(empty.n, 0);
    assert.equal(empty.min, null);
  });

  it('a log-scale view changes nothing in the data: the results panel gets counts, never transformed values', () => {
    const rng = new Rng(6);
    const v = Float64Array.from({ length: 5_000 }, () => Math.exp(3 * normal(rng, 1)[0]));
    const a = histogramOf(v);
    const b = histogramOf(v);
    assert.deepEqual(a, b, 'the same column gives the same histogram (the sorted copy is cached)');
    assert.ok(a.counts.every((c) => Number.isInteger(c) && c >= 0));
    assert.equal(a.counts.reduce((s, c) => s + c, 0) + a.underflow + a.overflow, 5_000);
    assert.equal(a.edges.length, 31);
  });
});

describe('histogram: the range rule', () => {
  it('a spike that holds the middle half (IQR 0) clips no more than the outer 0.5 % on either side', () => {
    const rng = new Rng(8);
    const n = 10_000;
    // 70 % at one value (the structural zeros of u1 after the RUS adjustment), heavy tails around it
    const v = Float64Array.from({ length: n }, (_, i) => (i % 10 < 7 ? 0.0426 : 0.0426 + rng.normal() * (i % 2 ? 0.3 : 3)));
    const h = histogram(v, { bins: 30 });
    assert.equal(h.rule, 'fences');
    assert.ok(h.underflow <= n * 0.005 + 1 && h.overflow <= n * 0.005 + 1, `${h.underflow} below, ${h.overflow} above`);
    assert.ok(h.underflow + h.overflow > 0);
    assert.ok(h.edges[30] - h.edges[0] > 1, 'the bins span the tails, not the spike');
  });

  it('normal data has no outliers at all (the 0.5 % tails are inside the fences)', () => {
    const rng = new Rng(9);
    const v = Float64Array.from({ length: 50_000 }, () => rng.normal());
    const h = histogram(v);
    assert.equal(h.rule, 'full');
    assert.equal(h.underflow + h.overflow, 0);
  });
});
