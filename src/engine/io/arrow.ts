/**
 * Reads an Arrow IPC run file (Feather v2 / `.arrow`; the IPC stream format is accepted too).
 * Embeddings and logits become {@link Matrix} chunks that are views on the record batches' buffers
 * (float32, uncompressed) or on the decompressed buffers (LZ4_FRAME, ZSTD). Files above
 * {@link STREAM_THRESHOLD} bytes are read batch by batch through a file handle, so the 2 GiB limit of
 * a single Node buffer does not apply.
 */
import { promises as fsp } from 'node:fs';
import {
  CompressionType,
  type Data,
  type DataType,
  type Field,
  Message,
  type RecordBatch,
  RecordBatchReader,
  type Schema,
  Type,
} from 'apache-arrow';
import { isUtf8 } from 'node:buffer';
import { LsmiInputError, MAX_ROWS_REPORTED, describeRows } from '../errors';
import { CodecError, registerCodecs } from './codecs';
import { type Matrix, matrixFromChunks } from './matrix';
import type { ReadOptions, RunData, StandardColumn } from './run';
import { checkIpc } from './ipc';
import { type RawColumn, type RawRun, validateRun } from './validate';

/** Files at least this large are streamed through a file handle instead of read into one buffer. */
export const STREAM_THRESHOLD = 1024 ** 3;

const FILE_MAGIC = 'ARROW1';

const ENCODED = new Set(['emb_1', 'emb_2', 'logits_1', 'logits_2', 'logits_12']);

export async function readArrowRun(file: string, options: ReadOptions = {}): Promise<RunData> {
  registerCodecs();
  const raw = await readArrowColumns(file, options.streamThreshold, options.onBytes);
  return validateRun(raw, options.columns);
}

/**
 * Reads every column of the file into {@link RawColumn}s (no validation beyond the container).
 * `onBytes` (files read whole only) is given the file's bytes in order as they are read.
 */
