"""A minimal reader of Arrow IPC layout (file and stream formats), for aiming mutations.

It walks a *valid* file (a seed written by pyarrow) and lists its messages, its footer and every
integer worth patching: message and body lengths, record-batch row counts, field nodes, buffer
offsets and lengths, the compression codec, schema child counts, list sizes, integer bit widths,
footer blocks. No flatbuffers package needed: the few tables used are read by hand (Arrow's
format/Message.fbs, Schema.fbs, File.fbs).
"""
import struct

# Arrow Type union (Schema.fbs)
TYPE_NAMES = {
    0: "NONE", 1: "Null", 2: "Int", 3: "FloatingPoint", 4: "Binary", 5: "Utf8", 6: "Bool", 7: "Decimal", 8: "Date",
    9: "Time", 10: "Timestamp", 11: "Interval", 12: "List", 13: "Struct", 14: "Union", 15: "FixedSizeBinary",
    16: "FixedSizeList", 17: "Map", 18: "Duration", 19: "LargeBinary", 20: "LargeUtf8", 21: "LargeList",
    22: "RunEndEncoded", 23: "BinaryView", 24: "Utf8View", 25: "ListView", 26: "LargeListView",
}
HEADER_NAMES = {0: "NONE", 1: "Schema", 2: "DictionaryBatch", 3: "RecordBatch", 4: "Tensor", 5: "SparseTensor"}

FMT = {"u8": "<B", "i16": "<h", "u16": "<H", "i32": "<i", "u32": "<I", "i64": "<q", "u64": "<Q"}
WIDTH = {"u8": 1, "i16": 2, "u16": 2, "i32": 4, "u32": 4, "i64": 8, "u64": 8}


def rd(b, pos, kind):
    return struct.unpack_from(FMT[kind], b, pos)[0]


def wr(b, pos, kind, value):
    """Writes value at pos, wrapped to the field's width (two's complement)."""
    w = WIDTH[kind]
    value &= (1 << (8 * w)) - 1
    b[pos:pos + w] = value.to_bytes(w, "little")


class Table:
    def __init__(self, b, pos):
        self.b = b
        self.pos = pos
        self.vt = pos - rd(b, pos, "i32")
        self.vtlen = rd(b, self.vt, "u16")

    def field(self, i):
        o = 4 + 2 * i
        if o >= self.vtlen:
            return None
        off = rd(self.b, self.vt + o, "u16")
        return None if off == 0 else self.pos + off

    def scalar(self, i, kind, default=0):
        p = self.field(i)
        return default if p is None else rd(self.b, p, kind)

    def table(self, i):
        p = self.field(i)
        return None if p is None else Table(self.b, p + rd(self.b, p, "u32"))

    def vector(self, i):
        """(position of the u32 length, length) or None."""
        p = self.field(i)
        if p is None:
            return None
        vp = p + rd(self.b, p, "u32")
        return vp, rd(self.b, vp, "u32")

    def tables(self, i):
        v = self.vector(i)
        if v is None:
            return []
        vp, n = v
        out = []
        for k in range(n):
            ep = vp + 4 + 4 * k
            out.append(Table(self.b, ep + rd(self.b, ep, "u32")))
        return out


class Point:
    """An integer in the file worth patching."""

    __slots__ = ("what", "pos", "kind", "value", "where")

    def __init__(self, what, pos, kind, b, where=""):
        self.what = what
        self.pos = pos
        self.kind = kind
        self.value = rd(b, pos, kind)
        self.where = where

    def __repr__(self):
        return f"{self.what}@{self.pos}={self.value}"


def _schema_points(b, schema, where, points):
    def walk(field, path):
        name_p = field.field(0)
        name = ""
        if name_p is not None:
            sp = name_p + rd(b, name_p, "u32")
            name = bytes(b[sp + 4: sp + 4 + rd(b, sp, "u32")]).decode("utf8", "replace")
        label = f"{path}{name}"
        tt = field.field(2)
        if tt is not None:
            points.append(Point("field.type_id", tt, "u8", b, f"{where} {label}"))
        ttype = field.scalar(2, "u8")
        t = field.table(3)
        if t is not None:
            if ttype == 16:  # FixedSizeList.listSize
                p = t.field(0)
                if p is not None:
                    points.append(Point("fsl.listSize", p, "i32", b, f"{where} {label}"))
            elif ttype == 2:  # Int.bitWidth, is_signed
                p = t.field(0)
                if p is not None:
                    points.append(Point("int.bitWidth", p, "i32", b, f"{where} {label}"))
            elif ttype == 3:  # FloatingPoint.precision
                p = t.field(0)
                if p is not None:
                    points.append(Point("float.precision", p, "i16", b, f"{where} {label}"))
        d = field.table(4)
        if d is not None:
            it = d.table(1)
            if it is not None and it.field(0) is not None:
                points.append(Point("dict.indexBitWidth", it.field(0), "i32", b, f"{where} {label}"))
            if d.field(0) is not None:
                points.append(Point("dict.id", d.field(0), "i64", b, f"{where} {label}"))
        ch = field.vector(5)
        if ch is not None:
            points.append(Point("field.children.count", ch[0], "u32", b, f"{where} {label}"))
            for c in field.tables(5):
                walk(c, label + ".")
    fv = schema.vector(1)
    if fv is not None:
        points.append(Point("schema.fields.count", fv[0], "u32", b, where))
    for f in schema.tables(1):
        walk(f, "")
    md = schema.vector(2)
    if md is not None:
        points.append(Point("schema.metadata.count", md[0], "u32", b, where))
        for kv in schema.tables(2):
            vp = kv.field(1)
            if vp is not None:
                sp = vp + rd(b, vp, "u32")
                points.append(Point("schema.metadata.value.length", sp, "u32", b, where))


