/**
 * Reads a NumPy `.npz` run (np.savez or np.savez_compressed): one array per column, with the same
 * names as the Arrow format, and the metadata in an optional JSON sidecar `<name>.json`.
 */
import { isUtf8 } from 'node:buffer';
import { promises as fsp } from 'node:fs';
import * as zlib from 'node:zlib';
import { LsmiInputError } from '../errors';
import { inflateBudget, MAX_ROWS } from './ipc';
import { denseMatrix } from './matrix';
import type { ReadOptions, RunData, StandardColumn } from './run';
import { type RawColumn, type RawRun, validateRun } from './validate';

export async function readNpzRun(file: string, options: ReadOptions = {}): Promise<RunData> {
  return validateRun(await readNpzColumns(file), options.columns);
}

/** A JSON sidecar larger than this is refused (it holds names and a few numbers). */
export const MAX_SIDECAR_BYTES = 64 * 1024 ** 2;

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
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
    if (head.length < 4 || head.readUInt32LE(0) !== 0x04034b50) {
      throw new LsmiInputError('NOT_NPZ', { file }, `not a NumPy .npz file (${head.length < 4 ? `only ${size} bytes` : 'no zip header'}). Write it with np.savez / np.savez_compressed, or use lsmi_export.write_run.`);
    }
    const entries = await centralDirectory(file, size, readAt);
    const columns = new Map<string, RawColumn>();
    let compression = 'stored';
    const dtypes: Partial<Record<StandardColumn, string>> = {};
    const budget = inflateBudget(size);
    let inflatedTotal = 0;
    for (const e of entries) {
      if (!e.name.endsWith('.npy')) continue;
      const name = e.name.slice(0, -4);
      if (e.localOffset + 30 > size) throw truncated(file, `entry '${e.name}' starts past the end of the file`);
      const local = await readAt(e.localOffset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== 0x04034b50) throw truncated(file, `entry '${e.name}' has no local header`);
      const localNameLength = local.readUInt16LE(26);
      const localName = await readAt(e.localOffset + 30, localNameLength);
      if (localName.toString('utf8') !== e.name) throw truncated(file, `entry '${e.name}' is called '${localName.toString('utf8').replace(/[^\x20-\x7e]/g, '?')}' in its local header`);
      const dataStart = e.localOffset + 30 + localNameLength + local.readUInt16LE(28);
      if (e.compressedSize > size - dataStart || dataStart > size) throw truncated(file, `entry '${e.name}' is cut short (${e.compressedSize} bytes from byte ${dataStart}, file of ${size})`);
      if (e.method === 0 && e.compressedSize !== e.size) throw truncated(file, `entry '${e.name}' is stored with ${e.compressedSize} bytes but says it holds ${e.size}`);
      inflatedTotal += e.size;
      if (e.size > MAX_ENTRY_BYTES || inflatedTotal > budget) {
        throw new LsmiInputError(
          'UNSUPPORTED',
          { file, column: name },
          `the archive's arrays inflate to ${inflatedTotal > budget ? `more than ${(budget / 1024 ** 3).toFixed(1)} GiB (100 × the file's size, at least 1 GiB)` : `${e.size} bytes, more than one array may hold`}: refused as a decompression bomb. If the data is real, save it with np.savez (uncompressed) or as Arrow.`,
        );
      }
      const stored = await readAt(dataStart, e.compressedSize);
      if (stored.length < e.compressedSize) throw truncated(file, `entry '${e.name}' is cut short`);
      let bytes: Buffer;
      if (e.method === 0) bytes = stored;
      else if (e.method === 8) {
        compression = 'deflate';
        try {
          // never more than the entry declares: a lying size cannot make it allocate more
          bytes = zlib.inflateRawSync(stored, { maxOutputLength: Math.max(1, e.size) });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw truncated(file, code === 'ERR_BUFFER_TOO_LARGE' ? `entry '${e.name}' inflates to more than the ${e.size} bytes it declares` : `entry '${e.name}' does not inflate (corrupt deflate data)`);
        }
        if (bytes.length !== e.size) throw truncated(file, `entry '${e.name}' inflates to ${bytes.length} bytes, not the ${e.size} it declares`);
      } else {
        throw new LsmiInputError('UNSUPPORTED', { file, column: name }, `zip compression method ${e.method} is not supported (use np.savez or np.savez_compressed).`);
      }
      if (crc32(bytes) !== e.crc) throw truncated(file, `entry '${e.name}' fails its CRC-32 check (its bytes changed after it was written)`);
      const arr = parseNpy(bytes, file, name);
      columns.set(name, toRawColumn(arr));
      if (arr.shape.length === 2) dtypes[name as StandardColumn] = arr.descr;
    }
    const metadata = await readSidecar(file);
    return { file, columns, metadata, source: { format: 'npz', bytes: size, batches: 1, compression, dtypes } };
  } finally {
    await handle.close();
  }
}

