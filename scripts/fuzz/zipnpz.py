"""Zip / npz helpers for the fuzz generator: parse a valid archive's layout, write crafted ones."""
import io
import struct
import zlib

import numpy as np


def npy_bytes(arr, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(arr), version=version, allow_pickle=False)
    return buf.getvalue()


def npy_with_header(arr, header_text):
    """The array's raw bytes behind a hand-written v1 header dict (padded as numpy pads)."""
    body = np.ascontiguousarray(arr).tobytes()
    h = header_text.encode("latin1")
    total = 10 + len(h) + 1
    pad = (-total) % 64
    h = h + b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body


def parse_zip(data):
    """Entries of a valid zip: central and local header positions, data start, sizes."""
    b = data
    eocd = b.rfind(b"PK\x05\x06")
    count = struct.unpack_from("<H", b, eocd + 10)[0]
    dir_size, dir_off = struct.unpack_from("<II", b, eocd + 12)
    entries = []
    p = dir_off
    for _ in range(count):
        method = struct.unpack_from("<H", b, p + 10)[0]
        crc, csize, usize = struct.unpack_from("<III", b, p + 16)
        nlen, xlen, clen = struct.unpack_from("<HHH", b, p + 28)
        local = struct.unpack_from("<I", b, p + 42)[0]
        name = b[p + 46: p + 46 + nlen].decode("utf8")
        lnlen, lxlen = struct.unpack_from("<HH", b, local + 26)
        start = local + 30 + lnlen + lxlen
        entries.append({"name": name, "central": p, "local": local, "data": start, "csize": csize, "usize": usize,
                        "method": method, "crc": crc, "xlen": xlen, "nlen": nlen})
        p += 46 + nlen + xlen + clen
    return {"entries": entries, "eocd": eocd, "dir_off": dir_off, "dir_size": dir_size, "count": count}


def boundaries(data):
    z = parse_zip(data)
    out = {0, 1, 2, 4, len(data) - 1, len(data) - 22, z["eocd"], z["dir_off"]}
    for e in z["entries"]:
        out.update([e["local"], e["local"] + 30, e["data"], e["data"] + e["csize"] // 2, e["data"] + e["csize"], e["central"], e["central"] + 46])
        out.update([e["data"] + min(e["csize"], 10), e["data"] + min(e["csize"], 128)])
    return sorted(x for x in out if 0 <= x < len(data))


def header_ranges(data):
    """Byte ranges of zip headers and of the npy headers of stored entries."""
    z = parse_zip(data)
    out = [(z["dir_off"], len(data))]
    for e in z["entries"]:
        out.append((e["local"], e["data"]))
        if e["method"] == 0:
            out.append((e["data"], e["data"] + min(e["csize"], 128)))
    return out


def write_zip(entries, zip64_dir=None, count_override=None):
    """entries: dicts name, data (uncompressed bytes) and optional method (0/8; other numbers are
    written as stored bytes with that method id), crc (override), usize/csize (overrides: values
    >= 0xFFFFFFFF go into a zip64 extra field), extra (bytes for the central entry), local_offset
    (override). zip64_dir: {"size": N, "offset": N, "count": N} writes a zip64 end record."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        raw = e["data"]
        method = e.get("method", 0)
        if "stored" in e:
            stored = e["stored"]
        elif method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            stored = c.compress(raw) + c.flush()
        else:
            stored = raw
        crc = e.get("crc", zlib.crc32(raw) & 0xFFFFFFFF)
        usize = e.get("usize", len(raw))
        csize = e.get("csize", len(stored))
        name = e["name"].encode("utf8")
        local_off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, min(csize, 0xFFFFFFFF), min(usize, 0xFFFFFFFF), len(name), 0)
        out += name + stored
        extra = e.get("extra", b"")
        z64 = b""
        cu, cc, lo = usize, csize, e.get("local_offset", local_off)
        if usize >= 0xFFFFFFFF:
            z64 += struct.pack("<Q", usize)
            cu = 0xFFFFFFFF
        if csize >= 0xFFFFFFFF:
            z64 += struct.pack("<Q", csize)
            cc = 0xFFFFFFFF
        if lo >= 0xFFFFFFFF:
            z64 += struct.pack("<Q", lo)
            lo = 0xFFFFFFFF
        if z64:
            extra = struct.pack("<HH", 1, len(z64)) + z64 + extra
        xlen = e.get("xlen", len(extra))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, cc, cu, len(name), xlen, 0, 0, 0, 0, lo)
        central += name + extra
    dir_off = len(out)
    out += central
    count = count_override if count_override is not None else len(entries)
    if zip64_dir is not None:
        rec_off = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, zip64_dir.get("count", count), zip64_dir.get("count", count),
                           zip64_dir.get("size", len(central)), zip64_dir.get("offset", dir_off))
        out += struct.pack("<IIQI", 0x07064B50, 0, rec_off, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count & 0xFFFF, count & 0xFFFF, len(central), dir_off, 0)
    return bytes(out)


def bomb(path, rows, cols):
    """An npz whose emb_1.npy (float32 zeros, rows × cols) is deflated: ~1000:1."""
    header = npy_with_header(np.zeros((0,), "<f4"), "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols))
    total = rows * cols * 4
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(header)
    parts = [comp.compress(header)]
    chunk = bytes(16 << 20)
    left = total
    while left > 0:
        c = chunk if left >= len(chunk) else chunk[:left]
        crc = zlib.crc32(c, crc)
        parts.append(comp.compress(c))
        left -= len(c)
    parts.append(comp.flush())
    stored = b"".join(parts)
    usize = len(header) + total
    return {"name": "emb_1.npy", "data": b"", "stored": stored, "method": 8, "crc": crc & 0xFFFFFFFF, "usize": usize, "csize": len(stored)}