def _batch_points(b, rb, where, points, body):
    p = rb.field(0)
    if p is not None:
        points.append(Point("rb.length", p, "i64", b, where))
    nodes = rb.vector(1)
    if nodes is not None:
        vp, n = nodes
        points.append(Point("rb.nodes.count", vp, "u32", b, where))
        for k in range(n):
            points.append(Point("node.length", vp + 4 + 16 * k, "i64", b, f"{where} node {k}"))
            points.append(Point("node.null_count", vp + 12 + 16 * k, "i64", b, f"{where} node {k}"))
    bufs = rb.vector(2)
    buffers = []
    if bufs is not None:
        vp, n = bufs
        points.append(Point("rb.buffers.count", vp, "u32", b, where))
        for k in range(n):
            off = Point("buffer.offset", vp + 4 + 16 * k, "i64", b, f"{where} buffer {k}")
            ln = Point("buffer.length", vp + 12 + 16 * k, "i64", b, f"{where} buffer {k}")
            points.extend([off, ln])
            buffers.append((body + off.value, ln.value))
    c = rb.table(3)
    if c is not None and c.field(0) is not None:
        points.append(Point("rb.codec", c.field(0), "u8", b, where))
    return buffers


def parse(data):
    """Messages, footer and patch points of a valid IPC file or stream."""
    b = bytearray(data)
    is_file = bytes(b[:6]) == b"ARROW1"
    info = {"format": "file" if is_file else "stream", "messages": [], "points": [], "footer": None, "boundaries": set()}
    points = info["points"]
    pos = 8 if is_file else 0
    end = len(b) - 10 if is_file else len(b)
    while pos + 8 <= end:
        if rd(b, pos, "u32") != 0xFFFFFFFF:
            break
        mlen = rd(b, pos + 4, "i32")
        info["boundaries"].update([pos, pos + 4, pos + 8])
        if mlen == 0:
            info["eos"] = pos
            break
        meta = pos + 8
        root = Table(b, meta + rd(b, meta, "u32"))
        htype = root.scalar(1, "u8")
        body_len = root.scalar(3, "i64")
        where = f"message {len(info['messages'])} ({HEADER_NAMES.get(htype, htype)})"
        msg = {"start": pos, "meta": meta, "mlen": mlen, "body": meta + mlen, "bodyLen": body_len, "type": htype, "buffers": []}
        points.append(Point("msg.metaLength", pos + 4, "i32", b, where))
        if root.field(3) is not None:
            points.append(Point("msg.bodyLength", root.field(3), "i64", b, where))
        if root.field(1) is not None:
            points.append(Point("msg.headerType", root.field(1), "u8", b, where))
        header = root.table(2)
        if header is not None:
            if htype == 1:
                _schema_points(b, header, where, points)
            elif htype == 3:
                msg["buffers"] = _batch_points(b, header, where, points, meta + mlen)
            elif htype == 2:
                if header.field(0) is not None:
                    points.append(Point("dictbatch.id", header.field(0), "i64", b, where))
                rb = header.table(1)
                if rb is not None:
                    msg["buffers"] = _batch_points(b, rb, where, points, meta + mlen)
        info["boundaries"].update([meta + mlen, meta + mlen + body_len])
        for (bp, bl) in msg["buffers"]:
            info["boundaries"].update([bp, bp + bl // 2, bp + bl])
        info["messages"].append(msg)
        pos = meta + mlen + body_len
    if is_file:
        flen = rd(b, len(b) - 10, "i32")
        fstart = len(b) - 10 - flen
        info["boundaries"].update([fstart, fstart + flen // 2, len(b) - 10, len(b) - 6, len(b) - 1])
        points.append(Point("footer.length", len(b) - 10, "i32", b, "footer"))
        root = Table(b, fstart + rd(b, fstart, "u32"))
        footer = {"start": fstart, "len": flen, "dicts": [], "batches": []}
        schema = root.table(1)
        if schema is not None:
            _schema_points(b, schema, "footer schema", points)
        for idx, key in ((2, "dicts"), (3, "batches")):
            v = root.vector(idx)
            if v is None:
                continue
            vp, n = v
            points.append(Point(f"footer.{key}.count", vp, "u32", b, "footer"))
            for k in range(n):
                bp = vp + 4 + 24 * k
                blk = {
                    "offset": Point(f"block.offset", bp, "i64", b, f"footer {key}[{k}]"),
                    "metaDataLength": Point(f"block.metaDataLength", bp + 8, "i32", b, f"footer {key}[{k}]"),
                    "bodyLength": Point(f"block.bodyLength", bp + 16, "i64", b, f"footer {key}[{k}]"),
                }
                footer[key].append(blk)
                points.extend(blk.values())
        info["footer"] = footer
    info["boundaries"].update([0, 1, 4, 6, 8, len(b) - 1])
    info["boundaries"] = sorted(x for x in info["boundaries"] if 0 <= x < len(b))
    return info


def metadata_ranges(info, size):
    """Byte ranges holding flatbuffer metadata (message headers and the footer)."""
    out = [(m["start"], m["meta"] + m["mlen"]) for m in info["messages"]]
    if info["footer"]:
        out.append((info["footer"]["start"], size))
    return out
