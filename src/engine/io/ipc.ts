/**
 * A structural check of an Arrow IPC file (or stream) before apache-arrow decodes it (limits: docs/run-format.md#limits).
 *
 * apache-arrow trusts the file: a footer block that points at the schema message makes its reader
 * loop forever, a corrupt vector length in the schema makes it build billions of fields, a buffer
 * that runs past the body silently becomes a shorter view, a compressed buffer may claim any size.
 * This walks the same flatbuffers (with the lazy generated accessors, which never allocate by a
 * length read from the file) and checks, before anything is decoded:
 *
 * - the footer's position and size, every block's offset and lengths inside the file, and that each
 *   block points at a message of the right kind (record batch or dictionary batch);
 * - the schema: at most {@link MAX_FIELDS} fields in all, nested at most {@link MAX_DEPTH} deep,
 *   every vector's length within the metadata's bytes, only types the reader knows;
 * - every record and dictionary batch: its row count (≤ {@link MAX_ROWS}), one field node per field
 *   with 0 ≤ null count ≤ length, top-level lengths equal to the batch's, the buffers each type
 *   needs, each inside the body and large enough for its length (validity bitmaps, offsets, values,
 *   fixed-size-list children); compressed buffers' declared sizes within {@link MAX_BUFFER_BYTES}
 *   and all of them together within {@link inflateBudget} of the file's size;
 * - dictionary batches refer to a dictionary the schema declares.
 *
 * What the values mean (UTF-8, offsets' order, dictionary indices, nulls in embedding rows) is
 * checked where the columns are read (src/engine/io/arrow.ts). Everything here throws an
 * {@link LsmiInputError} naming the file and, where known, the column and the batch.
 */
import { ByteBuffer } from 'flatbuffers';
import { Footer } from 'apache-arrow/fb/footer';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Field as FbField } from 'apache-arrow/fb/field';
import { Type as FbType } from 'apache-arrow/fb/type';
import { Int as FbInt } from 'apache-arrow/fb/int';
import { FloatingPoint as FbFloatingPoint } from 'apache-arrow/fb/floating-point';
import { FixedSizeList as FbFixedSizeList } from 'apache-arrow/fb/fixed-size-list';
import { FixedSizeBinary as FbFixedSizeBinary } from 'apache-arrow/fb/fixed-size-binary';
import { Decimal as FbDecimal } from 'apache-arrow/fb/decimal';
import { Date as FbDate } from 'apache-arrow/fb/date';
import { Time as FbTime } from 'apache-arrow/fb/time';
import { Interval as FbInterval } from 'apache-arrow/fb/interval';
import { Union as FbUnion } from 'apache-arrow/fb/union';
import { LsmiInputError } from '../errors';
import { FOOTER, MESSAGE, verifyFlatbuffer } from './fbverify';

/** Rows of one batch and of the whole file: per-sample arrays are indexed by 32-bit integers. */
export const MAX_ROWS = 2 ** 31 - 1;
/** Fields in a schema, nested ones included. */
export const MAX_FIELDS = 100_000;
/** Nesting depth of a schema's fields. */
export const MAX_DEPTH = 32;
/** One (decompressed) buffer. */
export const MAX_BUFFER_BYTES = 2 ** 32 - 1;
/** A message's flatbuffer metadata. */
export const MAX_METADATA_BYTES = 256 * 1024 ** 2;

/**
 * How many bytes compressed buffers (or npz entries) may inflate to in all, for a file of `size`
 * bytes: 1 GiB, or 100 × the file's size where that is more. Real embeddings and logits compress
 * by 1.1–3×; a zip bomb by 1000×.
 */
export function inflateBudget(size: number): number {
  return Math.max(1024 ** 3, 100 * size);
}

/** Reads `n` bytes at `pos` (fewer at the end of the file). */
export type ReadAt = (pos: number, n: number) => Promise<Uint8Array>;

