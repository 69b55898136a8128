import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SamplesTable, inRange, lowerIds, percentileOf, quantileSorted, selectRows, sortedColumn } from '../../src/engine/select';
import { RowsQuery } from '../../src/engine/rowsQuery';
import { compareResults, filterSamples, moversPage, moversRanking } from '../../src/engine/compare';
import { comparisonView, partitionByQuantiles, resultsView } from '../../src/engine/export';
import { SPLITS, type Split } from '../../src/engine/io/run';
import { Rng } from '../../src/engine/random';
import { type SmallRun, smallResults } from './results-fixtures';

const table = (over: Partial<SamplesTable> = {}): SamplesTable => ({
  sampleIds: ['Cat-01', 'cat-02', 'DOG-01', 'dog-02', 'fish-01', 'Fish-02'],
  labels: Int32Array.from([0, 0, 1, 1, 2, 2]),
  split: Uint8Array.from([0, 1, 2, 0, 255, 2]), // 255: the row has no split (compare's NO_SPLIT)
  ...over,
});
const ids = (t: SamplesTable, rows: ArrayLike<number>) => Array.from(rows, (j) => t.sampleIds[j]);

describe('selectRows: the one row selection', () => {
  it('no filter keeps every row, ascending, as an Int32Array', () => {
    assert.deepEqual(selectRows(table(), {}), Int32Array.from([0, 1, 2, 3, 4, 5]));
    assert.deepEqual(selectRows(table(), { classes: [], search: '   ', ranges: [] }), Int32Array.from([0, 1, 2, 3, 4, 5]));
  });

  it('classes: the label is one of them', () => {
    assert.deepEqual(selectRows(table(), { classes: [2, 0] }), Int32Array.from([0, 1, 4, 5]));
    assert.deepEqual(selectRows(table(), { classes: [7] }), new Int32Array(0));
  });

  it('split: the row has this split; a row without one never has it; no split column selects nothing; an unknown name selects as if none were given', () => {
    const t = table();
    assert.deepEqual(selectRows(t, { split: 'test' }), Int32Array.from([2, 5]));
    assert.deepEqual(selectRows(t, { split: 'train' }), Int32Array.from([0, 3]));
    assert.deepEqual(selectRows(table({ split: undefined }), { split: 'train' }), new Int32Array(0));
    assert.deepEqual(selectRows(t, { split: 'holdout' }), Int32Array.from([0, 1, 2, 3, 4, 5]));
  });

  it('search: a case-insensitive, trimmed substring of sample_id', () => {
    const t = table();
    assert.deepEqual(ids(t, selectRows(t, { search: ' CAT ' })), ['Cat-01', 'cat-02']);
    assert.deepEqual(ids(t, selectRows(t, { search: '-02' })), ['cat-02', 'dog-02', 'Fish-02']);
    assert.deepEqual(selectRows(t, { search: 'zebra' }), new Int32Array(0));
    // the lower-case ids are made once per id array
    assert.equal(lowerIds(t.sampleIds), lowerIds(t.sampleIds));
    assert.deepEqual(lowerIds(t.sampleIds), ['cat-01', 'cat-02', 'dog-01', 'dog-02', 'fish-01', 'fish-02']);
  });

  it('ranges: lo ≤ v < hi, a null end open, NaN never passes, every range must hold', () => {
    const t = table();
    const v = Float64Array.from([0, 1, 2, NaN, 3, -Infinity]);
    const w = Float64Array.from([5, 5, 5, 5, 0, 5]);
    assert.deepEqual(selectRows(t, { ranges: [{ values: v, lo: 1, hi: 3 }] }), Int32Array.from([1, 2]), 'lo inclusive, hi exclusive');
    assert.deepEqual(selectRows(t, { ranges: [{ values: v, lo: null, hi: 1 }] }), Int32Array.from([0, 5]), 'open below: −∞ passes, NaN does not');
    assert.deepEqual(selectRows(t, { ranges: [{ values: v, lo: 2, hi: null }] }), Int32Array.from([2, 4]), 'open above');
    assert.deepEqual(selectRows(t, { ranges: [{ values: v, lo: null, hi: null }] }), Int32Array.from([0, 1, 2, 4, 5]), 'both ends open: every value but NaN');
    assert.deepEqual(selectRows(t, { ranges: [{ values: v, lo: 2, hi: 2 }] }), new Int32Array(0), 'an empty range');
    assert.deepEqual(selectRows(t, { ranges: [{ values: v, lo: 0, hi: null }, { values: w, lo: 1, hi: null }] }), Int32Array.from([0, 1, 2]));
    assert.equal(inRange(NaN, null, null), false);
    // an open end is ±∞ itself, and the upper end is exclusive: −∞ passes an open lower end, +∞ never passes
    assert.equal(inRange(-Infinity, null, 0), true);
    assert.equal(inRange(Infinity, 0, null), false);
  });

  it('filters combine, and the order given is kept; entries that are not rows are left out', () => {
    const t = table();
    assert.deepEqual(selectRows(t, { classes: [0, 1], split: 'train', search: 'o' }), Int32Array.from([3]));
    assert.deepEqual(selectRows(t, { classes: [0, 2] }, [5, 4, 1, 0, 3]), Int32Array.from([5, 4, 1, 0]));
    assert.deepEqual(selectRows(t, {}, [2, -1, 6, 1.5, NaN, 0]), Int32Array.from([2, 0]));
    assert.deepEqual(selectRows(t, { classes: [1] }, []), new Int32Array(0));
    assert.deepEqual(selectRows(table({ sampleIds: [], labels: new Int32Array(0), split: undefined }), { search: 'x' }), new Int32Array(0));
  });
});

