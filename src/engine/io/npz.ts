/**
 * Reads a NumPy `.npz` run (np.savez or np.savez_compressed): one array per column, with the same
 * names as the Arrow format, and the metadata in an optional JSON sidecar `<name>.json`.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { LsmiInputError } from '../errors';
import { denseMatrix } from './matrix';
import type { ReadOptions, RunData, StandardColumn } from './run';
import { type RawColumn, type RawRun, validateRun } from './validate';

export async function readNpzRun(file: string, options: ReadOptions = {}): Promise<RunData> {
  return validateRun(await readNpzColumns(file), options.columns);
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export function sidecarPath(npzFile: string): string {
  return npzFile.replace(/\.npz$/i, '') + '.json';
}

export async function readNpzColumns(file: string): Promise<RawRun> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (e) {
    throw new LsmiInputError('NOT_FOUND', { file }, `cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw new LsmiInputError('EMPTY', { file }, 'the file is empty (0 bytes). It was probably not written completely: export it again.');
    const readAt = async (pos: number, n: number): Promise<Buffer> => {
      const b = Buffer.alloc(n);
      const { bytesRead } = await handle.read(b, 0, n, pos);
      return bytesRead === n ? b : b.subarray(0, bytesRead);
    };
    const head = await readAt(0, 4);
    if (head.readUInt32LE(0) !== 0x04034b50) {
      throw new LsmiInputError('NOT_NPZ', { file }, 'not a NumPy .npz file (no zip header). Write it with np.savez / np.savez_compressed, or use lsmi_export.write_run.');
    }
    const entries = await centralDirectory(file, size, readAt);
    const columns = new Map<string, RawColumn>();
    let compression = 'stored';
    const dtypes: Partial<Record<StandardColumn, string>> = {};
    for (const e of entries) {
      if (!e.name.endsWith('.npy')) continue;
      const name = e.name.slice(0, -4);
      const local = await readAt(e.localOffset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== 0x04034b50) throw truncated(file, `entry '${e.name}' has no local header`);
      const dataStart = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const stored = await readAt(dataStart, e.compressedSize);
      if (stored.length < e.compressedSize) throw truncated(file, `entry '${e.name}' is cut short`);
      let bytes: Buffer;
      if (e.method === 0) bytes = stored;
      else if (e.method === 8) {
        compression = 'deflate';
        try {
          bytes = inflateRawSync(stored);
        } catch (err) {
          throw truncated(file, `entry '${e.name}' does not inflate (${(err as Error).message})`);
        }
      } else {
        throw new LsmiInputError('UNSUPPORTED', { file, column: name }, `zip compression method ${e.method} is not supported (use np.savez or np.savez_compressed).`);
      }
      const arr = parseNpy(bytes, file, name);
      columns.set(name, toRawColumn(arr));
      if (arr.shape.length === 2) dtypes[name as StandardColumn] = arr.descr;
    }
    const side = sidecarPath(file);
    const metadata = existsSync(side) ? { text: await fsp.readFile(side, 'utf8'), where: `sidecar ${side}` } : undefined;
    return { file, columns, metadata, source: { format: 'npz', bytes: size, batches: 1, compression, dtypes } };
  } finally {
    await handle.close();
  }
}

function truncated(file: string, what: string): LsmiInputError {
  return new LsmiInputError('TRUNCATED', { file }, `the .npz archive is damaged or truncated: ${what}. Export it again.`);
}

async function centralDirectory(file: string, size: number, readAt: (pos: number, n: number) => Promise<Buffer>): Promise<ZipEntry[]> {
  const tailLen = Math.min(size, 65557);
  const tail = await readAt(size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw truncated(file, 'its zip directory is missing (an interrupted write?)');
  let count = tail.readUInt16LE(eocd + 10);
  let dirSize = tail.readUInt32LE(eocd + 12);
  let dirOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
    // zip64: the locator sits just before the classic end record
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw truncated(file, 'its zip64 directory locator is missing');
    const rec = await readAt(Number(tail.readBigUInt64LE(loc + 8)), 56);
    if (rec.readUInt32LE(0) !== 0x06064b50) throw truncated(file, 'its zip64 directory record is missing');
    count = Number(rec.readBigUInt64LE(32));
    dirSize = Number(rec.readBigUInt64LE(40));
    dirOffset = Number(rec.readBigUInt64LE(48));
  }
  const dir = await readAt(dirOffset, dirSize);
  if (dir.length < dirSize) throw truncated(file, 'its zip directory is cut short');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== 0x02014b50) throw truncated(file, 'its zip directory is corrupt');
    const method = dir.readUInt16LE(p + 10);
    let compressedSize = dir.readUInt32LE(p + 20);
    let usize = dir.readUInt32LE(p + 24);
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let localOffset = dir.readUInt32LE(p + 42);
    const name = dir.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extended information: only the fields whose classic value is saturated are present, in this order
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dir.readUInt16LE(x);
      const len = dir.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff) (usize = Number(dir.readBigUInt64LE(q))), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = Number(dir.readBigUInt64LE(q))), (q += 8);
        if (localOffset === 0xffffffff) localOffset = Number(dir.readBigUInt64LE(q));
      }
      x += 4 + len;
    }
    entries.push({ name, method, compressedSize, size: usize, localOffset });
    p = xEnd + commentLen;
  }
  return entries;
}

export interface NpyArray {
  descr: string;
  shape: number[];
  /** Numbers for numeric dtypes, strings for U/S dtypes. */
  data: Float32Array | Float64Array | string[] | null;
  kind: 'f' | 'i' | 'u' | 'b' | 'U' | 'S' | 'O' | 'other';
}

