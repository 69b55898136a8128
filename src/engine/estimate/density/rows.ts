/**
 * Row access for the EM density fits (./em.ts): seeded row subsamples, rows in blocks for tfjs
 * uploads (memory O(block·K·d) whatever N is; an abort is noticed between blocks), and the
 * transposed blocks the M-steps multiply by (only 2-D non-transposed matMuls run fast on the wasm
 * backend: see src/engine/compute/backend.ts).
 */
import { denseMatrix, matrixRow, toDense, type Matrix } from '../../io/matrix';
import type { Rng } from '../../random';
import type { Covariance } from '../settings';

/** Rows per upload to tfjs (at most). */
export const BLOCK_ROWS = 4096;
/** Full covariance: rows per block such that a block costs about this many multiply-adds per stage. */
export const FULL_BLOCK_MACS = 2 ** 29;
/** ... but no fewer rows than this. */
export const MIN_BLOCK_ROWS = 256;

/** Memory for the transposed row blocks kept across EM passes (see {@link TransposedBlocks}). */
export const TRANSPOSE_CACHE_BYTES = 256 * 2 ** 20;

/** m distinct row indices drawn uniformly by the rng, in increasing order. */
export function sampleIndices(n: number, m: number, rng: Rng): Int32Array {
  return rng.permutation(n).slice(0, m).sort();
}

/** The given rows (all when null) as a dense single-chunk matrix; no copy when X already is one. */
export function gatherRows(X: Matrix, rows: Int32Array | null): Matrix {
  if (!rows) return X.chunks.length <= 1 ? X : denseMatrix(X.rows, X.cols, toDense(X));
  const d = X.cols;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, i) => data.set(matrixRow(X, r), i * d));
  return denseMatrix(rows.length, d, data);
}

/** The values of a matrix made by {@link gatherRows}. */
export function toRows(X: Matrix): Float32Array {
  return X.chunks[0].data.subarray(0, X.rows * X.cols);
}

export interface RowBlock {
  /** Index of the block's first row. */
  start: number;
  rows: number;
  /** rows × d values; may be a reused buffer, valid until the next block is requested. */
  data: Float32Array;
}

/**
 * Rows per block: BLOCK_ROWS for diagonal covariance; for full covariance (K·d² multiply-adds per
 * row) and tied covariance (d² per row, the whitening when scoring) fewer, so that a block stays a
 * fraction of a second and an abort is noticed promptly.
 */
export function blockRows(covariance: Covariance, d: number, K: number): number {
  if (covariance === 'diag') return BLOCK_ROWS;
  const macsPerRow = (covariance === 'full' ? K : 1) * d * d;
  return Math.max(MIN_BLOCK_ROWS, Math.min(BLOCK_ROWS, Math.floor(FULL_BLOCK_MACS / macsPerRow)));
}

/**
 * The rows of X in order, in blocks of `size` rows (the last may be shorter): views into the chunks,
 * or a copy where a block spans chunks. Yields to the event loop before each block and throws an
 * AbortError there if the signal has fired.
 */
export async function* rowBlocks(X: Matrix, size: number, signal?: AbortSignal): AsyncGenerator<RowBlock> {
  const d = X.cols;
  let buffer: Float32Array | undefined;
  let pending = 0;
  let pendingStart = 0;
  for (const c of X.chunks) {
    let r = 0;
    while (r < c.rows) {
      if (pending === 0 && c.rows - r >= size) {
        await checkpoint(signal);
        yield { start: c.start + r, rows: size, data: c.data.subarray(r * d, (r + size) * d) };
        r += size;
        continue;
      }
      buffer ??= new Float32Array(size * d);
      if (pending === 0) pendingStart = c.start + r;
      const take = Math.min(size - pending, c.rows - r);
      buffer.set(c.data.subarray(r * d, (r + take) * d), pending * d);
      pending += take;
      r += take;
      if (pending === size) {
        await checkpoint(signal);
        yield { start: pendingStart, rows: pending, data: buffer };
        pending = 0;
      }
    }
  }
  if (pending > 0) {
    await checkpoint(signal);
    yield { start: pendingStart, rows: pending, data: buffer!.subarray(0, pending * d) };
  }
}

/**
 * (x − c)ᵀ of each row block, built in JS for the M-step's matMuls (only non-transposed matMuls run
 * fast on wasm, and building the transpose is about half the cost of a diagonal pass). Blocks are
 * kept across the passes of one phase (same block size) while they fit in
 * {@link TRANSPOSE_CACHE_BYTES}; the rest are rebuilt each pass.
 */
export class TransposedBlocks {
  private readonly cache = new Map<number, Float32Array>();
  private bytes = 0;
  private scratch: Float32Array | undefined;

  constructor(
    private readonly center: Float64Array,
    private readonly d: number,
    private readonly blockRows: number,
    /** Bytes of blocks kept (0: none, every block is rebuilt in one scratch buffer: passes over all rows). */
    private readonly cacheBytes = TRANSPOSE_CACHE_BYTES,
  ) {}

  /** The d×rows transpose of the centred block, valid until the next call. */
  get(b: RowBlock): Float32Array {
    const cached = this.cache.get(b.start);
    if (cached) return cached;
    const size = b.rows * this.d;
    const keep = this.bytes + 4 * size <= this.cacheBytes;
    const out = keep ? new Float32Array(size) : (this.scratch ??= new Float32Array(this.blockRows * this.d)).subarray(0, size);
    this.fill(b, out);
    if (keep) {
      this.cache.set(b.start, out);
      this.bytes += 4 * size;
    }
    return out;
  }

  /** Drops the kept blocks (they are rebuilt if asked for again). */
  clear(): void {
    this.cache.clear();
    this.bytes = 0;
  }

  /** Tiled so that reads and writes both stay in cache. */
  private fill(b: RowBlock, out: Float32Array): void {
    const { d, center } = this;
    const n = b.rows;
    const TILE = 16;
    for (let i0 = 0; i0 < n; i0 += TILE) {
      const i1 = Math.min(n, i0 + TILE);
      for (let j = 0; j < d; j++) {
        const c = center[j];
        const o = j * n;
        for (let i = i0; i < i1; i++) out[o + i] = b.data[i * d + j] - c;
      }
    }
  }
}

/** Yields to the event loop (so an abort can be delivered), then throws an AbortError if it was. */
export async function checkpoint(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) {
    const e = new Error('the density fit was aborted');
    e.name = 'AbortError';
    throw e;
  }
}
