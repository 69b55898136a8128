/**
 * A row-major float32 matrix stored as one chunk per record batch, so reading an Arrow file needs no
 * copy: each chunk is a view on the batch's buffer.
 */
export interface MatrixChunk {
  /** Index of the chunk's first row in the whole matrix. */
  readonly start: number;
  readonly rows: number;
  /** rows × cols values, row-major. */
  readonly data: Float32Array;
}

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly chunks: readonly MatrixChunk[];
}

export function matrixFromChunks(cols: number, datas: readonly Float32Array[]): Matrix {
  const chunks: MatrixChunk[] = [];
  let start = 0;
  for (const data of datas) {
    const rows = cols === 0 ? 0 : data.length / cols;
    if (!Number.isInteger(rows)) throw new Error(`chunk of ${data.length} values is not a multiple of ${cols} columns`);
    if (rows > 0) chunks.push({ start, rows, data });
    start += rows;
  }
  return { rows: start, cols, chunks };
}

export function denseMatrix(rows: number, cols: number, data: Float32Array): Matrix {
  return { rows, cols, chunks: rows > 0 ? [{ start: 0, rows, data }] : [] };
}

/** Index of the chunk that holds `row` (binary search over chunk starts). */
export function chunkIndex(m: Matrix, row: number): number {
  if (row < 0 || row >= m.rows) throw new RangeError(`row ${row} outside [0, ${m.rows})`);
  const chunks = m.chunks;
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (chunks[mid].start <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function chunkOf(m: Matrix, row: number): MatrixChunk {
  return m.chunks[chunkIndex(m, row)];
}

/** A view (no copy) on one row. */
export function matrixRow(m: Matrix, row: number): Float32Array {
  const c = chunkOf(m, row);
  const o = (row - c.start) * m.cols;
  return c.data.subarray(o, o + m.cols);
}

/** The whole matrix as one contiguous array: a view when there is a single chunk, else a copy. */
export function toDense(m: Matrix): Float32Array {
  if (m.chunks.length === 1) return m.chunks[0].data;
  const out = new Float32Array(m.rows * m.cols);
  for (const c of m.chunks) out.set(c.data, c.start * m.cols);
  return out;
}

/** Calls fn for each row range [start, start+rows) in chunk-sized pieces of at most maxRows rows. */
export function forEachBlock(
  m: Matrix,
  maxRows: number,
  fn: (start: number, rows: number, data: Float32Array) => void,
): void {
  for (const c of m.chunks) {
    for (let r = 0; r < c.rows; r += maxRows) {
      const rows = Math.min(maxRows, c.rows - r);
      fn(c.start + r, rows, c.data.subarray(r * m.cols, (r + rows) * m.cols));
    }
  }
}