describe('the results panel, Compare and exports select rows alike', () => {
  const rng = new Rng(11);
  const n = 400;
  const labels = Array.from({ length: n }, () => rng.int(3));
  const split = Array.from({ length: n }, () => SPLITS[rng.int(3)]);
  const run = (name: string): SmallRun => ({
    name,
    ids: Array.from({ length: n }, (_, k) => `${k % 3 ? 'img' : 'IMG'}-${String(k).padStart(4, '0')}`),
    labels,
    split,
    r: Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 4), // ties on the range ends
    u1: Array.from({ length: n }, () => rng.normal()),
    u2: Array.from({ length: n }, () => rng.normal()),
    s: Array.from({ length: n }, () => rng.normal()),
  });
  const a = smallResults(run('a'));
  const b = smallResults(run('b'));
  const filter = { classes: [0, 2], split: 'val' as Split, search: 'img-01' };
  const brute = (v: ArrayLike<number>, lo: number | null, hi: number | null) =>
    Array.from({ length: n }, (_, j) => j).filter(
      (j) => filter.classes.includes(a.labels[j]) && SPLITS[a.split![j]] === filter.split && a.sampleIds[j].toLowerCase().includes(filter.search) && (lo === null || v[j] >= lo) && (hi === null || v[j] < hi),
    );

  it('RowsQuery (the results panel and saved slices) keeps exactly the rows the rule keeps, in its sort order', () => {
    const rows = Array.from(new RowsQuery(a).rows({ sort: 'r', desc: true, ...filter, range: { col: 'r', lo: -0.5, hi: 0.75 } }));
    const expected = brute(a.columns.r, -0.5, 0.75);
    assert.ok(expected.length > 3, `${expected.length} rows`);
    assert.deepEqual([...rows].sort((x, y) => x - y), expected);
    for (let k = 1; k < rows.length; k++) assert.ok(a.columns.r[rows[k - 1]] >= a.columns.r[rows[k]], 'sorted by r, descending');
  });

  it('Compare (movers, filterSamples) and exports keep the same rows', () => {
    const cmp = compareResults([{ file: 'a.lsmi.arrow', data: a }, { file: 'b.lsmi.arrow', data: b }], { bootstrap: { replicates: 0 } });
    const expected = brute(a.columns.r, null, 0.5);
    const q = { ...filter, ranges: [{ run: 0, component: 'r' as const, lo: null, hi: 0.5 }] };
    assert.deepEqual(Array.from(filterSamples(cmp, q)), expected);
    assert.deepEqual([...moversRanking(cmp, { ...q, run: 1 })].sort((x, y) => x - y), expected);
    const page = moversPage(cmp, { ...q, run: 1, limit: 1000 });
    assert.equal(page.total + page.missing, expected.length);
    assert.deepEqual(page.rows.map((r) => r.index).sort((x, y) => x - y), expected);
    assert.deepEqual(Array.from(comparisonView(cmp, q).rows), expected);
    assert.deepEqual(Array.from(resultsView(a, filter).rows), brute(a.columns.r, null, null));
  });
});