/** A field of the schema as the checks need it. */
interface FieldInfo {
  name: string;
  type: FbType;
  /** Bytes per value of fixed-width types; 0 for bit-packed booleans; -1 for others. */
  width: number;
  /** Offsets' width (4 or 8) for variable-size types and lists, else 0. */
  offsetWidth: number;
  listSize: number;
  unionDense: boolean;
  dictionary?: { id: bigint; indexWidth: number };
  children: FieldInfo[];
}

export interface IpcCheck {
  /** 'file' (footer) or 'stream'. */
  format: 'file' | 'stream';
  rows: number;
  batches: number;
  compression: 'uncompressed' | 'lz4' | 'zstd' | 'mixed';
}

/** A structural problem; `column`: the top-level column it was found in, when it was in one. */
class Fail extends Error {
  column?: string;
}

/**
 * Checks the IPC container of `file` (see the module comment). `size` is the file's size; the first
 * bytes have been checked to be an Arrow file or stream (src/engine/io/arrow.ts: checkContainer).
 */
export async function checkIpc(file: string, size: number, readAt: ReadAt, isFile: boolean): Promise<IpcCheck> {
  const state = new CheckState(file, size, readAt);
  try {
    return isFile ? await state.checkFile() : await state.checkStream();
  } catch (e) {
    if (e instanceof LsmiInputError) throw e;
    if (e instanceof Fail) throw new LsmiInputError('TRUNCATED', { file, ...(e.column ? { column: e.column } : {}) }, `${e.message}. The file is truncated or corrupt: export it again.`);
    // a flatbuffer accessor that met bytes no writer produces
    throw new LsmiInputError('TRUNCATED', { file }, 'the Arrow metadata is corrupt (it could not be parsed). The file is truncated or corrupt: export it again.');
  }
}

class CheckState {
  private fields: FieldInfo[] = [];
  private dictionaries = new Map<bigint, FieldInfo>();
  private metadataV5 = true;
  private inflated = 0;
  private rows = 0;
  private batches = 0;
  private codecs = new Set<string>();
  private totalFields = 0;

  constructor(
    private readonly file: string,
    private readonly size: number,
    private readonly readAt: ReadAt,
  ) {}

  async checkFile(): Promise<IpcCheck> {
    const { size } = this;
    // "ARROW1" + 2 padding bytes, messages, footer flatbuffer, int32 footer length, "ARROW1"
    const tail = await this.readAt(size - 10, 4);
    const footerLength = new DataView(tail.buffer, tail.byteOffset, 4).getInt32(0, true);
    const footerStart = size - 10 - footerLength;
    if (footerLength <= 0 || footerStart < 8) throw new Fail(`the footer's length (${footerLength} bytes) does not fit in the file (${size} bytes)`);
    if (footerLength > MAX_METADATA_BYTES) throw new Fail(`the footer is ${footerLength} bytes, more than the ${MAX_METADATA_BYTES}-byte limit`);
    const bytes = await this.readAt(footerStart, footerLength);
    const bad = verifyFlatbuffer(bytes, FOOTER);
    if (bad) throw new Fail(`the footer is corrupt (${bad})`);
    const bb = new ByteBuffer(bytes);
    const footer = Footer.getRootAsFooter(bb);
    const schema = footer.schema();
    if (!schema) throw new Fail('the footer has no schema');
    this.checkVersion(footer.version(), 'the footer');
    this.metadataV5 = footer.version() >= 4;
    this.readSchema(schema, bytes.length);
    const nDict = footer.dictionariesLength();
    const nBatch = footer.recordBatchesLength();
    // each block is a 24-byte struct inside the footer
    if (nDict < 0 || nBatch < 0 || (nDict + nBatch) * 24 > bytes.length) throw new Fail(`the footer lists ${nBatch} record batches and ${nDict} dictionaries, more than its ${bytes.length} bytes can hold`);
    for (let i = 0; i < nDict; i++) await this.checkBlock(footer.dictionaries(i)!, footerStart, MessageHeader.DictionaryBatch, `dictionary block ${i}`);
    for (let i = 0; i < nBatch; i++) await this.checkBlock(footer.recordBatches(i)!, footerStart, MessageHeader.RecordBatch, `record batch ${i}`);
    return this.result('file');
  }

