/**
 * Decompression for Arrow IPC bodies: LZ4_FRAME (pyarrow's default for `write_feather`) and ZSTD.
 * apache-arrow ships a codec registry but no codecs; we register these once.
 */
import { compressionRegistry, CompressionType } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';

const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;

export class CodecError extends Error {}

function readU32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** A growable output buffer: LZ4 matches may reach back across block boundaries. */
class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(64, size));
  }
  reserve(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

/** Decodes one LZ4 block (raw block format) from src[start, end) into out. */
function decodeBlock(src: Uint8Array, start: number, end: number, out: Output): void {
  let i = start;
  while (i < end) {
    const token = src[i++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (i >= end) throw new CodecError('LZ4 block ends inside a literal length');
        b = src[i++];
        literals += b;
      } while (b === 255);
    }
    if (i + literals > end) throw new CodecError('LZ4 literals run past the end of the block');
    out.reserve(literals);
    out.buf.set(src.subarray(i, i + literals), out.pos);
    out.pos += literals;
    i += literals;
    if (i >= end) break; // the last sequence has literals only
    if (i + 2 > end) throw new CodecError('LZ4 block ends inside a match offset');
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > out.pos) throw new CodecError('LZ4 match offset out of range');
    let length = token & 15;
    if (length === 15) {
      let b: number;
      do {
        if (i >= end) throw new CodecError('LZ4 block ends inside a match length');
        b = src[i++];
        length += b;
      } while (b === 255);
    }
    length += 4;
    out.reserve(length);
    const buf = out.buf;
    let from = out.pos - offset;
    let to = out.pos;
    if (offset >= length) {
      buf.copyWithin(to, from, from + length);
    } else {
      // overlapping copy: repeats the last `offset` bytes
      for (const stop = to + length; to < stop; ) buf[to++] = buf[from++];
    }
    out.pos += length;
  }
}

/** Decodes an LZ4 frame stream (one or more concatenated frames, skippable frames ignored). */
export function lz4FrameDecode(src: Uint8Array, expectedSize?: number): Uint8Array {
  const out = new Output(expectedSize ?? src.length * 4);
  let i = 0;
  while (i < src.length) {
    if (i + 4 > src.length) throw new CodecError('LZ4 frame truncated before its magic number');
    const magic = readU32(src, i);
    i += 4;
    if (((magic & LZ4_SKIPPABLE_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC) {
      i += 4 + readU32(src, i);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new CodecError(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
    const flg = src[i++];
    i++; // BD: block maximum size, not needed to decode
    if (flg >>> 6 !== 1) throw new CodecError('unsupported LZ4 frame version');
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    if (contentSize) {
      const size = readU32(src, i) + readU32(src, i + 4) * 2 ** 32;
      out.reserve(size);
      i += 8;
    }
    if (dictId) throw new CodecError('LZ4 frames with a dictionary are not supported');
    i++; // header checksum
    for (;;) {
      if (i + 4 > src.length) throw new CodecError('LZ4 frame truncated');
      const word = readU32(src, i);
      i += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (i + size > src.length) throw new CodecError('LZ4 block truncated');
      if (word & 0x80000000) {
        out.reserve(size);
        out.buf.set(src.subarray(i, i + size), out.pos);
        out.pos += size;
      } else {
        decodeBlock(src, i, i + size, out);
      }
      i += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) i += 4;
  }
  return out.pos === out.buf.length ? out.buf : out.buf.subarray(0, out.pos);
}

/** Arrow builds 64-bit typed arrays on these bytes: they must start at a multiple of 8. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : b.slice();
}

let registered = false;

/** Registers the LZ4_FRAME and ZSTD decoders with apache-arrow (idempotent). */
export function registerCodecs(): void {
  if (registered) return;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => aligned(lz4FrameDecode(data)) });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => aligned(zstdDecompress(data)) });
  registered = true;
}
