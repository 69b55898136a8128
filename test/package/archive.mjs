// Reading the two package archives with Node alone (no unzip / tar on the machine needed):
// a .vsix is a zip file, an npm package a gzipped tar.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * The entries of a zip file from its central directory: name, sizes, and a read() of the contents.
 * Stored (0) and deflated (8) entries; no zip64 (a .vsix is far below 4 GiB).
 */
export function readZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${k}`);
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    entries.push({
      name,
      size,
      compressedSize,
      read() {
        if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${file}: bad local header for ${name}`);
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const raw = buf.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(raw);
        if (method === 8) return zlib.inflateRawSync(raw);
        throw new Error(`${file}: ${name} uses compression method ${method}`);
      },
    });
  }
  return entries;
}

/** The regular files of a .tgz (ustar, with pax headers for long names): name, size, read(). */
export function readTgz(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const entries = [];
  let p = 0;
  let paxPath;
  const str = (o, n) => buf.toString('utf8', o, o + n).replace(/\0.*$/s, '');
  while (p + 512 <= buf.length && buf[p] !== 0) {
    const size = parseInt(str(p + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(buf[p + 156] || 0x30);
    const prefix = str(p + 345, 155);
    let name = (prefix ? `${prefix}/` : '') + str(p, 100);
    const start = p + 512;
    const data = buf.subarray(start, start + size);
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
    } else {
      if (paxPath) name = paxPath;
      paxPath = undefined;
      if (type === '0' || type === '\0') entries.push({ name, size, read: () => Buffer.from(data) });
    }
    p = start + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Writes every entry under `prefix` (e.g. 'extension/') into `dir`, without the prefix. */
export function extract(entries, prefix, dir) {
  for (const e of entries) {
    if (!e.name.startsWith(prefix)) continue;
    const out = path.join(dir, e.name.slice(prefix.length));
    if (!out.startsWith(dir + path.sep)) throw new Error(`entry outside the folder: ${e.name}`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, e.read());
  }
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(bytes) {
  if (bytes.subarray(0, 8).toString('latin1') !== '\x89PNG\r\n\x1a\n' || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG file');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