/** One array's bytes: Node's Buffer limit and the typed arrays' 32-bit lengths. */
const MAX_ENTRY_BYTES = 2 ** 32 - 1;

async function readSidecar(file: string): Promise<{ text: string; where: string } | undefined> {
  const side = sidecarPath(file);
  let st;
  try {
    st = await fsp.stat(side);
  } catch {
    return undefined; // no sidecar: the metadata defaults apply
  }
  const bad = (what: string) => new LsmiInputError('BAD_METADATA', { file: side }, `the metadata sidecar of ${file} ${what}.`);
  if (!st.isFile()) throw bad('is not a regular file (a folder?). Put the run\'s metadata JSON there, or remove it');
  if (st.size > MAX_SIDECAR_BYTES) throw bad(`is ${st.size} bytes, more than the ${MAX_SIDECAR_BYTES}-byte limit for metadata`);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(side);
  } catch (e) {
    throw bad(`cannot be read (${(e as NodeJS.ErrnoException).code ?? 'I/O error'})`);
  }
  if (!isUtf8(bytes)) throw bad('is not UTF-8 text');
  return { text: bytes.toString('utf8'), where: `sidecar ${side}` };
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (zip's): Node's native one where it exists (Node ≥ 20.15), else a table. */
export function crc32(b: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) return native(b) >>> 0;
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
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
    const recAt = tail.readBigUInt64LE(loc + 8);
    if (recAt > BigInt(size - 56)) throw truncated(file, 'its zip64 directory record lies past the end of the file');
    const rec = await readAt(Number(recAt), 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== 0x06064b50) throw truncated(file, 'its zip64 directory record is missing');
    const big = [rec.readBigUInt64LE(32), rec.readBigUInt64LE(40), rec.readBigUInt64LE(48)];
    if (big.some((v) => v > BigInt(size))) throw truncated(file, 'its zip64 directory record gives sizes larger than the file');
    [count, dirSize, dirOffset] = big.map(Number);
  }
  if (dirOffset + dirSize > size) throw truncated(file, `its zip directory (${dirSize} bytes at byte ${dirOffset}) runs past the end of the file`);
  if (count * 46 > dirSize) throw truncated(file, `its zip directory claims ${count} entries in ${dirSize} bytes`);
  const dir = await readAt(dirOffset, dirSize);
  if (dir.length < dirSize) throw truncated(file, 'its zip directory is cut short');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== 0x02014b50) throw truncated(file, 'its zip directory is corrupt');
    const flags = dir.readUInt16LE(p + 8);
    if (flags & 0x41) throw new LsmiInputError('UNSUPPORTED', { file }, `entry ${k} of the archive is encrypted, which an .npz file never is. Save the arrays with np.savez.`);
    const method = dir.readUInt16LE(p + 10);
    const crc = dir.readUInt32LE(p + 16);
    let compressedSize = dir.readUInt32LE(p + 20);
    let usize = dir.readUInt32LE(p + 24);
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let localOffset = dir.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > dir.length) throw truncated(file, `entry ${k} of its zip directory runs past the directory`);
    const nameBytes = dir.subarray(p + 46, p + 46 + nameLen);
    if (!isUtf8(nameBytes)) throw truncated(file, `entry ${k} of its zip directory has a name that is not UTF-8`);
    const name = nameBytes.toString('utf8');
    // zip64 extended information: only the fields whose classic value is saturated are present, in this order
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dir.readUInt16LE(x);
      const len = dir.readUInt16LE(x + 2);
      if (x + 4 + len > xEnd) throw truncated(file, `entry '${name}' has an extra field that runs past its header`);
      if (id === 0x0001) {
        let q = x + 4;
        const take = (): number => {
          if (q + 8 > x + 4 + len) throw truncated(file, `entry '${name}' has a zip64 field that is too short`);
          const v = dir.readBigUInt64LE(q);
          q += 8;
          if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw truncated(file, `entry '${name}' declares a size of ${v} bytes`);
          return Number(v);
        };
        if (usize === 0xffffffff) usize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      x += 4 + len;
    }
    entries.push({ name, method, crc, compressedSize, size: usize, localOffset });
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
  /** 64-bit integers' exact decimal text, only when some value is beyond ±2^53. */
  exact?: string[];
}