  async checkStream(): Promise<IpcCheck> {
    let pos = 0;
    let first = true;
    for (;;) {
      if (pos === this.size && !first) break; // a stream may end without the end-of-stream marker
      if (pos + 4 > this.size) throw new Fail(first ? 'the stream ends before its schema' : `the stream ends ${this.size - pos} byte(s) into a message`);
      const { message, metaEnd } = await this.readMessageAt(pos, this.size, `message at byte ${pos}`);
      if (!message) break; // end-of-stream marker
      const body = Number(message.bodyLength());
      if (!(body >= 0) || metaEnd + body > this.size) throw new Fail(`the message at byte ${pos} has a body of ${message.bodyLength()} bytes, past the end of the file`);
      if (first) {
        if (message.headerType() !== MessageHeader.Schema) throw new Fail('the stream does not start with a schema');
        this.metadataV5 = message.version() >= 4;
        const schema = message.header(new FbSchema()) as FbSchema;
        this.readSchema(schema, metaEnd - pos);
        first = false;
      } else {
        await this.checkMessage(message, metaEnd, body, `message at byte ${pos}`, undefined);
      }
      pos = metaEnd + body;
    }
    return this.result('stream');
  }

  private result(format: 'file' | 'stream'): IpcCheck {
    const c = [...this.codecs];
    return { format, rows: this.rows, batches: this.batches, compression: c.length === 0 ? 'uncompressed' : c.length === 1 ? (c[0] as 'lz4' | 'zstd') : 'mixed' };
  }

  /** Reads the message framing at `pos`: continuation marker, metadata length, metadata. */
  private async readMessageAt(pos: number, limit: number, what: string): Promise<{ message: Message | null; metaEnd: number }> {
    const head = await this.readAt(pos, 8);
    if (head.length < 4) throw new Fail(`the ${what} is cut short`);
    const view = new DataView(head.buffer, head.byteOffset, head.length);
    let len = view.getInt32(0, true);
    let start = pos + 4;
    if (len === -1) {
      if (head.length < 8) throw new Fail(`the ${what} is cut short`);
      len = view.getInt32(4, true);
      start = pos + 8;
    }
    if (len === 0) return { message: null, metaEnd: start };
    if (len < 0 || start + len > limit) throw new Fail(`the ${what} declares ${len} bytes of metadata, past the end of ${limit < this.size ? 'its footer block' : 'the file'}`);
    if (len > MAX_METADATA_BYTES) throw new Fail(`the ${what} declares ${len} bytes of metadata, more than the ${MAX_METADATA_BYTES}-byte limit`);
    const meta = await this.readAt(start, len);
    if (meta.length < len) throw new Fail(`the ${what} is cut short`);
    const bad = verifyFlatbuffer(meta, MESSAGE);
    if (bad) throw new Fail(`the ${what}'s metadata is corrupt (${bad})`);
    const message = Message.getRootAsMessage(new ByteBuffer(meta));
    this.checkVersion(message.version(), `the ${what}`);
    return { message, metaEnd: start + len };
  }

  /** Arrow format 1.x writes metadata versions V4 (3) and V5 (4); pyarrow refuses older and newer ones too. */
  private checkVersion(v: number, where: string): void {
    if (v !== 3 && v !== 4) throw new Fail(`${where} has metadata version ${v + 1}, which this reader does not know (Arrow files have version 4 or 5)`);
  }