export function parseNpy(bytes: Buffer, file: string, column: string): NpyArray {
  const bad = (msg: string) => new LsmiInputError('NOT_NPZ', { file, column }, msg);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw bad('array is not in .npy format.');
  const major = bytes[6];
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || shapeText === undefined) {
    if (/'descr':\s*\[/.test(header)) return { descr: 'structured', shape: [0], data: null, kind: 'other' };
    throw bad(`array header is not understood: ${header.trim()}`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(start + headerLen);
  const order = descr[0];
  const kind = descr[1] as NpyArray['kind'];
  const itemSize = Number(descr.slice(2));
  const little = order !== '>';
  if (kind === 'O') return { descr, shape, data: null, kind: 'O' };
  if (body.length < count * itemSize) throw bad(`array data is cut short (${body.length} of ${count * itemSize} bytes).`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let data: NpyArray['data'];
  if (kind === 'f') {
    const out = new Float32Array(count);
    if (itemSize === 4 && little) new Uint8Array(out.buffer).set(body.subarray(0, count * 4));
    else if (itemSize === 4) for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, false);
    else if (itemSize === 8) for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, little);
    else if (itemSize === 2) for (let i = 0; i < count; i++) out[i] = half(view.getUint16(i * 2, little));
    else return { descr, shape, data: null, kind: 'other' };
    data = out;
  } else if (kind === 'i' || kind === 'u' || kind === 'b') {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * itemSize;
      switch (itemSize) {
        case 1: out[i] = kind === 'i' ? view.getInt8(o) : view.getUint8(o); break;
        case 2: out[i] = kind === 'i' ? view.getInt16(o, little) : view.getUint16(o, little); break;
        case 4: out[i] = kind === 'i' ? view.getInt32(o, little) : view.getUint32(o, little); break;
        case 8: out[i] = Number(kind === 'i' ? view.getBigInt64(o, little) : view.getBigUint64(o, little)); break;
        default: return { descr, shape, data: null, kind: 'other' };
      }
    }
    data = out;
  } else if (kind === 'U') {
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      let s = '';
      for (let j = 0; j < itemSize; j++) {
        const cp = view.getUint32((i * itemSize + j) * 4, little);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      out[i] = s;
    }
    data = out;
  } else if (kind === 'S') {
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      const b = body.subarray(i * itemSize, (i + 1) * itemSize);
      const z = b.indexOf(0);
      out[i] = b.toString('utf8', 0, z < 0 ? itemSize : z);
    }
    data = out;
  } else {
    return { descr, shape, data: null, kind: 'other' };
  }
  if (fortran && shape.length === 2 && data instanceof Float32Array) data = transpose(data, shape[0], shape[1]);
  return { descr, shape, data, kind };
}

function transpose(colMajor: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out[r * cols + c] = colMajor[c * rows + r];
  return out;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
}

function toRawColumn(a: NpyArray): RawColumn {
  const length = a.shape.length === 0 ? 1 : a.shape[0];
  const type = `numpy ${a.descr} array of shape (${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`;
  if (a.kind === 'O') {
    return { kind: 'other', length, type, hint: 'Object arrays are not supported (they need pickle). Convert strings with np.asarray(x, dtype=str).' };
  }
  if (a.data === null) return { kind: 'other', length, type };
  if (a.shape.length === 1) {
    if (a.kind === 'U' || a.kind === 'S') return { kind: 'strings', length, values: a.data as string[], type };
    if (a.kind === 'i' || a.kind === 'u') return { kind: 'ints', length, values: a.data as Float64Array, nullRows: [], nullCount: 0, type };
  }
  if (a.shape.length === 2 && a.kind === 'f') {
    return { kind: 'matrix', length, m: denseMatrix(a.shape[0], a.shape[1], a.data as Float32Array), nullRows: [], nullCount: 0, type };
  }
  return { kind: 'other', length, type, hint: a.shape.length > 2 ? 'Flatten it to a 2-D (N, d) array first.' : undefined };
}
