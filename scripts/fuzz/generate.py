#!/usr/bin/env python3
"""The targeted fuzz suite's generator (scripts/fuzz/targeted.mjs): seeded hostile run and results
files, aimed at the Arrow IPC / zip structures and the run format's rules, with pyarrow's / numpy's
verdict on each (scripts/fuzz/verdict.py).

  python3 scripts/fuzz/generate.py --out DIR --seed S --cases N [--start K] [--families a,b]
                                   [--results-seed FILE] [--cache DIR]
  python3 scripts/fuzz/generate.py --results-run FILE     (the small run the results seed is estimated on)


Writes DIR/seeds/ (valid files written by pyarrow and numpy), DIR/cases/<family>/... and
DIR/cases.json: one entry per case {name, family, seed, index, variant, file, kind, verdict}. A case
is named family/seed/index and depends on nothing else: the same name always gives the same bytes.
Cases are dealt to families by weight, round robin, so a larger --cases only adds cases. --start K
begins at the K-th case (batches of one long run).
"""
import argparse
import json
import os
import random
import shutil
import struct
import sys
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipclayout as I  # noqa: E402
import verdict as oracle  # noqa: E402
import zipnpz as Z  # noqa: E402

FAMILIES = {
    # family: weight
    "flip": 3,
    "flip-meta": 3,
    "truncate": 2,
    "patch-message": 3,
    "patch-schema": 2,
    "footer": 2,
    "semantic": 3,
    "npz": 3,
    "results": 2,
}

N, D1, D2, C = 24, 4, 3, 3
CLASS_NAMES = ["cat", "dog", "bird"]


def case_rng(name):
    return random.Random(name)


def np_rng(r):
    return np.random.default_rng(r.getrandbits(64))


# ------------------------------------------------------------------------------------------------
# building runs

def base_cols(g, n=N, d1=D1, d2=D2, c=C, int_ids=False, logits=("1", "2", "12"), paths=True, split=True):
    cols = {}
    cols["sample_id"] = np.arange(1000, 1000 + n, dtype=np.int64) if int_ids else [f"s{i:04d}" for i in range(n)]
    cols["label"] = np.asarray(g.integers(0, c, n), dtype=np.int64)
    cols["label"][:c] = np.arange(c)  # every class present
    cols["emb_1"] = g.standard_normal((n, d1)).astype(np.float32)
    cols["emb_2"] = g.standard_normal((n, d2)).astype(np.float32)
    for h in logits:
        cols[f"logits_{h}"] = g.standard_normal((n, c)).astype(np.float32)
    if paths:
        cols["path_1"] = [f"img/{i}.png" if i % 5 else None for i in range(n)]
        cols["path_2"] = [f"txt/{i}.txt" for i in range(n)]
    if split:
        cols["split"] = [("train", "val", "test")[i % 3] for i in range(n)]
    return cols


def fsl(m, dtype=np.float32):
    m = np.ascontiguousarray(np.asarray(m).astype(dtype))
    return pa.FixedSizeListArray.from_arrays(pa.array(m.reshape(-1)), m.shape[1])


def meta_json(class_names=True, **extra):
    m = {"format_version": 1, "run_name": "fuzz", "modality_names": ["image", "text"]}
    if class_names:
        m["class_names"] = CLASS_NAMES
    m.update(extra)
    return json.dumps(m)


def table_of(cols, meta=None, dtypes=None, dict_cols=(), types=None):
    """cols → pa.Table; matrices as FixedSizeList (dtype per column), dict_cols dictionary-encoded."""
    dtypes = dtypes or {}
    types = types or {}
    arrays = {}
    for k, v in cols.items():
        if isinstance(v, pa.Array):
            arrays[k] = v
        elif isinstance(v, np.ndarray) and v.ndim == 2:
            arrays[k] = fsl(v, dtypes.get(k, np.float32))
        elif k in types:
            arrays[k] = pa.array(v.tolist() if isinstance(v, np.ndarray) else v, type=types[k])
        elif k in ("path_1", "path_2", "split", "sample_id") and isinstance(v, list):
            arrays[k] = pa.array(v, type=pa.string())
        else:
            arrays[k] = pa.array(v)
        if k in dict_cols:
            arrays[k] = arrays[k].dictionary_encode()
    t = pa.table(arrays)
    if meta is not None:
        t = t.replace_schema_metadata({"lsmi": meta} if isinstance(meta, (str, bytes)) else meta)
    return t


def ipc_bytes(table, fmt="file", compression=None, chunk=None):
    sink = pa.BufferOutputStream()
    opts = ipc.IpcWriteOptions(compression=compression)
    w = ipc.new_file(sink, table.schema, options=opts) if fmt == "file" else ipc.new_stream(sink, table.schema, options=opts)
    w.write_table(table, max_chunksize=chunk)
    w.close()
    return sink.getvalue().to_pybytes()


def npz_bytes(cols, compressed=False):
    arrays = {}
    for k, v in cols.items():
        if isinstance(v, list):
            v = np.asarray(["" if x is None else x for x in v])
        arrays[k] = v
    buf = __import__("io").BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# seeds: small valid files

def make_seeds(d, results_seed):
    g = np.random.default_rng(20250712)
    seeds = {}

    def put(name, data, kind="run", sidecar=None, ext=".arrow"):
        path = os.path.join(d, name + ext)
        with open(path, "wb") as f:
            f.write(data)
        if sidecar is not None:
            with open(os.path.join(d, name + ".json"), "w") as f:
                f.write(sidecar)
        seeds[name] = {"file": path, "kind": kind, "ext": ext, "sidecar": sidecar, "container": "npz" if ext == ".npz" else "ipc"}

    cols = base_cols(g)
    put("file-plain", ipc_bytes(table_of(cols, meta_json()), "file", None, 10))
    cols = base_cols(g, logits=("12",))
    put("file-lz4", ipc_bytes(table_of(cols, meta_json(class_names=False), dtypes={"emb_1": np.float16, "emb_2": np.float64}, dict_cols=("split",)), "file", "lz4", 8))
    cols = base_cols(g, int_ids=True, logits=())
    put("file-zstd", ipc_bytes(table_of(cols, meta_json(), dict_cols=("path_1",)), "file", "zstd"))
    cols = base_cols(g)
    put("stream-plain", ipc_bytes(table_of(cols, meta_json()), "stream", None, 12))
    cols = base_cols(g, logits=("1",))
    put("stream-zstd", ipc_bytes(table_of(cols, meta_json(), dtypes={"emb_2": np.float16}, dict_cols=("split",)), "stream", "zstd", 16))
    cols = base_cols(g, logits=("1",))
    put("npz", npz_bytes(cols), sidecar=meta_json(), ext=".npz")
    cols = base_cols(g, int_ids=True, logits=("12",))
    cols["emb_1"] = cols["emb_1"].astype(np.float64)
    cols["emb_2"] = cols["emb_2"].astype(np.float16)
    put("npz-compressed", npz_bytes(cols, compressed=True), sidecar=meta_json(), ext=".npz")
    if results_seed and os.path.exists(results_seed):
        with open(results_seed, "rb") as f:
            put("results", f.read(), kind="results", ext=".lsmi.arrow")
    return seeds