  private async checkBlock(block: { offset(): bigint; metaDataLength(): number; bodyLength(): bigint }, footerStart: number, kind: MessageHeader, what: string): Promise<void> {
    const offset = Number(block.offset());
    const metaLength = block.metaDataLength();
    const bodyLength = Number(block.bodyLength());
    if (!(offset >= 8) || !(metaLength > 0) || !(bodyLength >= 0) || offset + metaLength + bodyLength > footerStart) {
      throw new Fail(`the footer's ${what} (offset ${block.offset()}, ${metaLength} + ${block.bodyLength()} bytes) lies outside the file's data`);
    }
    // as Arrow C++ (pyarrow) requires: blocks start and end on 8-byte boundaries
    if (offset % 8 !== 0 || metaLength % 8 !== 0 || bodyLength % 8 !== 0) throw new Fail(`the footer's ${what} is not aligned to 8 bytes (offset ${offset}, ${metaLength} + ${bodyLength} bytes)`);
    const { message, metaEnd } = await this.readMessageAt(offset, offset + metaLength, what);
    if (!message) throw new Fail(`the footer's ${what} points at an end-of-stream marker`);
    if (message.headerType() !== kind) {
      throw new Fail(`the footer's ${what} points at a ${MessageHeader[message.headerType()] ?? 'unknown'} message, not a ${MessageHeader[kind]}`);
    }
    // the block and the message's own framing must agree exactly (as pyarrow requires: "Message
    // metadata too long", "advertised body size is …, but message decoder expects …"): a block whose
    // metadata length is off reads its body from the wrong bytes
    const bodyStart = offset + metaLength;
    if (metaEnd !== bodyStart) {
      throw new Fail(
        `the footer's ${what} says its message's metadata is ${metaLength} bytes, but the message at byte ${offset} declares ${metaEnd - offset} (length prefix included): the footer block is wrong`,
      );
    }
    const body = Number(message.bodyLength());
    if (!(body >= 0) || body !== bodyLength) {
      throw new Fail(`the footer's ${what} says its message's body is ${bodyLength} bytes, but the message at byte ${offset} declares ${message.bodyLength()}: the footer block is wrong`);
    }
    await this.checkMessage(message, bodyStart, body, what, kind);
  }

  private async checkMessage(message: Message, bodyStart: number, bodyLength: number, what: string, kind: MessageHeader | undefined): Promise<void> {
    const type = message.headerType();
    if (kind !== undefined && type !== kind) throw new Fail(`the ${what} is not a ${MessageHeader[kind]}`);
    if (type === MessageHeader.RecordBatch) {
      const batch = message.header(new FbRecordBatch()) as FbRecordBatch | null;
      if (!batch) throw new Fail(`the ${what} has no header`);
      const rows = await this.checkBatch(batch, bodyStart, bodyLength, this.fields, what);
      this.rows += rows;
      this.batches++;
      if (this.rows > MAX_ROWS) throw new Fail(`the file has more than ${MAX_ROWS} rows`);
    } else if (type === MessageHeader.DictionaryBatch) {
      const dict = message.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
      const data = dict?.data();
      if (!dict || !data) throw new Fail(`the ${what} has no data`);
      const field = this.dictionaries.get(dict.id());
      if (!field) throw new Fail(`the ${what} is for dictionary ${dict.id()}, which no column of the schema uses`);
      // a dictionary batch holds one column: the dictionary's values
      await this.checkBatch(data, bodyStart, bodyLength, [{ ...field, dictionary: undefined }], what);
    } else if (type === MessageHeader.Schema) {
      throw new Fail(`the ${what} is a second schema`);
    } else {
      throw new Fail(`the ${what} is a ${MessageHeader[type] ?? `message of unknown kind ${type}`}, which a table file does not contain`);
    }
  }

  // ---- schema

  private readSchema(schema: FbSchema, bytes: number): void {
    const endianness = schema.endianness();
    if (endianness === 1) throw new LsmiInputError('UNSUPPORTED', { file: this.file }, 'the file is big-endian, which this reader does not support. Write it on a little-endian machine (x86, ARM), or with pyarrow, which writes little-endian.');
    if (endianness !== 0) throw new Fail(`the schema has an unknown byte order (${endianness})`);
    const n = schema.fieldsLength();
    if (n < 0 || n * 4 > bytes) throw new Fail(`the schema claims ${n} fields, more than its ${bytes} bytes can hold`);
    const meta = schema.customMetadataLength();
    if (meta < 0 || meta * 4 > bytes) throw new Fail(`the schema claims ${meta} metadata entries, more than its ${bytes} bytes can hold`);
    for (let i = 0; i < meta; i++) if (schema.customMetadata(i)?.key() == null) throw new Fail(`the schema's metadata entry ${i} has no key`);
    for (let i = 0; i < n; i++) this.fields.push(this.readField(schema.fields(i), bytes, 1, `column ${i}`));
    const names = new Set<string>();
    for (const f of this.fields) {
      if (names.has(f.name) && f.name !== '') throw new LsmiInputError('BAD_METADATA', { file: this.file, column: f.name }, 'the schema has two columns of this name. Every column needs its own name.');
      names.add(f.name);
    }
  }

