import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderBy } from '../../src/engine/order';

function byComparator(v: ArrayLike<number>, desc: boolean): number[] {
  const idx = Array.from({ length: v.length }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(v[i]) ? (desc ? -Infinity : Infinity) : v[i]);
  return idx.sort((a, b) => {
    const na = Number.isNaN(v[a]);
    const nb = Number.isNaN(v[b]);
    if (na !== nb) return na ? 1 : -1;
    return (desc ? key(b) - key(a) : key(a) - key(b)) || a - b;
  });
}

describe('orderBy: the samples table order', () => {
  it('equals a comparator sort (ties by index, NaN last), both directions, with many ties', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const n of [0, 1, 2, 17, 1000, 20000]) {
      const v = Float64Array.from({ length: n }, () => (rnd() < 0.05 ? NaN : Math.round(rnd() * 50) / 10 - 2));
      if (n > 3) (v[1] = -0), (v[2] = 0), (v[3] = Infinity);
      for (const desc of [true, false]) assert.deepEqual(Array.from(orderBy(v, desc)), byComparator(v, desc), `n=${n} desc=${desc}`);
    }
  });

  it('orders every kind of float64 like the comparator: signs, exponents, subnormals, ±Infinity, exact ties in the low bits', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const special = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, 1 + 2 ** -52, -1, -1 - 2 ** -52];
    const v = Float64Array.from({ length: 60000 }, (_, i) =>
      i < special.length ? special[i] : rnd() < 0.3 ? (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20) : rnd() < 0.5 ? 1 + Math.floor(rnd() * 4) * 2 ** -52 : Math.round(rnd() * 8) - 4,
    );
    for (const desc of [true, false]) assert.deepEqual(Array.from(orderBy(v, desc)), byComparator(v, desc), `desc=${desc}`);
  });
});

