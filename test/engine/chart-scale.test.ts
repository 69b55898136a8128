import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogram } from '../../src/engine/histogram';
import { Rng } from '../../src/engine/random';
import { barHeight, countTicks, niceTicks, slotCount, slotRange, slotsOf, slotsOfRange } from '../../webview/shared/chartScale';

describe('the charts\' axes (webview/shared/chartScale.ts)', () => {
  it('the log scale only redraws: heights keep the bars\' order, 0 stays 0, one sample stays visible, the counts are untouched', () => {
    const counts = [0, 1, 3, 10, 250, 9000, 40];
    const copy = counts.slice();
    const max = Math.max(...counts);
    const lin = counts.map((c) => barHeight(c, max, 'linear'));
    const log = counts.map((c) => barHeight(c, max, 'log'));
    assert.deepEqual(counts, copy);
    assert.equal(log[0], 0);
    assert.equal(log[5], 1);
    assert.equal(lin[5], 1);
    assert.ok(log[1] > 0.05, `one sample of 9,000: ${log[1]} of the height`);
    assert.ok(lin[1] < 0.001);
    const order = (xs: number[]) => xs.map((_, k) => k).sort((a, b) => xs[a] - xs[b] || a - b);
    assert.deepEqual(order(log), order(lin));
    assert.deepEqual(countTicks(9000, 'log'), [0, 1, 10, 100, 1000]);
    assert.ok(countTicks(9000, 'linear').every((t) => Number.isInteger(t) && t <= 9000));
  });

  it('nice ticks are round and cover the range', () => {
    assert.deepEqual(niceTicks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(niceTicks(-2.94, 2.26, 4), [-2, 0, 2]);
    const t = niceTicks(-0.3, 0.7, 4);
    assert.ok(t.includes(0) && !t.some((x) => Object.is(x, -0)));
  });

  it('a brushed run of slots: its range and its count agree with the engine\'s bins, outlier slots included', () => {
    const rng = new Rng(2);
    const v = Float64Array.from({ length: 3000 }, () => rng.normal() ** 3);
    const h = histogram(v, { bins: 20 });
    const slots = slotsOf(h);
    assert.equal(slots[0], -1, 'an underflow slot');
    assert.equal(slots[slots.length - 1], 20, 'an overflow slot');
    const within = (lo: number | null, hi: number | null) => Array.from(v).filter((x) => (lo === null || x >= lo) && (hi === null || x < hi)).length;
    for (const [a, b] of [[-1, 3], [4, 9], [15, 20], [-1, 20], [7, 7]]) {
      const r = slotRange(h, a, b);
      assert.equal(slotCount(h, a, b), within(r.lo, r.hi), `slots ${a}..${b}`);
      assert.deepEqual(slotsOfRange(h, r.lo, r.hi), [a, b], 'a stored range maps back to its slots');
    }
    assert.equal(slotCount(h, -1, 20), 3000);
    assert.equal(slotsOfRange(h, 0.123456, null), undefined, 'a range off the edges is not drawn as a selection');
  });
});