export async function readArrowColumns(file: string, streamThreshold = STREAM_THRESHOLD, onBytes?: (chunk: Uint8Array) => void): Promise<RawRun> {
  registerCodecs();
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (e) {
    throw new LsmiInputError('NOT_FOUND', { file }, `cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  let size: number;
  let streaming = false;
  try {
    size = (await handle.stat()).size;
    await checkContainer(handle, file, size);
    streaming = size >= streamThreshold;
  } catch (e) {
    await handle.close();
    throw e;
  }

  const parts = new Map<string, ColumnParts>();
  let schema: Schema | undefined;
  let batches = 0;
  let compression = 'uncompressed';
  const columns = new Map<string, RawColumn>();
  try {
    const whole = streaming ? undefined : await readAll(handle, size, onBytes);
    const readAt = async (pos: number, n: number): Promise<Uint8Array> => {
      if (pos < 0 || n <= 0 || pos >= size) return new Uint8Array(0);
      n = Math.min(n, size - pos);
      if (whole) return whole.subarray(pos, pos + n);
      const b = new Uint8Array(n);
      const { bytesRead } = await handle.read(b, 0, n, pos);
      return bytesRead === n ? b : b.subarray(0, bytesRead);
    };
    // the container's structure first: apache-arrow trusts the file (src/engine/io/ipc.ts)
    const isFile = (await readAt(0, 6)).every((b, i) => b === FILE_MAGIC.charCodeAt(i));
    const check = await checkIpc(file, size, readAt, isFile);
    const reader = whole ? RecordBatchReader.from(whole) : await RecordBatchReader.from(handle);
    await reader.open();
    compression = check.format === 'stream' ? (check.compression === 'uncompressed' ? 'unknown (IPC stream)' : check.compression) : await firstBatchCompression(reader.footer, readAt);
    if (whole) await handle.close();
    schema = reader.schema;
    for (const field of schema.fields) parts.set(field.name, new ColumnParts(field, file));
    let rowOffset = 0;
    for await (const batch of reader as AsyncIterable<RecordBatch>) {
      for (const field of schema.fields) parts.get(field.name)!.add(batch.getChild(field.name)!.data[0] as Data, rowOffset, batches);
      batches++;
      rowOffset += batch.numRows;
    }
    for (const [name, p] of parts) columns.set(name, p.finish());
  } catch (e) {
    if (e instanceof LsmiInputError) throw e;
    throw new LsmiInputError(
      'TRUNCATED',
      { file },
      `the Arrow data could not be decoded: the file is truncated or corrupt (${describeCause(e)}). Export it again.`,
    );
  } finally {
    await handle.close().catch(() => undefined);
  }

  const dtypes: Partial<Record<StandardColumn, string>> = {};
  for (const [name, p] of parts) if (ENCODED.has(name)) dtypes[name as StandardColumn] = p.elementType;
  const text = schema?.metadata.get('lsmi');
  return {
    file,
    columns,
    metadata: text !== undefined ? { text, where: "schema metadata 'lsmi'" } : undefined,
    schemaMetadata: schema?.metadata ?? new Map(),
    source: { format: 'arrow', bytes: size, batches, compression, dtypes },
  };
}

/** Bytes per read of a file read whole (each piece is given to `onBytes` while it is still in cache). */
const READ_PIECE = 8 << 20;

async function readAll(handle: fsp.FileHandle, size: number, onBytes?: (chunk: Uint8Array) => void): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await handle.read(buf, off, Math.min(READ_PIECE, size - off), off);
    if (bytesRead === 0) break;
    onBytes?.(buf.subarray(off, off + bytesRead));
    off += bytesRead;
  }
  return buf;
}

async function checkContainer(handle: fsp.FileHandle, file: string, size: number): Promise<void> {
  if (size === 0) throw new LsmiInputError('EMPTY', { file }, 'the file is empty (0 bytes). It was probably not written completely: export it again.');
  const head = Buffer.alloc(Math.min(8, size));
  await handle.read(head, 0, head.length, 0);
  const ascii = head.toString('latin1');
  if (ascii.startsWith(FILE_MAGIC)) {
    const tail = Buffer.alloc(6);
    if (size >= 12) await handle.read(tail, 0, 6, size - 6);
    if (size < 12 || tail.toString('latin1') !== FILE_MAGIC) {
      throw new LsmiInputError(
        'TRUNCATED',
        { file },
        `the file starts like an Arrow IPC file but does not end with its footer (${size} bytes): it is truncated, probably an interrupted write. Export it again.`,
      );
    }
    return;
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0xffffffff) return; // IPC stream format
  if (ascii.startsWith('FEA1')) {
    throw new LsmiInputError('NOT_ARROW', { file }, 'this is a Feather v1 file, which is not supported. Rewrite it with pyarrow.feather.write_feather(table, path) (version 2 is the default).');
  }
  if (ascii.startsWith('PK')) {
    throw new LsmiInputError('NOT_ARROW', { file }, 'this is a zip archive, not an Arrow IPC file. If it is a NumPy .npz file, give it the .npz extension.');
  }
  const shown = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new LsmiInputError(
    'NOT_ARROW',
    { file },
    `not an Arrow IPC file (first bytes: ${shown}; expected "ARROW1"). Write runs with lsmi_export.write_run or pyarrow.feather.write_feather.`,
  );
}

/** The body compression of the first record batch, read from its header through the file footer. */
async function firstBatchCompression(
  footer: { numRecordBatches: number; getRecordBatch(i: number): { offset: number; metaDataLength: number } | null } | null,
  readAt: (pos: number, n: number) => Promise<Uint8Array>,
): Promise<string> {
  const block = footer && footer.numRecordBatches > 0 ? footer.getRecordBatch(0) : null;
  if (!block) return footer ? 'uncompressed' : 'unknown (IPC stream)';
  let meta = await readAt(Number(block.offset), block.metaDataLength);
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  meta = meta.subarray(view.getUint32(0, true) === 0xffffffff ? 8 : 4);
  const msg = Message.decode(meta);
  if (!msg.isRecordBatch()) return 'unknown';
  const c = (msg.header() as unknown as { compression?: { type: number } | null }).compression;
  return c == null ? 'uncompressed' : c.type === CompressionType.LZ4_FRAME ? 'lz4' : 'zstd';
}

/** Accumulates one column over record batches, checking what its values mean. */
class ColumnParts {
  private readonly datas: Data[] = [];
  private readonly checkedDictionaries = new WeakSet<object>();
  private readonly strings: (string | null)[][] = [];
  private ints?: IntCollector;
  constructor(
    private readonly field: Field,
    private readonly file: string,
  ) {}

  private fail(code: 'TRUNCATED' | 'NULLS' | 'WRONG_TYPE', message: string, rows?: number[]): never {
    throw new LsmiInputError(code, { file: this.file, column: this.field.name, rows }, message);
  }

  add(data: Data, rowOffset: number, batch: number): void {
    const type = this.field.type as DataType;
    checkNullCounts(data, batch, '', this.checkedDictionaries, this.fail.bind(this));
    switch (type.typeId) {
      case Type.Utf8:
      case Type.LargeUtf8:
        this.strings.push(utf8Values(data, rowOffset, this.fail.bind(this)));
        return;
      case Type.Dictionary:
        if (isUtf8Type((type as DataType & { dictionary: DataType }).dictionary)) this.strings.push(dictionaryValues(data, rowOffset, this.fail.bind(this)));
        else this.datas.push(data);
        return;
      case Type.Int:
        (this.ints ??= new IntCollector()).add(data, rowOffset, this.fail.bind(this));
        this.datas.push(data);
        return;
      case Type.Float:
        if ((data.values as ArrayLike<number>).length < data.offset + data.length) this.fail('TRUNCATED', 'the values buffer is shorter than the column. The file is corrupt: export it again.');
        this.datas.push(data);
        return;
      case Type.FixedSizeList:
        checkFixedSizeList(data, (type as DataType & { listSize: number }).listSize, rowOffset, this.fail.bind(this));
        this.datas.push(data);
        return;
      default:
        this.datas.push(data);
    }
  }

  get elementType(): string {
    const t = this.field.type as DataType;
    return t.typeId === Type.FixedSizeList ? describeType((t as DataType & { children: Field[] }).children[0].type) : describeType(t);
  }

  finish(): RawColumn {
    const type = this.field.type as DataType;
    const length = this.strings.length ? this.strings.reduce((a, v) => a + v.length, 0) : this.datas.reduce((a, d) => a + d.length, 0);
    const desc = describeType(type);
    switch (type.typeId) {
      case Type.Utf8:
      case Type.LargeUtf8:
        return { kind: 'strings', length, values: this.strings.flat(), type: desc };
      case Type.Dictionary: {
        const valueType = (type as DataType & { dictionary: DataType }).dictionary;
        if (isUtf8Type(valueType)) return { kind: 'strings', length, values: this.strings.flat(), type: desc };
        return { kind: 'other', length, type: desc };
      }
      case Type.Float: {
        const values = new Float64Array(length);
        const nulls = new NullCollector();
        let o = 0;
        for (const d of this.datas) {
          const v = d.values as Float32Array | Float64Array | Uint16Array;
          for (let i = 0; i < d.length; i++) values[o + i] = v instanceof Uint16Array ? f16[v[d.offset + i]] : v[d.offset + i];
          nulls.add(d, o);
          o += d.length;
        }
        return { kind: 'floats', length, values, nullRows: nulls.rows, nullCount: nulls.count, type: desc };
      }
      case Type.Int: {
        const ints = this.ints ?? new IntCollector();
        const nulls = new NullCollector();
        let o = 0;
        for (const d of this.datas) {
          nulls.add(d, o);
          o += d.length;
        }
        return { kind: 'ints', length, values: ints.values(length), exact: ints.exact(), nullRows: nulls.rows, nullCount: nulls.count, type: desc };
      }
      case Type.FixedSizeList: {
        const child = type as DataType & { children: Field[]; listSize: number };
        const elem = child.children[0].type as DataType;
        if (elem.typeId !== Type.Float) {
          return { kind: 'other', length, type: desc, hint: 'Store embeddings and logits as floats (float32, float16 or float64).' };
        }
        const nulls = new NullCollector();
        const chunks: Float32Array[] = [];
        let o = 0;
        for (const d of this.datas) {
          chunks.push(fixedSizeListFloats(d, child.listSize));
          nulls.add(d, o);
          o += d.length;
        }
        const m: Matrix = matrixFromChunks(child.listSize, chunks);
        return { kind: 'matrix', length, m, nullRows: nulls.rows, nullCount: nulls.count, type: desc };
      }
      case Type.List:
      case Type.LargeList:
        return {
          kind: 'other',
          length,
          type: desc,
          hint: 'Use a fixed-size list (pyarrow: pa.list_(pa.float32(), d), or lsmi_export.write_run), so every row has the same width.',
        };
      default:
        return { kind: 'other', length, type: desc };
    }
  }
}

type Fail = (code: 'TRUNCATED' | 'NULLS' | 'WRONG_TYPE', message: string, rows?: number[]) => never;

function isUtf8Type(t: DataType): boolean {
  return t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
}

class NullCollector {
  count = 0;
  rows: number[] = [];
  add(d: Data, rowOffset: number): void {
    if (!d.nullCount) return;
    this.count += d.nullCount;
    for (let i = 0; i < d.length && this.rows.length < MAX_ROWS_REPORTED; i++) if (!d.getValid(i)) this.rows.push(rowOffset + i);
  }
}

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Nulls (0 bits) among the bits [start, end) of a validity bitmap. */
function zeroBits(bitmap: Uint8Array, start: number, end: number): number {
  let ones = 0;
  let i = start;
  for (; i < end && i % 8 !== 0; i++) ones += (bitmap[i >> 3] >> (i % 8)) & 1;
  for (; i + 8 <= end; i += 8) ones += POPCOUNT[bitmap[i >> 3]];
  for (; i < end; i++) ones += (bitmap[i >> 3] >> (i % 8)) & 1;
  return end - start - ones;
}

/**
 * Arrow's rule, as pyarrow's full validation applies it: a field node's null count, where it is
 * above 0, equals the number of nulls its validity bitmap marks (a null count of 0 means no bitmap:
 * apache-arrow and pyarrow both ignore the bitmap then). A count that disagrees is corruption: which
 * of the two is right cannot be known, so the batch is refused rather than read either way. Checked
 * for the column's own values, its children (list values) and its dictionary (once).
 */
function checkNullCounts(d: Data, batch: number, where: string, checkedDictionaries: WeakSet<object>, fail: Fail): void {
  if (d.typeId !== Type.Union && d.typeId !== Type.SparseUnion && d.typeId !== Type.DenseUnion) {
    const declared = d.nullCount;
    if (declared > 0) {
      const bitmap = d.nullBitmap;
      if (!bitmap || bitmap.length * 8 < d.offset + d.length) {
        fail('TRUNCATED', `record batch ${batch}${where} declares ${declared} null(s) in ${d.length} values, but its validity bitmap is missing or too short (${bitmap?.length ?? 0} bytes). The file is corrupt: export it again.`);
      }
      const actual = zeroBits(bitmap!, d.offset, d.offset + d.length);
      if (actual !== declared) {
        fail(
          'TRUNCATED',
          `record batch ${batch}${where} declares ${declared} null(s) in ${d.length} values, but its validity bitmap marks ${actual}: the null count and the bitmap disagree, so which rows are null is unknown. The file is corrupt: export it again.`,
        );
      }
    }
  }
  for (const c of d.children ?? []) if (c) checkNullCounts(c, batch, `${where}, in its nested values`, checkedDictionaries, fail);
  const dict = d.dictionary;
  if (dict && !checkedDictionaries.has(dict)) {
    checkedDictionaries.add(dict);
    for (const w of dict.data) checkNullCounts(w, batch, `${where}, in its dictionary`, checkedDictionaries, fail);
  }
}

/**
 * Integer values as numbers; 64-bit values beyond ±2^53 cannot be numbers exactly, so when any
 * occurs every value is also kept as its exact decimal text (an id column then keeps its ids; a
 * label of that size is out of range anyway and is reported with its exact value).
 */
class IntCollector {
  private readonly parts: { values: ArrayLike<number | bigint>; offset: number; length: number }[] = [];
  private unsafe = false;

  add(d: Data, _rowOffset: number, fail: Fail): void {
    const v = d.values as ArrayLike<number | bigint>;
    if (v.length < d.offset + d.length) fail('TRUNCATED', 'the values buffer is shorter than the column. The file is corrupt: export it again.');
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
      const big = BigInt(Number.MAX_SAFE_INTEGER);
      for (let i = d.offset; i < d.offset + d.length && !this.unsafe; i++) if (v[i] > big || v[i] < -big) this.unsafe = true;
    }
    this.parts.push({ values: v, offset: d.offset, length: d.length });
  }

  values(length: number): Float64Array {
    const out = new Float64Array(length);
    let o = 0;
    for (const p of this.parts) {
      for (let i = 0; i < p.length; i++) out[o + i] = Number(p.values[p.offset + i]);
      o += p.length;
    }
    return out;
  }

  exact(): string[] | undefined {
    if (!this.unsafe) return undefined;
    const out: string[] = [];
    for (const p of this.parts) for (let i = 0; i < p.length; i++) out.push(String(p.values[p.offset + i]));
    return out;
  }
}

/** The strings of a utf8 batch, after checking its offsets and that every value is valid UTF-8. */
function utf8Values(d: Data, rowOffset: number, fail: Fail): (string | null)[] {
  const offsets = d.valueOffsets as Int32Array | BigInt64Array | undefined;
  const bytes = (d.values as Uint8Array | undefined) ?? new Uint8Array(0);
  const out = new Array<string | null>(d.length);
  if (d.length === 0) return out;
  if (!offsets || offsets.length < d.offset + d.length + 1) fail('TRUNCATED', 'the string offsets are shorter than the column. The file is corrupt: export it again.');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wholeValid = isUtf8(buf);
  let prev = Number(offsets![d.offset]);
  if (!(prev >= 0) || prev > buf.length) fail('TRUNCATED', `the string offsets are corrupt at row ${rowOffset} (offset ${prev}, ${buf.length} bytes of text). The file is corrupt: export it again.`, [rowOffset]);
  for (let i = 0; i < d.length; i++) {
    const a = prev;
    const b = Number(offsets![d.offset + i + 1]);
    if (!(b >= a) || b > buf.length) fail('TRUNCATED', `the string offsets are corrupt at row ${rowOffset + i} (${a} → ${b}, ${buf.length} bytes of text). The file is corrupt: export it again.`, [rowOffset + i]);
    prev = b;
    if (d.nullCount && !d.getValid(i)) {
      out[i] = null;
      continue;
    }
    // a valid buffer can still be cut inside a character: a value may not start or end there
    const cut = (o: number) => o < buf.length && (buf[o] & 0xc0) === 0x80;
    if (!wholeValid || cut(a) || cut(b)) {
      if (!isUtf8(buf.subarray(a, b))) {
        const shown = [...buf.subarray(a, Math.min(b, a + 16))].map((x) => x.toString(16).padStart(2, '0')).join(' ');
        fail('WRONG_TYPE', `row ${rowOffset + i} is not valid UTF-8 text (bytes ${shown}${b - a > 16 ? ' …' : ''}). Write text columns as UTF-8 strings.`, [rowOffset + i]);
      }
    }
    out[i] = buf.toString('utf8', a, b);
  }
  return out;
}

function dictionaryValues(d: Data, rowOffset: number, fail: Fail): (string | null)[] {
  const dict = d.dictionary;
  if (!dict) fail('TRUNCATED', 'the column is dictionary-encoded but its dictionary is missing. The file is corrupt: export it again.');
  const words = dict!.data.flatMap((w) => utf8Values(w, 0, (code, message) => fail(code, `its dictionary: ${message}`)));
  const idx = d.values as ArrayLike<number | bigint>;
  if (idx.length < d.offset + d.length) fail('TRUNCATED', 'the dictionary indices are shorter than the column. The file is corrupt: export it again.');
  const out = new Array<string | null>(d.length);
  for (let i = 0; i < d.length; i++) {
    if (d.nullCount && !d.getValid(i)) {
      out[i] = null;
      continue;
    }
    const k = Number(idx[d.offset + i]);
    if (!(k >= 0 && k < words.length)) fail('TRUNCATED', `row ${rowOffset + i} refers to dictionary entry ${idx[d.offset + i]}, but the dictionary has ${words.length} entries. The file is corrupt: export it again.`, [rowOffset + i]);
    out[i] = words[k];
  }
  return out;
}

/** A fixed-size-list batch: its values must cover every row, and no value inside a row may be null. */
function checkFixedSizeList(d: Data, width: number, rowOffset: number, fail: Fail): void {
  const child = d.children[0];
  if (!child) fail('TRUNCATED', 'the list values are missing. The file is corrupt: export it again.');
  const start = (d.offset + child.offset) * width;
  const end = start + d.length * width;
  const v = child.values as ArrayLike<number> | undefined;
  if (child.length < end || !v || v.length < end) {
    fail('TRUNCATED', `the list values hold ${Math.min(child.length, v?.length ?? 0)} numbers, but ${d.length} rows of ${width} need ${d.length * width}. The file is truncated or corrupt: export it again.`);
  }
  if (child.nullCount > 0) {
    const rows: number[] = [];
    let count = 0;
    for (let i = 0; i < d.length; i++) {
      if (d.nullCount && !d.getValid(i)) continue; // a null row is reported as such
      for (let j = 0; j < width; j++) {
        if (!child.getValid(d.offset * width + i * width + j)) {
          count++;
          if (rows.length < MAX_ROWS_REPORTED) rows.push(rowOffset + i);
          break;
        }
      }
    }
    if (count > 0) fail('NULLS', `${count} row(s) have null values inside the list, at ${describeRows(rows, count)}. Every embedding and logit row must be complete: fill or drop those samples.`, rows);
  }
}

const f16 = new Float32Array(65536);
{
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    f16[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
}

/** Float32 values of a FixedSizeList<float> batch: a view for float32, a converted copy otherwise. */
function fixedSizeListFloats(d: Data, width: number): Float32Array {
  const child = d.children[0];
  const start = (d.offset + child.offset) * width;
  const end = start + d.length * width;
  const v = child.values as Float32Array | Float64Array | Uint16Array;
  if (v instanceof Float32Array) return v.subarray(start, end);
  if (v instanceof Float64Array) return Float32Array.from(v.subarray(start, end));
  const out = new Float32Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = f16[v[i]];
  return out;
}

function describeType(t: DataType): string {
  return String(t);
}

/** A cause for a user message: our codecs' own words, never a raw JavaScript error text. */
function describeCause(e: unknown): string {
  if (e instanceof CodecError) return e.message;
  return 'its record batches do not match its schema';
}
