/**
 * A flatbuffers verifier for the Arrow IPC metadata (Footer and Message tables), as the C++
 * flatbuffers `Verifier` that pyarrow runs before it trusts a footer or a message: every table,
 * vtable, field, vector and string lies inside the buffer and is aligned, strings end with a 0 byte,
 * nesting and table counts are bounded. apache-arrow's JavaScript reader has no verifier, so a
 * corrupt offset silently reads other bytes; with this check the reader refuses what pyarrow
 * refuses. The table layouts follow Arrow's Schema.fbs, Message.fbs and File.fbs (format 1.x);
 * fields added to those schemas later are simply not looked at (as an old reader would).
 */

import { isUtf8 } from 'node:buffer';

type FieldKind =
  | { k: 'scalar'; size: 1 | 2 | 4 | 8 }
  | { k: 'table'; t: () => TableDef }
  | { k: 'string' }
  | { k: 'vector'; elem: 1 | 2 | 4 | 8 | 16 | 24 }
  | { k: 'tables'; t: () => TableDef }
  | { k: 'union'; typeField: number; map: () => Record<number, TableDef> };

type TableDef = FieldKind[];

const s1: FieldKind = { k: 'scalar', size: 1 };
const s2: FieldKind = { k: 'scalar', size: 2 };
const s4: FieldKind = { k: 'scalar', size: 4 };
const s8: FieldKind = { k: 'scalar', size: 8 };
const str: FieldKind = { k: 'string' };

const KeyValue: TableDef = [str, str];
const kvs: FieldKind = { k: 'tables', t: () => KeyValue };
const Empty: TableDef = [];
const IntT: TableDef = [s4, s1];
const FloatingPoint: TableDef = [s2];
const Decimal: TableDef = [s4, s4, s4];
const DateT: TableDef = [s2];
const Time: TableDef = [s2, s4];
const Timestamp: TableDef = [s2, str];
const Interval: TableDef = [s2];
const UnionT: TableDef = [s2, { k: 'vector', elem: 4 }];
const FixedSizeBinary: TableDef = [s4];
const FixedSizeList: TableDef = [s4];
const MapT: TableDef = [s1];
const Duration: TableDef = [s2];
/** Type union: index = Arrow's `Type` enum (Schema.fbs). */
const TYPES: Record<number, TableDef> = {
  1: Empty, 2: IntT, 3: FloatingPoint, 4: Empty, 5: Empty, 6: Empty, 7: Decimal, 8: DateT, 9: Time, 10: Timestamp,
  11: Interval, 12: Empty, 13: Empty, 14: UnionT, 15: FixedSizeBinary, 16: FixedSizeList, 17: MapT, 18: Duration,
  19: Empty, 20: Empty, 21: Empty, 22: Empty, 23: Empty, 24: Empty, 25: Empty, 26: Empty,
};
const DictionaryEncoding: TableDef = [s8, { k: 'table', t: () => IntT }, s1, s2];
// Field: name, nullable, type_type, type, dictionary, children, custom_metadata
const Field: TableDef = [str, s1, s1, { k: 'union', typeField: 2, map: () => TYPES }, { k: 'table', t: () => DictionaryEncoding }, { k: 'tables', t: () => Field }, kvs];
// Schema: endianness, fields, custom_metadata, features
const Schema: TableDef = [s2, { k: 'tables', t: () => Field }, kvs, { k: 'vector', elem: 8 }];
const BodyCompression: TableDef = [s1, s1];
// RecordBatch: length, nodes (FieldNode: 16-byte structs), buffers (Buffer: 16-byte structs), compression, variadicBufferCounts
const RecordBatch: TableDef = [s8, { k: 'vector', elem: 16 }, { k: 'vector', elem: 16 }, { k: 'table', t: () => BodyCompression }, { k: 'vector', elem: 8 }];
const DictionaryBatch: TableDef = [s8, { k: 'table', t: () => RecordBatch }, s1];
/** MessageHeader union: Schema = 1, DictionaryBatch = 2, RecordBatch = 3 (tensors are refused elsewhere). */
const HEADERS: Record<number, TableDef> = { 1: Schema, 2: DictionaryBatch, 3: RecordBatch };
// Message: version, header_type, header, bodyLength, custom_metadata
export const MESSAGE: TableDef = [s2, s1, { k: 'union', typeField: 1, map: () => HEADERS }, s8, kvs];
// Footer: version, schema, dictionaries (Block: 24-byte structs), recordBatches, custom_metadata
export const FOOTER: TableDef = [s2, { k: 'table', t: () => Schema }, { k: 'vector', elem: 24 }, { k: 'vector', elem: 24 }, kvs];

