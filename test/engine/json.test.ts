import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JsonSafe, type MaybeNaN, toJson } from '../../src/engine/json';
import type { MoversPage, Scatter } from '../../src/protocol/messages';

interface Payload {
  index: number;
  which: 1 | 2;
  mean: MaybeNaN;
  values: MaybeNaN[];
  pair: [string, string];
  stability?: MaybeNaN;
}

describe('toJson and JsonSafe: numbers as they arrive in a panel', () => {
  it('NaN and ±Infinity become null, every other value is kept', () => {
    const x: Payload = { index: 3, which: 2, mean: NaN, values: [1.5, Infinity, -Infinity, -0.25], pair: ['a', 'b'], stability: NaN };
    const y: JsonSafe<Payload> = toJson(x);
    assert.deepEqual(y, { index: 3, which: 2, mean: null, values: [1.5, null, null, -0.25], pair: ['a', 'b'], stability: null });
  });

  it('types a MaybeNaN as number | null and leaves every other number a number (checked by the compiler)', () => {
    const y: JsonSafe<Payload> = { index: 0, which: 1, mean: null, values: [null, 2], pair: ['a', 'b'] };
    // @ts-expect-error an index is never NaN: it arrives as a number
    const bad: JsonSafe<Payload> = { ...y, index: null };
    // @ts-expect-error a literal union stays itself
    const wrong: JsonSafe<Payload> = { ...y, which: 3 };
    // the protocol's view of the engine: a mover's values may be null, its rank and index are numbers
    const row: MoversPage['rows'][number]['value']['r'] = null;
    // @ts-expect-error
    const rank: MoversPage['rows'][number]['rank'] = null;
    const pearson: Scatter['pearson'] = null;
    // @ts-expect-error
    const total: Scatter['total'] = null;
    assert.deepEqual([bad.index, wrong.which, row, rank, pearson, total], [null, 3, null, null, null, null]);
  });
});