  private readField(f: FbField | null, bytes: number, depth: number, where: string): FieldInfo {
    if (!f) throw new Fail(`the schema's ${where} is missing`);
    if (++this.totalFields > MAX_FIELDS) throw new Fail(`the schema has more than ${MAX_FIELDS} fields`);
    if (depth > MAX_DEPTH) throw new Fail(`the schema nests fields more than ${MAX_DEPTH} deep`);
    const name = f.name() ?? '';
    const at = name ? `'${name}'` : where;
    const nChildren = f.childrenLength();
    if (nChildren < 0 || nChildren * 4 > bytes) throw new Fail(`the schema says field ${at} has ${nChildren} children, more than the metadata's ${bytes} bytes can hold`);
    const nMeta = f.customMetadataLength();
    if (nMeta < 0 || nMeta * 4 > bytes) throw new Fail(`the schema says field ${at} has ${nMeta} metadata entries, more than the metadata's ${bytes} bytes can hold`);
    for (let i = 0; i < nMeta; i++) if (f.customMetadata(i)?.key() == null) throw new Fail(`field ${at}'s metadata entry ${i} has no key`);
    const type = f.typeType();
    const info: FieldInfo = { name, type, width: -1, offsetWidth: 0, listSize: 0, unionDense: false, children: [] };
    const need = (expected: number) => {
      if (nChildren !== expected) throw new Fail(`the schema says field ${at} (${FbType[type]}) has ${nChildren} children, expected ${expected}`);
    };
    switch (type) {
      case FbType.Null:
        break;
      case FbType.Bool:
        info.width = 0;
        break;
      case FbType.Int: {
        const t = f.type(new FbInt()) as FbInt | null;
        const bits = t?.bitWidth() ?? 0;
        if (![8, 16, 32, 64].includes(bits)) throw new Fail(`field ${at} is an integer of ${bits} bits`);
        info.width = bits / 8;
        break;
      }
      case FbType.FloatingPoint: {
        const t = f.type(new FbFloatingPoint()) as FbFloatingPoint | null;
        const p = t?.precision() ?? -1;
        if (p < 0 || p > 2) throw new Fail(`field ${at} is a float of unknown precision ${p}`);
        info.width = [2, 4, 8][p];
        break;
      }
      case FbType.Decimal: {
        const t = f.type(new FbDecimal()) as FbDecimal | null;
        const bits = t?.bitWidth() ?? 128;
        if (![32, 64, 128, 256].includes(bits)) throw new Fail(`field ${at} is a decimal of ${bits} bits`);
        info.width = bits / 8;
        break;
      }
      case FbType.Date:
        info.width = (f.type(new FbDate()) as FbDate | null)?.unit() === 0 ? 4 : 8;
        break;
      case FbType.Time: {
        const bits = (f.type(new FbTime()) as FbTime | null)?.bitWidth() ?? 32;
        if (bits !== 32 && bits !== 64) throw new Fail(`field ${at} is a time of ${bits} bits`);
        info.width = bits / 8;
        break;
      }
      case FbType.Timestamp:
      case FbType.Duration:
        info.width = 8;
        break;
      case FbType.Interval: {
        const unit = (f.type(new FbInterval()) as FbInterval | null)?.unit() ?? 0;
        info.width = [4, 8, 16][unit] ?? 16;
        break;
      }
      case FbType.FixedSizeBinary: {
        const w = (f.type(new FbFixedSizeBinary()) as FbFixedSizeBinary | null)?.byteWidth() ?? 0;
        if (!(w > 0)) throw new Fail(`field ${at} is a fixed-size binary of width ${w}`);
        info.width = w;
        break;
      }
      case FbType.Utf8:
      case FbType.Binary:
        info.offsetWidth = 4;
        break;
      case FbType.LargeUtf8:
      case FbType.LargeBinary:
        info.offsetWidth = 8;
        break;
      case FbType.List:
      case FbType.Map:
        need(1);
        info.offsetWidth = 4;
        break;
      case FbType.LargeList:
        need(1);
        info.offsetWidth = 8;
        break;
      case FbType.FixedSizeList: {
        need(1);
        const size = (f.type(new FbFixedSizeList()) as FbFixedSizeList | null)?.listSize() ?? 0;
        if (!(size > 0) || size > MAX_ROWS) throw new Fail(`field ${at} is a fixed-size list of size ${size}`);
        info.listSize = size;
        break;
      }
      case FbType.Struct_:
        break;
      case FbType.Union:
        info.unionDense = (f.type(new FbUnion()) as FbUnion | null)?.mode() === 1;
        break;
      default:
        if (!(typeof type === 'number' && FbType[type] !== undefined) || type === FbType.NONE) throw new Fail(`the schema gives field ${at} a type this reader does not know`);
        throw new LsmiInputError(
          'UNSUPPORTED',
          { file: this.file, column: name || undefined },
          `has Arrow type ${FbType[type]}, which this reader does not support. Drop the column or cast it (embeddings and logits: fixed-size lists of floats).`,
        );
    }
    const dict = f.dictionary();
    if (dict) {
      const indexType = dict.indexType();
      if (!indexType) throw new Fail(`field ${at} is dictionary-encoded without an index type`);
      const bits = indexType.bitWidth();
      if (![8, 16, 32, 64].includes(bits)) throw new Fail(`field ${at} has dictionary indices of ${bits} bits`);
      info.dictionary = { id: dict.id(), indexWidth: bits / 8 };
    }
    for (let i = 0; i < nChildren; i++) info.children.push(this.readField(f.children(i), bytes, depth + 1, `${at}'s child ${i}`));
    if (info.dictionary) this.dictionaries.set(info.dictionary.id, info);
    return info;
  }