def results_run(path):
    """The run the results seed is estimated on (node bin/lsmi.js estimate, by targeted.mjs)."""
    g = np.random.default_rng(99)
    n = 90
    y = np.arange(n) % C
    cols = {
        "sample_id": [f"r{i:03d}" for i in range(n)],
        "label": y.astype(np.int64),
        "emb_1": (g.standard_normal((n, 2)) + y[:, None]).astype(np.float32),
        "emb_2": (g.standard_normal((n, 2)) - y[:, None]).astype(np.float32),
        "path_1": [f"img/{i}.png" for i in range(n)],
        "split": [("train", "val", "test")[i % 3] for i in range(n)],
    }
    with open(path, "wb") as f:
        f.write(ipc_bytes(table_of(cols, meta_json()), "file"))


# ------------------------------------------------------------------------------------------------
# generic byte-level families

def interesting(point, r, size):
    v = point.value
    if point.kind == "u8":
        return r.choice([0, 1, 2, 3, 5, 16, 20, 24, 26, 27, 0x7F, 0x80, 0xFF, v ^ (1 << r.randrange(8))])
    if point.kind == "i16":
        return r.choice([0, -1, 3, 4, 0x7FFF, -0x8000, v + 1])
    if point.kind in ("i32", "u32"):
        return r.choice([0, 1, -1, -8, v + 1, v - 1, v + 8, v - 8, v * 2, v * 1000 + 7, 0x7FFFFFFF, -0x80000000, 0xFFFF, 1 << 20, size, size + 8])
    return r.choice([0, 1, -1, -8, v + 1, v - 1, v + 8, v - 8, v * 2, 2**31 - 1, 2**31, 2**32, 2**32 + 37, 2**40, 2**53 + 1, 2**62, 2**63 - 1, -(2**63), size, size + 8, size * 4])


def flip_bytes(b, r, lo, hi, k):
    for _ in range(k):
        if hi <= lo:
            return
        p = r.randrange(lo, hi)
        op = r.random()
        if op < 0.5:
            b[p] ^= 1 << r.randrange(8)
        elif op < 0.8:
            b[p] = r.randrange(256)
        else:
            b[p] = r.choice([0, 0xFF, 0x7F, 0x80])


def fam_flip(r, seed, data):
    b = bytearray(data)
    k = r.choice([1, 1, 1, 2, 3, 5, 8])
    flip_bytes(b, r, 0, len(b), k)
    return bytes(b), f"{k} random byte(s)"


def fam_flip_meta(r, seed, data):
    b = bytearray(data)
    if seed["container"] == "npz":
        ranges = Z.header_ranges(data)
    else:
        ranges = I.metadata_ranges(I.parse(data), len(data))
    k = r.choice([1, 1, 2, 3])
    for _ in range(k):
        lo, hi = r.choice(ranges)
        flip_bytes(b, r, lo, hi, 1)
    return bytes(b), f"{k} byte(s) in metadata"