export function parseNpy(bytes: Buffer, file: string, column: string): NpyArray {
  const bad = (msg: string) => new LsmiInputError('NOT_NPZ', { file, column }, msg);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw bad('array is not in .npy format.');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`array has .npy format version ${major}, which is not supported (1 to 3 are).`);
  if (major > 1 && bytes.length < 12) throw bad('array header is cut short.');
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad(`array header (${headerLen} bytes) runs past the array's ${bytes.length} bytes.`);
  const header = bytes.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || shapeText === undefined) {
    if (/'descr':\s*\[/.test(header)) return { descr: 'structured', shape: [0], data: null, kind: 'other' };
    throw bad(`array header is not understood: ${header.trim().slice(0, 200)}`);
  }
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean);
  const shape = dims.map((d) => (/^\d+L?$/.test(d) ? Number(d.replace('L', '')) : NaN));
  const badDim = dims.findIndex((_, i) => !Number.isSafeInteger(shape[i]));
  if (badDim >= 0) throw bad(`array header gives the shape (${shapeText.trim()}): dimension '${dims[badDim]}' is not a non-negative integer.`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length > 0 && shape[0] > MAX_ROWS) throw bad(`array has ${shape[0]} rows; at most ${MAX_ROWS} are supported.`);
  const body = bytes.subarray(start + headerLen);
  const order = descr[0];
  const kind = descr[1] as NpyArray['kind'];
  const itemSize = Number(descr.slice(2));
  const little = order !== '>';
  if (kind === 'O') return { descr, shape, data: null, kind: 'O' };
  if (!/^[<>|=][a-zA-Z]\d+$/.test(descr) || !(itemSize > 0)) return { descr, shape, data: null, kind: 'other' };
  const unit = kind === 'U' ? 4 : 1; // numpy 'U' items are UCS-4: itemSize counts characters
  if (body.length < count * itemSize * unit) throw bad(`array data is cut short (${body.length} of ${count * itemSize * unit} bytes).`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let data: NpyArray['data'];
  let exact: string[] | undefined;
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
    const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < count; i++) {
      const o = i * itemSize;
      switch (itemSize) {
        case 1: out[i] = kind === 'i' ? view.getInt8(o) : view.getUint8(o); break;
        case 2: out[i] = kind === 'i' ? view.getInt16(o, little) : view.getUint16(o, little); break;
        case 4: out[i] = kind === 'i' ? view.getInt32(o, little) : view.getUint32(o, little); break;
        case 8: {
          const v = kind === 'i' ? view.getBigInt64(o, little) : view.getBigUint64(o, little);
          out[i] = Number(v);
          if (!exact && (v > SAFE || v < -SAFE)) exact = Array.from({ length: i }, (_, k) => String(kind === 'i' ? view.getBigInt64(k * 8, little) : view.getBigUint64(k * 8, little)));
          exact?.push(String(v));
          break;
        }
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
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw bad(`row ${i} holds the code point 0x${cp.toString(16)}, which is not a Unicode character. Write text as str.`);
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
      const text = b.subarray(0, z < 0 ? itemSize : z);
      if (!isUtf8(text)) throw bad(`row ${i} is not valid UTF-8 text. Write text as str (numpy 'U'), or bytes that are UTF-8.`);
      out[i] = text.toString('utf8');
    }
    data = out;
  } else {
    return { descr, shape, data: null, kind: 'other' };
  }
  if (fortran && shape.length === 2 && data instanceof Float32Array) data = transpose(data, shape[0], shape[1]);
  return { descr, shape, data, kind, exact };
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
    if (a.kind === 'i' || a.kind === 'u') return { kind: 'ints', length, values: a.data as Float64Array, exact: a.exact, nullRows: [], nullCount: 0, type };
  }
  if (a.shape.length === 2 && a.kind === 'f') {
    return { kind: 'matrix', length, m: denseMatrix(a.shape[0], a.shape[1], a.data as Float32Array), nullRows: [], nullCount: 0, type };
  }
  return { kind: 'other', length, type, hint: a.shape.length > 2 ? 'Flatten it to a 2-D (N, d) array first.' : undefined };
}