  // ---- batches

  private async checkBatch(batch: FbRecordBatch, bodyStart: number, bodyLength: number, fields: FieldInfo[], what: string): Promise<number> {
    const length = batch.length();
    if (length < 0n || length > BigInt(MAX_ROWS)) throw new Fail(`the ${what} claims ${length} rows (at most ${MAX_ROWS} are supported)`);
    const rows = Number(length);
    const nNodes = batch.nodesLength();
    const nBuffers = batch.buffersLength();
    // FieldNode and Buffer are 16-byte structs; the metadata is at most MAX_METADATA_BYTES
    if (nNodes < 0 || nBuffers < 0 || (nNodes + nBuffers) * 16 > MAX_METADATA_BYTES) throw new Fail(`the ${what} claims ${nNodes} field nodes and ${nBuffers} buffers`);
    const compression = batch.compression();
    const compressed = compression !== null;
    if (compression) {
      const codec = compression.codec();
      if (codec !== 0 && codec !== 1) throw new Fail(`the ${what} uses an unknown compression codec ${codec}`);
      this.codecs.add(codec === 0 ? 'lz4' : 'zstd');
    }
    let node = 0;
    let buffer = 0;
    const nextNode = (at: string) => {
      if (node >= nNodes) throw new Fail(`the ${what} has fewer field nodes (${nNodes}) than its columns need (at ${at})`);
      const n = batch.nodes(node++)!;
      const len = n.length();
      const nulls = n.nullCount();
      if (len < 0n || len > BigInt(MAX_ROWS)) throw new Fail(`the ${what}'s ${at} claims ${len} values`);
      if (nulls < 0n || nulls > len) throw new Fail(`the ${what}'s ${at} claims ${nulls} nulls in ${len} values`);
      return { length: Number(len), nulls: Number(nulls) };
    };
    const nextBuffer = async (at: string, needBytes: number): Promise<void> => {
      if (buffer >= nBuffers) throw new Fail(`the ${what} has fewer buffers (${nBuffers}) than its columns need (at ${at})`);
      const b = batch.buffers(buffer++)!;
      const offset = b.offset();
      const len = b.length();
      if (offset < 0n || len < 0n || offset + len > BigInt(bodyLength)) throw new Fail(`the ${what}'s buffer for ${at} (offset ${offset}, ${len} bytes) runs past the batch's body (${bodyLength} bytes)`);
      let size = Number(len);
      if (compressed && size > 0) {
        if (size < 8) throw new Fail(`the ${what}'s compressed buffer for ${at} is ${size} bytes, too short for its length prefix`);
        const prefix = await this.readAt(bodyStart + Number(offset), 8);
        if (prefix.length < 8) throw new Fail(`the ${what}'s buffer for ${at} is cut short`);
        const declared = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigInt64(0, true);
        if (declared === -1n) size -= 8;
        else {
          if (declared < 0n || declared > BigInt(MAX_BUFFER_BYTES)) throw new Fail(`the ${what}'s compressed buffer for ${at} claims to inflate to ${declared} bytes`);
          size = Number(declared);
          this.inflated += size;
          const budget = inflateBudget(this.size);
          if (this.inflated > budget) {
            throw new LsmiInputError(
              'UNSUPPORTED',
              { file: this.file },
              `the compressed data inflates to more than ${formatBytes(budget)} (100 × the file's size, at least 1 GiB): refused as a decompression bomb. If the data is real, write it uncompressed (pyarrow.feather.write_feather(table, path, compression='uncompressed')).`,
            );
          }
        }
      }
      if (size < needBytes) throw new Fail(`the ${what}'s buffer for ${at} has ${size} bytes, but ${needBytes} are needed`);
    };
    const visit = async (f: FieldInfo, at: string, exact: number | undefined, atLeast: number | undefined): Promise<void> => {
      const { length, nulls } = nextNode(at);
      if (exact !== undefined && length !== exact) throw new Fail(`the ${what}'s ${at} has ${length} values, but the batch has ${exact} rows`);
      if (atLeast !== undefined && length < atLeast) throw new Fail(`the ${what}'s ${at} has ${length} values, but ${atLeast} are needed`);
      const bitmap = Math.ceil(length / 8);
      if (f.dictionary) {
        await nextBuffer(`${at} (validity)`, nulls > 0 ? bitmap : 0);
        await nextBuffer(`${at} (dictionary indices)`, length * f.dictionary.indexWidth);
        return;
      }
      switch (f.type) {
        case FbType.Null:
          return;
        case FbType.Union:
          if (!this.metadataV5) await nextBuffer(`${at} (validity)`, 0);
          await nextBuffer(`${at} (type ids)`, length);
          if (f.unionDense) await nextBuffer(`${at} (offsets)`, length * 4);
          for (const c of f.children) await visit(c, `${at}.${c.name}`, undefined, f.unionDense ? undefined : length);
          return;
        default:
          await nextBuffer(`${at} (validity)`, nulls > 0 ? bitmap : 0);
      }
      if (f.width === 0) await nextBuffer(`${at} (values)`, bitmap);
      else if (f.width > 0) await nextBuffer(`${at} (values)`, length * f.width);
      else if (f.offsetWidth > 0) {
        await nextBuffer(`${at} (offsets)`, length > 0 ? (length + 1) * f.offsetWidth : 0);
        if (f.type === FbType.List || f.type === FbType.LargeList || f.type === FbType.Map) await visit(f.children[0], `${at}'s items`, undefined, undefined);
        else await nextBuffer(`${at} (data)`, 0);
      } else if (f.type === FbType.FixedSizeList) {
        await visit(f.children[0], `${at}'s values`, undefined, length * f.listSize);
      } else if (f.type === FbType.Struct_) {
        for (const c of f.children) await visit(c, `${at}.${c.name}`, undefined, length);
      }
    };
    for (const f of fields) {
      try {
        await visit(f, f.name ? `column '${f.name}'` : 'a column', rows, undefined);
      } catch (e) {
        if (e instanceof Fail && f.name) e.column ??= f.name;
        throw e;
      }
    }
    return rows;
  }
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(0)} MiB`;
}