def fam_truncate(r, seed, data):
    bounds = Z.boundaries(data) if seed["container"] == "npz" else I.parse(data)["boundaries"]
    at = max(0, min(len(data) - 1, r.choice(bounds) + r.choice([-1, 0, 0, 1])))
    mode = r.choice(["tail", "tail", "cut-middle", "zero-tail"])
    if mode == "tail":
        return data[:at], f"cut at byte {at} of {len(data)}"
    if mode == "zero-tail":
        keep = 10 if data[:6] == b"ARROW1" else 22 if seed["container"] == "npz" else 0
        end = len(data) - keep
        if at >= end:
            return data[:at], f"cut at byte {at} of {len(data)}"
        return data[:at] + bytes(end - at) + data[end:], f"zeroed from byte {at} (the last {keep} kept)"
    n = r.choice([1, 4, 8, 16, 64, r.randrange(1, max(2, len(data) // 4))])
    # remove n bytes at `at`, keeping the tail (the Arrow footer / zip directory stay where they are)
    return data[:at] + data[at + n:], f"{n} byte(s) removed at {at}"


MESSAGE_POINTS = {"msg.metaLength", "msg.bodyLength", "msg.headerType", "rb.length", "rb.nodes.count", "node.length",
                  "node.null_count", "rb.buffers.count", "buffer.offset", "buffer.length", "rb.codec", "dictbatch.id"}
SCHEMA_POINTS = {"schema.fields.count", "field.type_id", "fsl.listSize", "int.bitWidth", "float.precision", "dict.indexBitWidth",
                 "field.children.count", "schema.metadata.count", "schema.metadata.value.length"}


def patch_points(r, data, which, prefer=None):
    info = I.parse(data)
    pts = [p for p in info["points"] if p.what in which]
    if prefer and r.random() < 0.4:
        pref = [p for p in pts if p.what in prefer]
        pts = pref or pts
    return info, pts


def fam_patch_message(r, seed, data):
    b = bytearray(data)
    info, pts = patch_points(r, data, MESSAGE_POINTS, prefer={"rb.length", "node.length", "buffer.offset", "buffer.length"})
    p = r.choice(pts)
    if p.what in ("rb.length", "node.length") and r.random() < 0.35:
        v = r.choice([2**32 + 37, 2**31, 2**31 - 1, -1, p.value + 1, 2**40])
    else:
        v = interesting(p, r, len(data))
    I.wr(b, p.pos, p.kind, v)
    notes = [f"{p.what} {p.value} -> {v} ({p.where})"]
    if r.random() < 0.2:  # a second, independent patch
        q = r.choice(pts)
        w = interesting(q, r, len(data))
        I.wr(b, q.pos, q.kind, w)
        notes.append(f"{q.what} {q.value} -> {w} ({q.where})")
    return bytes(b), "; ".join(notes)


def fam_patch_schema(r, seed, data):
    b = bytearray(data)
    info, pts = patch_points(r, data, SCHEMA_POINTS, prefer={"field.children.count", "fsl.listSize"})
    p = r.choice(pts)
    if p.what == "field.children.count" and r.random() < 0.5:
        v = r.choice([p.value + 1, 2, 1000, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 24])
    elif p.what == "fsl.listSize" and r.random() < 0.5:
        v = r.choice([0, -1, 1, p.value + 1, p.value - 1, 2**31 - 1, 1 << 20])
    else:
        v = interesting(p, r, len(data))
    targets = [p]
    # the schema lives twice in a file (first message and footer): patch both, mostly
    twins = [q for q in info["points"] if q.what == p.what and q.where.split(" ", 2)[-1] == p.where.split(" ", 2)[-1] and q.pos != p.pos]
    if twins and r.random() < 0.7:
        targets += twins[:1]
    for q in targets:
        I.wr(b, q.pos, q.kind, v)
    return bytes(b), f"{p.what} {p.value} -> {v} ({p.where}{', both copies' if len(targets) > 1 else ''})"


def fam_footer(r, seed, data):
    info = I.parse(data)
    ft = info["footer"]
    b = bytearray(data)
    blocks = ft["batches"]
    size = len(data)
    scen = r.choice(["to-schema", "to-schema", "to-dict", "offset-oob", "offset-negative", "meta-negative", "meta-huge", "body-huge",
                     "count-inflated", "dup", "swap", "footer-length", "offset-shift", "zero", "point", "length-shift"])
    last = blocks[-1]
    schema_msg = info["messages"][0]
    w = lambda p, v: I.wr(b, p.pos, p.kind, v)  # noqa: E731
    if scen == "to-dict":
        dmsgs = [m for m in info["messages"] if m["type"] == 2]
        if not dmsgs:
            scen = "to-schema"
        else:
            m = r.choice(dmsgs)
            w(last["offset"], m["start"])
            w(last["metaDataLength"], m["body"] - m["start"])
            w(last["bodyLength"], m["bodyLen"])
            return bytes(b), "last record-batch block points at a dictionary batch"
    if scen == "to-schema":
        k = len(blocks) - 1 if r.random() < 0.7 else r.randrange(len(blocks))
        w(blocks[k]["offset"], schema_msg["start"])
        w(blocks[k]["metaDataLength"], schema_msg["body"] - schema_msg["start"])
        w(blocks[k]["bodyLength"], 0)
        return bytes(b), f"record-batch block {k} points at the schema message"
    if scen == "offset-oob":
        v = r.choice([size, size + 8, size + 4096, 2**32, 2**40, 2**62])
        w(last["offset"], v)
        return bytes(b), f"block offset -> {v} (file is {size} bytes)"
    if scen == "offset-negative":
        v = r.choice([-8, -1, -(2**63), -size])
        w(last["offset"], v)
        return bytes(b), f"block offset -> {v}"
    if scen == "meta-negative":
        v = r.choice([-1, -8, -(2**31)])
        w(last["metaDataLength"], v)
        return bytes(b), f"block metaDataLength -> {v}"
    if scen == "meta-huge":
        v = r.choice([2**31 - 1, size * 2, 1 << 24, last["metaDataLength"].value + 8])
        w(last["metaDataLength"], v)
        return bytes(b), f"block metaDataLength -> {v}"
    if scen == "body-huge":
        v = r.choice([2**40, 2**62, -1, 2**31, size * 2])
        w(last["bodyLength"], v)
        return bytes(b), f"block bodyLength -> {v}"
    if scen == "count-inflated":
        cp = [p for p in info["points"] if p.what == "footer.batches.count"][0]
        v = r.choice([cp.value + 1, cp.value + 2, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 20, 0])
        w(cp, v)
        return bytes(b), f"footer record-batch count {cp.value} -> {v}"
    if scen == "dup" and len(blocks) > 1:
        k = r.randrange(1, len(blocks))
        for f in ("offset", "metaDataLength", "bodyLength"):
            w(blocks[k][f], blocks[0][f].value)
        return bytes(b), f"block {k} is a copy of block 0"
    if scen == "swap" and len(blocks) > 1:
        for f in ("offset", "metaDataLength", "bodyLength"):
            w(blocks[0][f], blocks[-1][f].value)
            w(blocks[-1][f], blocks[0][f].value)
        return bytes(b), "first and last blocks swapped"
    if scen == "footer-length":
        p = [p for p in info["points"] if p.what == "footer.length"][0]
        v = r.choice([0, -1, size, size - 9, p.value + 8, p.value - 8, 2**31 - 1, 4])
        w(p, v)
        return bytes(b), f"footer length {p.value} -> {v}"
    if scen == "offset-shift":
        d = r.choice([-8, -4, -1, 1, 4, 8, 16])
        w(last["offset"], last["offset"].value + d)
        return bytes(b), f"block offset shifted by {d}"
    if scen == "length-shift":
        # a block's metadata or body length off by a few bytes: pyarrow refuses both ("Message
        # metadata too long by 8 bytes"; "advertised body size is …, but message decoder expects …")
        k = r.randrange(len(blocks))
        f = r.choice(["metaDataLength", "metaDataLength", "bodyLength"])
        d = r.choice([8, 8, -8, 16])
        w(blocks[k][f], blocks[k][f].value + d)
        return bytes(b), f"block {k} {f} shifted by {d}"
    if scen == "zero":
        for f in ("offset", "metaDataLength", "bodyLength"):
            w(last[f], 0)
        return bytes(b), "last block zeroed"
    fpts = [p for p in info["points"] if p.where.startswith("footer") and p.what.startswith(("block.", "footer."))]
    p = r.choice(fpts)
    v = interesting(p, r, size)
    w(p, v)
    return bytes(b), f"{p.what} {p.value} -> {v} ({p.where})"


# ------------------------------------------------------------------------------------------------
# semantic breakage (runs built by pyarrow, some patched after writing)

def utf8_with(values, bad_row, bad_bytes):
    """A utf8 array whose row bad_row holds raw (possibly invalid) bytes."""
    enc = [v.encode("utf8") for v in values]
    enc[bad_row] = bad_bytes
    offs = np.cumsum([0] + [len(x) for x in enc]).astype(np.int32)
    return pa.Array.from_buffers(pa.utf8(), len(enc), [None, pa.py_buffer(offs.tobytes()), pa.py_buffer(b"".join(enc))])


def container(r, table):
    fmt = r.choice(["file", "file", "stream"])
    comp = r.choice([None, None, "lz4", "zstd"])
    return ipc_bytes(table, fmt, comp, r.choice([None, 7, 10])), f"{fmt}/{comp or 'plain'}"


def node_layout(schema):
    """Per leaf in record-batch order: (path, node index, first buffer index, buffer count)."""
    out = []
    state = {"node": 0, "buf": 0}

    def nbuf(t):
        if pa.types.is_dictionary(t):
            return 2
        if pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t):
            return 3
        if pa.types.is_fixed_size_list(t) or pa.types.is_struct(t):
            return 1
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return 2
        return 2

    def walk(f, path):
        k = nbuf(f.type)
        out.append((path, state["node"], state["buf"], k))
        state["node"] += 1
        state["buf"] += k
        if pa.types.is_fixed_size_list(f.type) or pa.types.is_list(f.type):
            walk(f.type.value_field, path + ".item")

    for f in schema:
        walk(f, f.name)
    return out


def patch_batch_field(data, schema, path, node_len=None, buf_len_delta=None, null_count=None):
    """Patches, in every record batch, the field node and/or last buffer length of `path`."""
    info = I.parse(data)
    lay = {p: (n, bi, k) for p, n, bi, k in node_layout(schema)}
    n_idx, b_idx, k = lay[path]
    b = bytearray(data)
    rbs = [m for m in info["messages"] if m["type"] == 3]
    for m in rbs:
        nodes = [p for p in info["points"] if p.what == "node.length" and p.pos >= m["meta"] and p.pos < m["body"]]
        nulls = [p for p in info["points"] if p.what == "node.null_count" and p.pos >= m["meta"] and p.pos < m["body"]]
        bufl = [p for p in info["points"] if p.what == "buffer.length" and p.pos >= m["meta"] and p.pos < m["body"]]
        if node_len is not None:
            I.wr(b, nodes[n_idx].pos, "i64", node_len(nodes[n_idx].value))
        if null_count is not None:
            I.wr(b, nulls[n_idx].pos, "i64", null_count)
        if buf_len_delta is not None:
            p = bufl[b_idx + k - 1]
            I.wr(b, p.pos, "i64", max(0, p.value + buf_len_delta(p.value)))
    return bytes(b)


SEMANTIC = []


def semantic(fn):
    SEMANTIC.append(fn)
    return fn


@semantic
def utf8_above_10ffff(r, g):
    cols = base_cols(g)
    col = r.choice(["sample_id", "sample_id", "path_1", "split"])
    vals = [v if v is not None else "" for v in cols[col]]
    row = r.randrange(N)
    bad = r.choice([b"\xf4\x90\x80\x80", b"\xf7\xbf\xbf\xbf", b"x\xf5\x80\x80\x80"])
    cols[col] = utf8_with(vals, row, bad)
    data, how = container(r, table_of(cols, meta_json()))
    return data, f"{col} row {row}: code point above U+10FFFF ({bad.hex()}), {how}"


@semantic
def utf8_invalid(r, g):
    cols = base_cols(g)
    col = r.choice(["sample_id", "sample_id", "path_2"])
    row = r.randrange(N)
    bad = r.choice([b"\xff", b"id\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80abc", b"s00\xe2\x82"])
    cols[col] = utf8_with(list(cols[col]), row, bad)
    data, how = container(r, table_of(cols, meta_json()))
    return data, f"{col} row {row}: invalid UTF-8 {bad.hex()}, {how}"


@semantic
def offsets_broken(r, g):
    """Valid file, then the sample_id offsets buffer patched in the (uncompressed) body."""
    cols = base_cols(g)
    table = table_of(cols, meta_json())
    fmt = r.choice(["file", "stream"])
    data = bytearray(ipc_bytes(table, fmt, None, r.choice([None, 10])))
    info = I.parse(bytes(data))
    lay = {p: (n, bi, k) for p, n, bi, k in node_layout(table.schema)}
    _, b_idx, _ = lay["sample_id"]
    m = r.choice([m for m in info["messages"] if m["type"] == 3])
    pos, length = m["buffers"][b_idx + 1]
    count = length // 4 - 1
    offs = list(struct.unpack_from(f"<{count + 1}i", data, pos))
    how = r.choice(["decreasing", "beyond-data", "negative-first", "last-short", "huge", "last-beyond"])
    k = r.randrange(1, count + 1)
    if how == "decreasing":
        offs[k] = offs[k - 1] - 3
    elif how == "beyond-data":
        offs = offs[:k] + [o + 10_000 for o in offs[k:]]
    elif how == "negative-first":
        offs[0] = -5
    elif how == "last-short":
        offs[-1] -= 4
    elif how == "last-beyond":
        offs[-1] += 64
    else:
        offs[k] = 2**31 - 1
    struct.pack_into(f"<{count + 1}i", data, pos, *offs)
    return bytes(data), f"sample_id offsets {how} at {k}, {fmt}"


@semantic
def null_inside_embedding_row(r, g):
    cols = base_cols(g)
    col = r.choice(["emb_1", "emb_2", "logits_12"])
    m = cols[col]
    flat = [float(x) for x in m.reshape(-1)]
    at = r.randrange(len(flat))
    flat[at] = None
    child = pa.array(flat, type=pa.float32())
    cols[col] = pa.FixedSizeListArray.from_arrays(child, m.shape[1])
    data, how = container(r, table_of(cols, meta_json()))
    return data, f"{col}: null value inside row {at // m.shape[1]}, {how}"


@semantic
def null_embedding_row(r, g):
    cols = base_cols(g)
    col = r.choice(["emb_1", "emb_2", "label", "split"])
    row = r.randrange(N)
    if col.startswith("emb"):
        m = cols[col]
        rows = [list(map(float, x)) for x in m]
        rows[row] = None
        cols[col] = pa.array(rows, type=pa.list_(pa.float32(), m.shape[1]))
    elif col == "label":
        v = cols[col].tolist()
        v[row] = None
        cols[col] = pa.array(v, type=pa.int64())
    else:
        cols[col] = [None if i == row else x for i, x in enumerate(cols[col])]
    data, how = container(r, table_of(cols, meta_json()))
    return data, f"{col}: null at row {row}, {how}"


@semantic
def fsl_child_too_short(r, g):
    cols = base_cols(g)
    col = r.choice(["emb_1", "emb_2", "logits_1"])
    table = table_of(cols, meta_json())
    fmt = r.choice(["file", "stream"])
    data = ipc_bytes(table, fmt, None, r.choice([None, 10]))
    d = cols[col].shape[1]
    cut = r.choice([1, d - 1 if d > 1 else 1, d + 1, 3])
    data = patch_batch_field(data, table.schema, col + ".item", node_len=lambda v: max(0, v - cut), buf_len_delta=lambda v: -4 * cut)
    return data, f"{col}: FixedSizeList child {cut} value(s) short of rows × {d}, {fmt}"


@semantic
def null_count_lies(r, g):
    cols = base_cols(g)
    # path_1 has nulls (a validity bitmap with 5 of 24 rows null): a count that disagrees with its
    # bitmap is refused by pyarrow's full validation; 0 drops the bitmap (pyarrow and apache-arrow alike)
    col = r.choice(["label", "emb_1", "sample_id", "path_1", "path_1"])
    table = table_of(cols, meta_json())
    data = ipc_bytes(table, r.choice(["file", "stream"]), r.choice([None, None, "zstd"]))
    if col == "path_1":
        v = r.choice([0, 1, 4, 6, N])
        return patch_batch_field(data, table.schema, col, null_count=v), f"{col}: node null_count 5 -> {v} against its validity bitmap"
    v = r.choice([1, 3, N, N + 5, -1])
    data = patch_batch_field(data, table.schema, col, null_count=v)
    return data, f"{col}: node null_count -> {v} with no validity bitmap"


@semantic
def dictionary_index_out_of_range(r, g):
    cols = base_cols(g)
    col = r.choice(["split", "split", "sample_id", "path_1"])
    vals = [v if v is not None else "x" for v in cols[col]]
    uniq = sorted(set(vals))
    idx = [uniq.index(v) for v in vals]
    row = r.randrange(N)
    bad = r.choice([len(uniq), len(uniq) + 5, 127, -1])
    idx[row] = bad
    arr = pa.DictionaryArray.from_arrays(pa.array(idx, type=pa.int8()), pa.array(uniq), safe=False)
    cols[col] = arr
    data, how = container(r, table_of(cols, meta_json()))
    return data, f"{col} row {row}: dictionary index {bad} of {len(uniq)}, {how}"


@semantic
def int64_ids_above_2_53(r, g):
    cols = base_cols(g)
    how = r.choice(["2^53+k", "2^53+k", "near-2^63", "uint64-max", "negative"])
    if how == "2^53+k":
        ids = pa.array([2**53 + i for i in range(N)], type=pa.int64())
    elif how == "near-2^63":
        ids = pa.array([2**63 - 1 - i for i in range(N)], type=pa.int64())
    elif how == "uint64-max":
        ids = pa.array([2**64 - 1 - i for i in range(N)], type=pa.uint64())
    else:
        ids = pa.array([-(2**63) + i for i in range(N)], type=pa.int64())
    cols["sample_id"] = ids
    data, c = container(r, table_of(cols, meta_json()))
    return data, f"integer sample ids {how}, {c}"


@semantic
def extreme_label(r, g):
    v = r.choice([2**31 - 1, 2**31, 50_000_000, -1, -(2**63), 2**63 - 1, 2**32])
    where = r.choice(["implied", "implied", "class-names", "logits"])
    cols = base_cols(g, logits=("1",) if where == "logits" else ())
    labels = cols["label"].tolist()
    row = r.randrange(N)
    labels[row] = v
    cols["label"] = pa.array(labels, type=pa.int64())
    data, c = container(r, table_of(cols, meta_json(class_names=(where == "class-names"))))
    return data, f"label {v} at row {row} (classes: {where}), {c}"


@semantic
def extreme_label_uint(r, g):
    cols = base_cols(g, logits=())
    labels = cols["label"].tolist()
    labels[r.randrange(N)] = r.choice([2**64 - 1, 2**32 - 1, 2**31])
    t = r.choice([pa.uint64(), pa.uint32()])
    labels = [min(x, 2**32 - 1) if t == pa.uint32() else x for x in labels]
    cols["label"] = pa.array(labels, type=t)
    data, c = container(r, table_of(cols, meta_json(class_names=False)))
    return data, f"{t} label {max(labels)}, {c}"


@semantic
def non_finite(r, g):
    cols = base_cols(g)
    col = r.choice(["emb_1", "emb_2", "logits_2"])
    dt = r.choice([np.float32, np.float64, np.float16])
    m = cols[col].astype(np.float64)
    row = r.randrange(N)
    m[row, 0] = r.choice([np.nan, np.inf, -np.inf, 1e300, 7e4])
    data, c = container(r, table_of(cols | {col: m}, meta_json(), dtypes={col: dt}))
    return data, f"{col} ({np.dtype(dt).name}) row {row}: {m[row, 0]}, {c}"


@semantic
def duplicate_ids(r, g):
    cols = base_cols(g)
    a, b = r.sample(range(N), 2)
    cols["sample_id"][b] = cols["sample_id"][a]
    data, c = container(r, table_of(cols, meta_json()))
    return data, f"sample_id rows {a} and {b} equal, {c}"


@semantic
def bad_split(r, g):
    cols = base_cols(g)
    row = r.randrange(N)
    cols["split"][row] = r.choice(["dev", "", "TRAIN", "train "])
    data, c = container(r, table_of(cols, meta_json(), dict_cols=("split",) if r.random() < 0.5 else ()))
    return data, f"split row {row}: {cols['split'][row]!r}, {c}"


@semantic
def wrong_types(r, g):
    cols = base_cols(g)
    how = r.choice(["label-float", "emb-list", "emb-int", "ids-float", "ids-string-view", "emb-large-list", "label-bool", "missing-emb_2"])
    if how == "label-float":
        cols["label"] = cols["label"].astype(np.float64)
    elif how == "emb-list":
        cols["emb_1"] = pa.array([list(map(float, x)) for x in cols["emb_1"]], type=pa.list_(pa.float32()))
    elif how == "emb-large-list":
        cols["emb_1"] = pa.array([list(map(float, x)) for x in cols["emb_1"]], type=pa.large_list(pa.float32()))
    elif how == "emb-int":
        cols["emb_2"] = pa.FixedSizeListArray.from_arrays(pa.array(np.arange(N * D2, dtype=np.int32)), D2)
    elif how == "ids-float":
        cols["sample_id"] = np.arange(N, dtype=np.float64)
    elif how == "ids-string-view":
        cols["sample_id"] = pa.array(cols["sample_id"], type=pa.string_view())
    elif how == "label-bool":
        cols["label"] = pa.array([bool(x % 2) for x in range(N)])
    else:
        del cols["emb_2"]
    data, c = container(r, table_of(cols, meta_json()))
    return data, f"{how}, {c}"


@semantic
def legit_variants(r, g):
    """Valid but unusual: must be accepted exactly."""
    how = r.choice(["int8-labels", "uint16-labels", "large-string-ids", "wide-emb", "ids-odd-chars", "many-class-names", "one-row", "float64-logits"])
    cols = base_cols(g)
    meta = meta_json()
    types = {}
    if how == "int8-labels":
        types["label"] = pa.int8()
    elif how == "uint16-labels":
        types["label"] = pa.uint16()
    elif how == "large-string-ids":
        types["sample_id"] = pa.large_string()
    elif how == "wide-emb":
        cols["emb_1"] = g.standard_normal((N, 2048)).astype(np.float32)
    elif how == "ids-odd-chars":
        cols["sample_id"] = [f"=cmd|{i}\x00\n\t🙂" for i in range(N)]
    elif how == "many-class-names":
        cols = base_cols(g, logits=())
        meta = json.dumps({"class_names": [f"c{i}" for i in range(100_000)]})
    elif how == "one-row":
        cols = {k: (v[:1] if not isinstance(v, list) else v[:1]) for k, v in cols.items()}
        cols["label"] = np.array([0], dtype=np.int64)
    else:
        cols["logits_12"] = cols["logits_12"].astype(np.float64)
        data, c = container(r, table_of(cols, meta, dtypes={"logits_12": np.float64}))
        return data, f"{how}, {c}"
    data, c = container(r, table_of(cols, meta, types=types))
    return data, f"{how}, {c}"


@semantic
def broken_metadata(r, g):
    cols = base_cols(g)
    how = r.choice(["invalid-json", "nan-json", "class-names-ints", "invalid-utf8", "array", "prior-length", "names-vs-width", "format-2", "bom"])
    meta = {
        "invalid-json": '{"class_names": ["a", "b",',
        "nan-json": '{"label_prior": [NaN, 0.5, 0.5]}',
        "class-names-ints": '{"class_names": [1, 2, 3]}',
        "invalid-utf8": b'{"class_names": ["a", "\xff\xfe", "c"]}',
        "array": "[1, 2, 3]",
        "prior-length": '{"label_prior": [0.5, 0.5]}',
        "names-vs-width": '{"class_names": ["a", "b"]}',
        "format-2": '{"format_version": 2}',
        "bom": "\ufeff{}",
    }[how]
    t = table_of(cols)
    t = t.replace_schema_metadata({b"lsmi": meta if isinstance(meta, bytes) else meta.encode("utf8")})
    data, c = container(r, t)
    return data, f"lsmi metadata {how}, {c}"


@semantic
def empty_table(r, g):
    cols = base_cols(g)
    t = table_of(cols, meta_json()).slice(0, 0)
    data, c = container(r, t)
    return data, f"0 rows, {c}"


# ------------------------------------------------------------------------------------------------
# npz / zip damage

NPZ = []


def npz_variant(fn):
    NPZ.append(fn)
    return fn


def npz_entries(cols, compressed=False, overrides=None, order=None):
    overrides = overrides or {}
    out = []
    names = order or list(cols)
    for k in names:
        v = cols[k]
        if isinstance(v, list):
            v = np.asarray(["" if x is None else x for x in v])
        e = {"name": k + ".npy", "data": overrides.get(k, Z.npy_bytes(v) if not isinstance(v, bytes) else v), "method": 8 if compressed else 0}
        out.append(e)
    return out


def npz_cols(g, **kw):
    cols = base_cols(g, logits=("1",), **kw)
    return cols


@npz_variant
def npz_short(r, g, ctx):
    data = r.choice([b"P", b"PK", b"PK\x03", b"PK\x03\x04"[:3], b"\x00", b"PK\x05"])
    return data, f"{len(data)} byte(s)", None


@npz_variant
def npz_negative_shape(r, g, ctx):
    cols = npz_cols(g)
    col = r.choice(["emb_1", "label", "sample_id"])
    a = np.asarray(cols[col]) if not isinstance(cols[col], list) else np.asarray(cols[col])
    shape = "(-%d, %d)" % a.shape if a.ndim == 2 else "(-%d,)" % a.shape[0]
    if a.ndim == 2 and r.random() < 0.5:
        shape = "(%d, -%d)" % a.shape
    raw = Z.npy_with_header(a, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (np.lib.format.dtype_to_descr(a.dtype), shape))
    return Z.write_zip(npz_entries(cols, overrides={col: raw})), f"{col} shape {shape}", meta_json()


@npz_variant
def npz_nan_shape(r, g, ctx):
    cols = npz_cols(g)
    col = r.choice(["emb_1", "emb_2", "label"])
    a = np.asarray(cols[col])
    tok = r.choice(["nan", "inf", "1e30", "1.5", "None", "0x10"])
    shape = f"({tok}, {a.shape[1]})" if a.ndim == 2 else f"({tok},)"
    raw = Z.npy_with_header(a, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (np.lib.format.dtype_to_descr(a.dtype), shape))
    return Z.write_zip(npz_entries(cols, overrides={col: raw})), f"{col} shape {shape}", meta_json()


@npz_variant
def npz_huge_shape(r, g, ctx):
    cols = npz_cols(g)
    a = cols["emb_1"]
    shape = r.choice(["(1099511627776, 4)", "(24, 2147483648)", "(4294967296, 4294967296)", "(25, 4)", "(23, 4)", "(24, 5)", "(24, 4, 1)"])
    raw = Z.npy_with_header(a, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape)
    return Z.write_zip(npz_entries(cols, overrides={"emb_1": raw})), f"emb_1 shape {shape} over 24×4 values", meta_json()


@npz_variant
def npz_crc_mismatch(r, g, ctx):
    cols = npz_cols(g)
    ents = npz_entries(cols)
    col = r.choice(["emb_1", "emb_2", "label", "sample_id"])
    for e in ents:
        if e["name"] == col + ".npy":
            good = e["data"]
            e["crc"] = zlib.crc32(good) & 0xFFFFFFFF
            b = bytearray(good)
            p = r.randrange(128, len(b))
            b[p] ^= 1 << r.randrange(8)
            e["data"] = bytes(b)  # data changed after its CRC was taken
    return Z.write_zip(ents), f"{col}: a data byte flipped, CRC-32 not updated", meta_json()


@npz_variant
def npz_extra_ffff(r, g, ctx):
    data = bytearray(open(ctx["seeds"]["npz"]["file"], "rb").read())
    z = Z.parse_zip(bytes(data))
    e = r.choice(z["entries"])
    v = r.choice([0xFFFF, 0xFFFF, 0x8000, e["xlen"] + 7])
    struct.pack_into("<H", data, e["central"] + 30, v)
    return bytes(data), f"central entry {e['name']}: extra-field length -> {v:#x}", meta_json()


@npz_variant
def npz_zip64_dir_huge(r, g, ctx):
    cols = npz_cols(g)
    size = r.choice([2**40, 2**40, 2**33, 2**62])
    what = r.choice(["size", "size", "offset", "count"])
    z = {what: size if what != "count" else r.choice([2**32, 2**40, 0xFFFFFFFF])}
    return Z.write_zip(npz_entries(cols), zip64_dir=z), f"zip64 end record {what} -> {z[what]}", meta_json()


@npz_variant
def npz_entry_4g(r, g, ctx):
    cols = npz_cols(g)
    ents = npz_entries(cols)
    e = r.choice(ents)
    v = r.choice([2**32, 2**32 + 5, 2**33, 2**40])
    field = r.choice(["csize", "usize", "both"])
    if field in ("csize", "both"):
        e["csize"] = v
    if field in ("usize", "both"):
        e["usize"] = v
    return Z.write_zip(ents), f"{e['name']}: {field} -> {v} (zip64 extra)", meta_json()


@npz_variant
def npz_local_offset(r, g, ctx):
    cols = npz_cols(g)
    ents = npz_entries(cols)
    e = r.choice(ents)
    v = r.choice([10**6, 2**31, 0xFFFFFFFE, 5, 2**40])
    e["local_offset"] = v
    return Z.write_zip(ents), f"{e['name']}: local header offset -> {v}", meta_json()


@npz_variant
def npz_count(r, g, ctx):
    cols = npz_cols(g)
    ents = npz_entries(cols)
    v = r.choice([len(ents) + 1, len(ents) + 100, 0xFFFE, 0])
    return Z.write_zip(ents, count_override=v), f"directory count {len(ents)} -> {v}", meta_json()


@npz_variant
def npz_method(r, g, ctx):
    cols = npz_cols(g)
    ents = npz_entries(cols)
    e = r.choice(ents)
    e["method"] = r.choice([99, 12, 14, 1])
    return Z.write_zip(ents), f"{e['name']}: compression method {e['method']}", meta_json()


@npz_variant
def npz_deflate_garbage(r, g, ctx):
    cols = npz_cols(g)
    ents = npz_entries(cols, compressed=True)
    e = r.choice(ents)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    stored = bytearray(c.compress(e["data"]) + c.flush())
    how = r.choice(["flip", "truncate", "random"])
    if how == "flip":
        stored[r.randrange(len(stored))] ^= 0xFF
    elif how == "truncate":
        stored = stored[: len(stored) // 2]
    else:
        stored = bytearray(r.randbytes(len(stored)))
    e["stored"] = bytes(stored)
    return Z.write_zip(ents), f"{e['name']}: deflate stream {how}", meta_json()


@npz_variant
def npz_sidecar_dir(r, g, ctx):
    data = open(ctx["seeds"]["npz"]["file"], "rb").read()
    return data, "sidecar <name>.json is a directory", "<dir>"


@npz_variant
def npz_sidecar_bad(r, g, ctx):
    data = open(ctx["seeds"]["npz"]["file"], "rb").read()
    how = r.choice(["invalid-json", "invalid-utf8", "bom", "array", "nan", "names-count", "empty"])
    side = {
        "invalid-json": '{"class_names": [',
        "invalid-utf8": b'{"class_names": ["\xff", "b", "c"]}',
        "bom": "\ufeff" + meta_json(),
        "array": "[]",
        "nan": '{"label_prior": [NaN, 0.5, 0.5]}',
        "names-count": '{"class_names": ["a"]}',
        "empty": "",
    }[how]
    return data, f"sidecar {how}", side


@npz_variant
def npz_header_broken(r, g, ctx):
    cols = npz_cols(g)
    a = cols["emb_1"]
    how = r.choice(["header-len-ffff", "v2-header-huge", "descr-complex", "descr-void", "descr-datetime", "no-shape", "fortran", "big-endian", "float16", "v3", "magic"])
    if how == "header-len-ffff":
        raw = bytearray(Z.npy_bytes(a))
        struct.pack_into("<H", raw, 8, 0xFFFF)
        raw = bytes(raw)
    elif how == "v2-header-huge":
        raw = bytearray(Z.npy_bytes(a, version=(2, 0)))
        struct.pack_into("<I", raw, 8, r.choice([2**31, 0xFFFFFFFF, 2**20]))
        raw = bytes(raw)
    elif how == "descr-complex":
        raw = Z.npy_bytes(a.astype(np.complex64))
    elif how == "descr-void":
        raw = Z.npy_with_header(a, "{'descr': '|V16', 'fortran_order': False, 'shape': (24,), }")
    elif how == "descr-datetime":
        raw = Z.npy_bytes(np.zeros(N, dtype="datetime64[s]"))
        return Z.write_zip(npz_entries(cols, overrides={"label": raw})), f"label {how}", meta_json()
    elif how == "no-shape":
        raw = Z.npy_with_header(a, "{'descr': '<f4', 'fortran_order': False, }")
    elif how == "fortran":
        raw = Z.npy_bytes(np.asfortranarray(a))
    elif how == "big-endian":
        raw = Z.npy_bytes(a.astype(">f4"))
    elif how == "float16":
        raw = Z.npy_bytes(a.astype("<f2"))
    elif how == "v3":
        raw = Z.npy_bytes(a, version=(3, 0))
    else:
        raw = b"\x93NUMPX" + Z.npy_bytes(a)[6:]
    return Z.write_zip(npz_entries(cols, overrides={"emb_1": raw})), f"emb_1 {how}", meta_json()


@npz_variant
def npz_unicode_above_10ffff(r, g, ctx):
    cols = npz_cols(g)
    col = r.choice(["sample_id", "split", "path_2"])
    a = np.asarray(["" if x is None else x for x in cols[col]])
    cps = a.view("<u4").copy().reshape(len(a), -1)
    row = r.randrange(len(a))
    cps[row, 0] = r.choice([0x110000, 0xFFFFFFFF, 0x7FFFFFFF, 0xD800])
    raw = Z.npy_with_header(cps, "{'descr': '<U%d', 'fortran_order': False, 'shape': (%d,), }" % (cps.shape[1], len(a)))
    return Z.write_zip(npz_entries(cols, overrides={col: raw})), f"{col} row {row}: code point {cps[row, 0]:#x}", meta_json()


@npz_variant
def npz_bytes_invalid_utf8(r, g, ctx):
    cols = npz_cols(g)
    ids = np.asarray([s.encode() for s in cols["sample_id"]], dtype="S8")
    row = r.randrange(N)
    ids[row] = r.choice([b"\xff\xfe", b"a\xc3\x28", b"\xed\xa0\x80x"])
    return Z.write_zip(npz_entries(cols, overrides={"sample_id": Z.npy_bytes(ids)})), f"sample_id (S8) row {row}: invalid UTF-8", meta_json()


@npz_variant
def npz_int_ids(r, g, ctx):
    cols = npz_cols(g)
    how = r.choice(["2^53+k", "uint64", "int64-min"])
    ids = {"2^53+k": np.arange(2**53, 2**53 + N, dtype=np.int64),
           "uint64": np.arange(2**64 - N, 2**64, dtype=np.uint64) if False else np.array([2**64 - 1 - i for i in range(N)], dtype=np.uint64),
           "int64-min": np.array([-(2**63) + i for i in range(N)], dtype=np.int64)}[how]
    cols["sample_id"] = ids
    return Z.write_zip(npz_entries(cols)), f"sample ids {how}", meta_json()


@npz_variant
def npz_extreme_label(r, g, ctx):
    cols = base_cols(g, logits=())
    v = r.choice([2**31 - 1, 2**31, 50_000_000, -1, 2**63 - 1])
    lab = cols["label"].copy()
    row = r.randrange(N)
    lab[row] = v
    cols["label"] = lab
    side = meta_json(class_names=r.random() < 0.25)
    return Z.write_zip(npz_entries(cols)), f"label {v} at row {row}", side


@npz_variant
def npz_shapes(r, g, ctx):
    cols = npz_cols(g)
    how = r.choice(["labels-short", "emb-3d", "emb-int", "object-ids", "emb-1d", "scalar-label", "duplicate-entry", "non-finite"])
    if how == "labels-short":
        cols["label"] = cols["label"][:-3]
    elif how == "emb-3d":
        cols["emb_1"] = cols["emb_1"].reshape(N, 2, 2)
    elif how == "emb-int":
        cols["emb_2"] = (cols["emb_2"] * 10).astype(np.int32)
    elif how == "object-ids":
        raw = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + b"{'descr': '|O', 'fortran_order': False, 'shape': (24,), }".ljust(117) + b"\n" + b"\x80\x04N."
        return Z.write_zip(npz_entries(cols, overrides={"sample_id": raw})), how, meta_json()
    elif how == "emb-1d":
        cols["emb_1"] = cols["emb_1"].reshape(-1)
    elif how == "scalar-label":
        cols["label"] = np.int64(1)
    elif how == "duplicate-entry":
        ents = npz_entries(cols)
        ents.append({"name": "emb_1.npy", "data": Z.npy_bytes(cols["emb_1"] * 2), "method": 0})
        return Z.write_zip(ents), how, meta_json()
    else:
        m = cols["emb_1"].copy()
        m[r.randrange(N), 0] = np.nan
        cols["emb_1"] = m
    return Z.write_zip(npz_entries(cols)), how, meta_json()


@npz_variant
def npz_zip_bomb(r, g, ctx):
    path = ctx["bomb"]
    return open(path, "rb").read(), f"emb_1.npy inflates from {os.path.getsize(path)} bytes to > 1 GB", meta_json()


def make_bomb(cache):
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "bomb-v1.npz")
    if not os.path.exists(path):
        g = np.random.default_rng(5)
        cols = npz_cols(g)
        rows, width = 1_100_000, 256  # 1.13 GB of float32 zeros
        ents = [Z.bomb(path, rows, width)] + [e for e in npz_entries(cols) if e["name"] != "emb_1.npy"]
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(Z.write_zip(ents))
        os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------------------------
# results files

RESULTS = []


def results_variant(fn):
    RESULTS.append(fn)
    return fn


def results_table(ctx):
    data = open(ctx["seeds"]["results"]["file"], "rb").read()
    t = ipc.open_file(pa.BufferReader(data)).read_all()
    return t


def results_write(r, t):
    return ipc_bytes(t, r.choice(["file", "file", "stream"]), r.choice([None, None, "lz4"]))


def set_col(t, name, arr):
    i = t.schema.get_field_index(name)
    return t.set_column(i, pa.field(name, arr.type, True), arr)


@results_variant
def results_meta(r, g, ctx):
    t = results_table(ctx)
    meta = json.loads(t.schema.metadata[b"lsmi_results"])
    how = r.choice(["missing", "invalid-json", "array", "format-99", "format-string", "invalid-utf8", "no-run", "no-perClass", "no-dataset", "run-classNames-short", "nClasses-huge", "heads-null"])
    if how == "missing":
        new = None
    elif how == "invalid-json":
        new = b'{"formatVersion": 2, '
    elif how == "array":
        new = b"[]"
    elif how == "format-99":
        new = json.dumps(meta | {"formatVersion": 99}).encode()
    elif how == "format-string":
        new = json.dumps(meta | {"formatVersion": "2"}).encode()
    elif how == "invalid-utf8":
        new = json.dumps(meta).replace('"cat"', '"c\\u0061t"').encode().replace(b"c\\u0061t", b"c\xff\xfet")
    elif how == "no-run":
        new = json.dumps({k: v for k, v in meta.items() if k != "run"}).encode()
    elif how == "no-perClass":
        new = json.dumps({k: v for k, v in meta.items() if k != "perClass"}).encode()
    elif how == "no-dataset":
        new = json.dumps({k: v for k, v in meta.items() if k != "dataset"}).encode()
    elif how == "run-classNames-short":
        m = json.loads(json.dumps(meta))
        m["run"]["classNames"] = m["run"]["classNames"][:1]
        new = json.dumps(m).encode()
    elif how == "nClasses-huge":
        m = json.loads(json.dumps(meta))
        m["run"]["nClasses"] = 2**31 - 1
        new = json.dumps(m).encode()
    else:
        new = json.dumps(meta | {"heads": None}).encode()
    t = t.replace_schema_metadata({} if new is None else {b"lsmi_results": new})
    return results_write(r, t), f"lsmi_results {how}"


@results_variant
def results_columns(r, g, ctx):
    t = results_table(ctx)
    n = t.num_rows
    how = r.choice(["split-bad", "split-null", "label-2^31", "label-negative", "label-ge-classes", "r-null", "r-float32", "ids-int", "ids-dup",
                    "h2-missing", "sd-partial", "split-dict-oob", "ids-invalid-utf8", "ids-above-10ffff", "label-float"])
    if how == "split-bad":
        v = t.column("split").to_pylist()
        v[r.randrange(n)] = "dev"
        t = set_col(t, "split", pa.array(v))
    elif how == "split-null":
        v = t.column("split").to_pylist()
        v[r.randrange(n)] = None
        t = set_col(t, "split", pa.array(v))
    elif how in ("label-2^31", "label-negative", "label-ge-classes"):
        v = t.column("label").to_pylist()
        v[r.randrange(n)] = {"label-2^31": 2**31, "label-negative": -1, "label-ge-classes": 7}[how]
        t = set_col(t, "label", pa.array(v, type=pa.int64()))
    elif how == "r-null":
        v = t.column("r").to_pylist()
        v[r.randrange(n)] = None
        t = set_col(t, "r", pa.array(v, type=pa.float64()))
    elif how == "r-float32":
        t = set_col(t, "r", pa.array(t.column("r").to_numpy().astype(np.float32)))
    elif how == "ids-int":
        t = set_col(t, "sample_id", pa.array(np.arange(n, dtype=np.int64)))
    elif how == "ids-dup":
        v = t.column("sample_id").to_pylist()
        v[1] = v[0]
        t = set_col(t, "sample_id", pa.array(v))
    elif how == "h2-missing":
        t = t.drop_columns(["h2"])
    elif how == "sd-partial":
        t = t.append_column("r_sd", pa.array(np.zeros(n)))
    elif how == "split-dict-oob":
        idx = [["train", "val", "test"].index(s) for s in t.column("split").to_pylist()]
        idx[r.randrange(n)] = 9
        t = set_col(t, "split", pa.DictionaryArray.from_arrays(pa.array(idx, type=pa.int8()), pa.array(["train", "val", "test"]), safe=False))
    elif how in ("ids-invalid-utf8", "ids-above-10ffff"):
        v = t.column("sample_id").to_pylist()
        t = set_col(t, "sample_id", utf8_with(v, r.randrange(n), b"\xff\xfe" if how == "ids-invalid-utf8" else b"\xf4\x90\x80\x80"))
    else:
        t = set_col(t, "label", pa.array(t.column("label").to_numpy().astype(np.float64)))
    return results_write(r, t), how


# ------------------------------------------------------------------------------------------------

GENERIC = {"flip": fam_flip, "flip-meta": fam_flip_meta, "truncate": fam_truncate, "patch-message": fam_patch_message,
           "patch-schema": fam_patch_schema, "footer": fam_footer}


def deal(families, start, count):
    """Case k (0-based) → (family, per-family index): weighted round robin, stable as count grows."""
    wheel = []
    for f in families:
        wheel += [f] * FAMILIES[f]
    # interleave: one slot of each family per turn, heavier families get more turns
    order = []
    turns = max(FAMILIES[f] for f in families)
    for t in range(turns):
        for f in families:
            if FAMILIES[f] > t:
                order.append(f)
    seen = {f: 0 for f in families}
    out = []
    k = 0
    while len(out) < start + count:
        f = order[k % len(order)]
        out.append((f, seen[f]))
        seen[f] += 1
        k += 1
    return out[start:]


def generate_case(family, seed, index, seeds, ctx):
    name = f"{family}/{seed}/{index}"
    r = case_rng(name)
    g = np_rng(r)
    side = None
    kind = "run"
    ext = ".arrow"
    if family in GENERIC:
        pool = [s for s in seeds if family in ("flip", "flip-meta", "truncate") or seeds[s]["container"] == "ipc"]
        if family == "footer":
            pool = [s for s in pool if s.startswith("file-") or s == "results"]
        sname = r.choice(pool)
        s = seeds[sname]
        data = open(s["file"], "rb").read()
        data, note = GENERIC[family](r, s, data)
        kind, ext, side = s["kind"], s["ext"], s["sidecar"]
        variant = sname
    elif family == "semantic":
        fn = SEMANTIC[index % len(SEMANTIC)]
        data, note = fn(r, g)
        variant = fn.__name__
    elif family == "npz":
        fn = NPZ[index % len(NPZ)]
        data, note, side = fn(r, g, ctx)
        variant = fn.__name__
        ext = ".npz"
    elif family == "results":
        if "results" not in seeds:
            return None
        fn = RESULTS[index % len(RESULTS)]
        if r.random() < 0.3:  # generic damage on the results seed, besides the crafted variants
            fam = r.choice(list(GENERIC))
            s = seeds["results"]
            data, note = GENERIC[fam](r, s, open(s["file"], "rb").read())
            variant = f"{fam}"
        else:
            data, note = fn(r, g, ctx)
            variant = fn.__name__
        kind, ext = "results", ".lsmi.arrow"
    else:
        raise SystemExit(f"unknown family {family}")
    return {"name": name, "family": family, "seed": seed, "index": index, "variant": variant, "note": note, "kind": kind, "ext": ext, "data": data, "sidecar": side}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--results-seed", default=None)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--results-run", default=None)
    a = ap.parse_args()
    if a.results_run:
        results_run(a.results_run)
        return
    families = [f for f in a.families.split(",") if f]
    for f in families:
        if f not in FAMILIES:
            raise SystemExit(f"unknown family '{f}'; families: {', '.join(FAMILIES)}")
    os.makedirs(a.out, exist_ok=True)
    seed_dir = os.path.join(a.out, "seeds")
    os.makedirs(seed_dir, exist_ok=True)
    seeds = make_seeds(seed_dir, a.results_seed)
    for s in seeds.values():  # the seeds themselves are valid: a check of the oracle and the generator
        v = oracle.verdict(s["file"], s["kind"])
        if v["status"] != "accepted" or v["problems"]:
            raise SystemExit(f"seed {s['file']} is not valid: {v}")
    ctx = {"seeds": seeds, "bomb": make_bomb(a.cache or os.path.join(a.out, "cache")) if "npz" in families else None}
    if a.only:
        wanted = []
        for nm in a.only.split(","):
            fam, sd, ix = nm.split("/")
            wanted.append((fam, int(sd), int(ix)))
    else:
        wanted = [(f, a.seed, i) for f, i in deal(families, a.start, a.cases)]
    cases = []
    for fam, sd, ix in wanted:
        c = generate_case(fam, sd, ix, seeds, ctx)
        if c is None:
            continue
        d = os.path.join(a.out, "cases", fam)
        os.makedirs(d, exist_ok=True)
        base = os.path.join(d, f"{sd}-{ix}")
        path = base + c["ext"]
        with open(path, "wb") as f:
            f.write(c["data"])
        side = base + ".json"
        if c["sidecar"] == "<dir>":
            os.makedirs(side, exist_ok=True)
        elif c["sidecar"] is not None and c["ext"] == ".npz":
            with open(side, "wb") as f:
                f.write(c["sidecar"] if isinstance(c["sidecar"], bytes) else c["sidecar"].encode("utf8"))
        try:
            verdict = oracle.verdict(path, c["kind"])
        except Exception as e:  # noqa: BLE001 - an oracle bug must not stop the batch
            verdict = {"status": "oracle-error", "reason": f"{type(e).__name__}: {e}"}
        del c["data"]
        c["sidecar"] = side if c["sidecar"] is not None and c["ext"] == ".npz" else None
        c["file"] = path
        c["bytes"] = os.path.getsize(path)
        c["verdict"] = verdict
        cases.append(c)
    with open(os.path.join(a.out, "cases.json"), "w") as f:
        json.dump(cases, f)
    print(f"generated {len(cases)} cases in {a.out}")


if __name__ == "__main__":
    np.seterr(all="ignore")  # the generator makes overflows and NaNs on purpose
    import warnings

    warnings.simplefilter("ignore")
    main()