const MAX_DEPTH = 64;
const MAX_TABLES = 1_000_000;

/** Returns why `bytes` is not a valid flatbuffer of `root`, or null when it is. */
export function verifyFlatbuffer(bytes: Uint8Array, root: TableDef): string | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let tables = 0;
  const fail = (why: string): never => {
    throw new VerifyError(why);
  };
  const aligned = (pos: number, size: number) => {
    if (pos % size !== 0) fail(`misaligned value at byte ${pos}`);
  };
  const inside = (pos: number, size: number) => {
    if (pos < 0 || size < 0 || pos + size > n) fail(`a value at byte ${pos} runs past the metadata's ${n} bytes`);
  };
  const offsetAt = (pos: number): number => {
    inside(pos, 4);
    aligned(pos, 4);
    const o = v.getUint32(pos, true);
    if (o === 0 || o >= 2 ** 31) fail(`an offset of ${o} at byte ${pos}`);
    return pos + o;
  };
  const vectorAt = (pos: number, elem: number): number => {
    const at = offsetAt(pos);
    inside(at, 4);
    aligned(at, 4);
    const len = v.getUint32(at, true);
    if (len * elem > n) fail(`a vector at byte ${at} claims ${len} elements`);
    inside(at + 4, len * elem);
    return len;
  };
  const table = (pos: number, def: TableDef, depth: number): void => {
    if (depth > MAX_DEPTH) fail('tables nested too deep');
    if (++tables > MAX_TABLES) fail('too many tables');
    inside(pos, 4);
    aligned(pos, 4);
    const vt = pos - v.getInt32(pos, true);
    inside(vt, 4);
    aligned(vt, 2);
    const vsize = v.getUint16(vt, true);
    if (vsize % 2 !== 0) fail(`a vtable at byte ${vt} has size ${vsize}`);
    inside(vt, vsize);
    const fieldPos = (i: number): number => {
      const at = 4 + 2 * i;
      if (at + 2 > vsize) return 0;
      const o = v.getUint16(vt + at, true);
      return o === 0 ? 0 : pos + o;
    };
    def.forEach((f, i) => {
      const at = fieldPos(i);
      if (!at) return;
      switch (f.k) {
        case 'scalar':
          inside(at, f.size);
          aligned(at, f.size);
          return;
        case 'table':
          table(offsetAt(at), f.t(), depth + 1);
          return;
        case 'string': {
          const len = vectorAt(at, 1);
          const end = offsetAt(at) + 4 + len;
          inside(end, 1);
          if (bytes[end] !== 0) fail(`a string at byte ${end - len} is not terminated`);
          if (!isUtf8(bytes.subarray(end - len, end))) fail(`a string at byte ${end - len} is not UTF-8`);
          return;
        }
        case 'vector':
          vectorAt(at, f.elem);
          return;
        case 'tables': {
          const len = vectorAt(at, 4);
          const start = offsetAt(at) + 4;
          for (let k = 0; k < len; k++) table(offsetAt(start + 4 * k), f.t(), depth + 1);
          return;
        }
        case 'union': {
          const typeAt = fieldPos(f.typeField);
          const type = typeAt ? bytes[typeAt] : 0;
          if (type === 0) return;
          const def2 = f.map()[type];
          if (!def2) return; // an unknown member is refused by the caller with its name
          table(offsetAt(at), def2, depth + 1);
          return;
        }
      }
    });
  };
  try {
    if (n < 8) fail(`only ${n} bytes`);
    table(offsetAt(0), root, 1);
    return null;
  } catch (e) {
    if (e instanceof VerifyError) return e.message;
    return 'the bytes cannot be read as a flatbuffer';
  }
}

class VerifyError extends Error {}
