/**
 * Decompression for Arrow IPC bodies: LZ4_FRAME (pyarrow's default for `write_feather`) and ZSTD.
 * apache-arrow ships a codec registry but no codecs; we register these once.
 */
import { compressionRegistry, CompressionType } from 'apache-arrow';
import { ZstdError, zstdDecompressInto } from './zstd';

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
  constructor(
    size: number,
    private readonly max: number,
  ) {
    this.buf = new Uint8Array(Math.max(64, Math.min(size, max)));
  }
  reserve(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    if (need > this.max) throw new CodecError(`LZ4 data inflates to more than the ${this.max} bytes its buffer declares`);
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

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;
const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;

/** xxHash32 (the LZ4 frame format's checksums). */
export function xxh32(b: Uint8Array, start: number, end: number, seed = 0): number {
  let i = start;
  let h: number;
  const len = end - start;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    const round = (v: number, x: number) => Math.imul(rotl((v + Math.imul(x, P2)) >>> 0, 13), P1) >>> 0;
    for (; i + 16 <= end; i += 16) {
      v1 = round(v1, readU32(b, i));
      v2 = round(v2, readU32(b, i + 4));
      v3 = round(v3, readU32(b, i + 8));
      v4 = round(v4, readU32(b, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else h = (seed + P5) >>> 0;
  h = (h + len) >>> 0;
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(readU32(b, i), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(b[i], P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Decodes an LZ4 frame stream (one or more concatenated frames, skippable frames ignored). */
export function lz4FrameDecode(src: Uint8Array, expectedSize?: number, maxSize = MAX_DECODED): Uint8Array {
  const out = new Output(expectedSize ?? src.length * 4, maxSize);
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
    const bd = src[i++]; // block maximum size: 64 KiB (4) to 4 MiB (7); the other bits are reserved
    if (flg >>> 6 !== 1) throw new CodecError('unsupported LZ4 frame version');
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0 || ((bd >>> 4) & 7) < 4) throw new CodecError('the LZ4 frame header is invalid');
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    if (contentSize) {
      const size = readU32(src, i) + readU32(src, i + 4) * 2 ** 32;
      if (size > maxSize) throw new CodecError(`an LZ4 frame claims ${size} bytes, more than the ${maxSize} its buffer declares`);
      out.reserve(size);
      i += 8;
    }
    if (dictId) throw new CodecError('LZ4 frames with a dictionary are not supported');
    const descriptorStart = i - 2 - (contentSize ? 8 : 0);
    if (i >= src.length || src[i] !== ((xxh32(src, descriptorStart, i) >>> 8) & 0xff)) throw new CodecError('the LZ4 frame header fails its checksum');
    i++; // header checksum
    const frameStart = out.pos;
    for (;;) {
      if (i + 4 > src.length) throw new CodecError('LZ4 frame truncated');
      const word = readU32(src, i);
      i += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (i + size > src.length) throw new CodecError('LZ4 block truncated');
      if (blockChecksum && (i + size + 4 > src.length || readU32(src, i + size) !== xxh32(src, i, i + size))) throw new CodecError('an LZ4 block fails its checksum');
      if (word & 0x80000000) {
        out.reserve(size);
        out.buf.set(src.subarray(i, i + size), out.pos);
        out.pos += size;
      } else {
        decodeBlock(src, i, i + size, out);
      }
      i += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      if (i + 4 > src.length || readU32(src, i) !== xxh32(out.buf, frameStart, out.pos)) throw new CodecError('the LZ4 frame fails its content checksum');
      i += 4;
    }
  }
  return out.pos === out.buf.length ? out.buf : out.buf.subarray(0, out.pos);
}

/** Arrow builds 64-bit typed arrays on these bytes: they must start at a multiple of 8. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : b.slice();
}

/** The most one decoded buffer may hold when its declared size is unknown. */
const MAX_DECODED = 2 ** 32 - 1;

/**
 * The uncompressed size an Arrow compressed buffer declares: the int64 just before the bytes the
 * codec is given (apache-arrow passes a subarray of the body that starts after that prefix; see
 * `_decompressBuffers` in apache-arrow's ipc/reader.js). src/engine/io/ipc.ts has checked it.
 */
function declaredSize(data: Uint8Array): number | undefined {
  if (data.byteOffset < 8) return undefined;
  const v = new DataView(data.buffer, data.byteOffset - 8, 8).getBigInt64(0, true);
  return v >= 0n && v <= BigInt(MAX_DECODED) ? Number(v) : undefined;
}

/** The content size in a zstd frame header, when it has one (RFC 8878 §3.1.1.1). */
function zstdContentSize(b: Uint8Array): number | undefined {
  if (b.length < 6 || readU32(b, 0) !== 0xfd2fb528) return undefined;
  const fhd = b[4];
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictFlag = fhd & 3;
  const pos = 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag];
  const size = fcsFlag === 0 ? (single ? 1 : 0) : [1, 2, 4, 8][fcsFlag];
  if (size === 0 || pos + size > b.length) return undefined;
  if (size === 1) return b[pos];
  if (size === 2) return (b[pos] | (b[pos + 1] << 8)) + 256;
  if (size === 4) return readU32(b, pos);
  return readU32(b, pos) + readU32(b, pos + 4) * 2 ** 32;
}

/**
 * Decodes zstd data into exactly `expected` bytes (when known; else the size its frame header
 * declares, at most {@link MAX_DECODED}) with the strict decoder of src/engine/io/zstd.ts: damaged
 * data is an error, as in libzstd (pyarrow), never a buffer of the right size with wrong bytes.
 */
export function zstdDecode(data: Uint8Array, expected?: number): Uint8Array {
  const claimed = zstdContentSize(data);
  if (expected === undefined && (claimed === undefined || claimed > MAX_DECODED)) throw new CodecError('zstd data without a known size');
  const size = expected ?? claimed!;
  if (claimed !== undefined && claimed !== size) throw new CodecError(`zstd data of ${claimed} bytes in a buffer that declares ${size}`);
  try {
    return zstdDecompressInto(data, new Uint8Array(size));
  } catch (e) {
    if (e instanceof ZstdError) throw new CodecError(e.message);
    throw new CodecError('zstd data is corrupt');
  }
}

let registered = false;

/** Registers the LZ4_FRAME and ZSTD decoders with apache-arrow (idempotent). */
export function registerCodecs(): void {
  if (registered) return;
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    decode: (data) => {
      const expected = declaredSize(data);
      const out = lz4FrameDecode(data, expected, expected ?? MAX_DECODED);
      if (expected !== undefined && out.length !== expected) throw new CodecError(`LZ4 data inflates to ${out.length} bytes, not the ${expected} its buffer declares`);
      return aligned(out);
    },
  });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => aligned(zstdDecode(data, declaredSize(data))) });
  registered = true;
}
