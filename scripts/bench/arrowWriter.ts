/**
 * Writes a run file batch by batch with apache-arrow's RecordBatchFileWriter, straight to a file
 * descriptor: the writer's byte sink is replaced by one that writes each chunk synchronously, so
 * nothing but the batch being written is held in memory, whatever the file's size.
 */
import * as fs from 'node:fs';
import {
  AsyncByteQueue,
  type Data,
  Field,
  FixedSizeList,
  Float32,
  Int32,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Utf8,
  makeData,
  vectorFromArray,
} from 'apache-arrow';

class FdSink extends AsyncByteQueue {
  bytes = 0;
  constructor(private readonly fd: number) {
    super();
  }
  override write(value: unknown): void {
    const v = value as ArrayBufferView;
    const u8 = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    let off = 0;
    while (off < u8.byteLength) off += fs.writeSync(this.fd, u8, off, u8.byteLength - off);
    this.bytes += u8.byteLength;
  }
}

export interface RunColumns {
  ids: string[];
  labels: Int32Array;
  emb1: Float32Array;
  emb2: Float32Array;
  logits?: { '1': Float32Array; '2': Float32Array; '12': Float32Array };
  split?: string[];
}

export interface RunLayout {
  d1: number;
  d2: number;
  C: number;
  logits: boolean;
  split: boolean;
  /** The `lsmi` schema metadata (run format §Metadata). */
  meta: Record<string, unknown>;
}

const floatList = (w: number) => new FixedSizeList(w, new Field('item', new Float32(), true));

export class RunFileWriter {
  private readonly fd: number;
  private readonly sink: FdSink;
  private readonly writer: RecordBatchFileWriter;
  private readonly schema: Schema;
  rows = 0;

  constructor(readonly file: string, private readonly layout: RunLayout) {
    const fields: Field[] = [new Field('sample_id', new Utf8(), false), new Field('label', new Int32(), false)];
    fields.push(new Field('emb_1', floatList(layout.d1), false), new Field('emb_2', floatList(layout.d2), false));
    if (layout.logits) for (const h of ['1', '2', '12']) fields.push(new Field(`logits_${h}`, floatList(layout.C), false));
    if (layout.split) fields.push(new Field('split', new Utf8(), false));
    this.schema = new Schema(fields, new Map([['lsmi', JSON.stringify(layout.meta)]]));
    this.fd = fs.openSync(file, 'w');
    this.sink = new FdSink(this.fd);
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(this.sink as never);
  }

  write(c: RunColumns): void {
    const n = c.labels.length;
    const mat = (w: number, data: Float32Array): Data => {
      if (data.length !== n * w) throw new Error(`matrix of ${data.length} values for ${n} rows × ${w}`);
      return makeData({ type: floatList(w), length: n, nullCount: 0, child: makeData({ type: new Float32(), length: n * w, nullCount: 0, data }) });
    };
    const children: Data[] = [vectorFromArray(c.ids, new Utf8()).data[0], makeData({ type: new Int32(), length: n, nullCount: 0, data: c.labels })];
    children.push(mat(this.layout.d1, c.emb1), mat(this.layout.d2, c.emb2));
    if (this.layout.logits) {
      if (!c.logits) throw new Error('logits missing');
      for (const h of ['1', '2', '12'] as const) children.push(mat(this.layout.C, c.logits[h]));
    }
    if (this.layout.split) children.push(vectorFromArray(c.split!, new Utf8()).data[0]);
    const batch = new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children }));
    this.writer.write(batch);
    this.rows += n;
  }

  /** Writes the footer and closes the file; returns its size in bytes. */
  close(): number {
    this.writer.close();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    return this.sink.bytes;
  }
}