describe('quantiles and percentile-of', () => {
  it('quantileSorted: numpy\'s linear interpolation, q clamped to [0, 1], NaN when empty', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileSorted([1, 2, 3, 4], 0), 1);
    assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
    assert.equal(quantileSorted([1, 2, 3, 4], -1), 1);
    assert.equal(quantileSorted([1, 2, 3, 4], 2), 4);
    assert.equal(quantileSorted([7], 0.3), 7);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
    // duplicates at the boundary: the quantile is the repeated value itself
    assert.equal(quantileSorted([1, 2, 2, 2, 3], 0.25), 2);
    assert.equal(quantileSorted([1, 2, 2, 2, 3], 0.75), 2);
  });

  it('a quantile partition puts values equal to a threshold in the lower group and leaves NaN out', () => {
    const values = [1, 2, 2, 2, 3, NaN];
    const part = partitionByQuantiles(['a', 'b', 'c', 'd', 'e', 'f'], values, [0.25, 0.75], 'x');
    assert.deepEqual(part.thresholds, [2, 2]);
    assert.deepEqual(part.groups.map((g) => g.ids), [['a', 'b', 'c', 'd'], [], ['e']]);
    assert.equal(part.excluded, 1);
    assert.equal(part.total, 6);
    const none = partitionByQuantiles(['a'], [NaN], [0.5], 'x');
    assert.ok(none.thresholds.every((t) => Number.isNaN(t)));
    assert.deepEqual(none.groups.map((g) => g.count), [0, 0]);
  });

  it('percentileOf: the share of values ≤ x, duplicates counted in full; NaN counts in the denominator only', () => {
    const sorted = Float64Array.from([1, 2, 2, 3]);
    assert.equal(percentileOf(sorted, 2), 75);
    assert.equal(percentileOf(sorted, 0.5), 0);
    assert.equal(percentileOf(sorted, 1), 25);
    assert.equal(percentileOf(sorted, 3), 100);
    assert.equal(percentileOf(sorted, 9), 100);
    assert.equal(percentileOf(new Float64Array(0), 1), 0);
    assert.equal(percentileOf(Float64Array.from([1, 2, NaN, NaN]), 2), 50);
    assert.equal(percentileOf(sorted, NaN), 0);
  });

  it('sortedColumn: ascending with NaN last, the input untouched, made once per column', () => {
    const v = Float64Array.from([3, NaN, -1, 2, -0]);
    const s = sortedColumn(v);
    assert.deepEqual(Array.from(s).map((x) => (Number.isNaN(x) ? 'NaN' : x)), [-1, -0, 2, 3, 'NaN']);
    assert.deepEqual(Array.from(v).map((x) => (Number.isNaN(x) ? 'NaN' : x)), [3, 'NaN', -1, 2, -0]);
    assert.equal(sortedColumn(v), s);
    assert.notEqual(sortedColumn(Float64Array.from(v)), s, 'a different column gets its own copy');
  });
});
