"""The targeted fuzz suite's verdict (scripts/fuzz/targeted.mjs): what pyarrow / numpy make of a file,
and what the run format's rules and the reader's limits (docs/run-format.md) then say about it.

verdict(path, kind) returns a JSON-able dict:
  {"status": "rejected", "reason": "..."}                    pyarrow / numpy / zipfile refuse the file
  {"status": "accepted", "problems": [...], "hashes": {...}, "facts": {...}}
problems: the run-format rules (docs/run-format.md, src/engine/io/validate.ts) and the reader's
limits (docs/run-format.md#limits) that the file breaks, as {"code": ..., "what": ...}; LSMI must answer
any of them with a clean LsmiInputError. With no problems, LSMI must either give a clean error or
accept the file with exactly these values (hashes: the canonical encoding of reader-child.cjs).
"""
import hashlib
import io
import json
import math
import os
import re
import struct
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

SPLITS = ["train", "val", "test"]
STANDARD = ["sample_id", "label", "emb_1", "emb_2", "logits_1", "logits_2", "logits_12", "path_1", "path_2", "split"]
REQUIRED = ["sample_id", "label", "emb_1", "emb_2"]
MATRIX = ["emb_1", "emb_2", "logits_1", "logits_2", "logits_12"]
RESULT_COLUMNS = ["r", "u1", "u2", "s", "r_raw", "u1_raw", "u2_raw", "s_raw", "i1", "i2", "i12", "h1", "h2"]
STABILITY_COLUMNS = ["r_sd", "u1_sd", "u2_sd", "s_sd"]
RESULTS_FORMAT_VERSION = 2
# docs/run-format.md#limits: at most 100,000 classes (labels, logits' width and class names alike)
MAX_CLASSES = 100_000
# docs/run-format.md#limits: npz entries inflate together to at most 1 GiB or 100 × the file's size,
# whichever is larger (zip bombs); one entry to at most 4 GiB
MAX_INFLATE = 1024**3
MAX_INFLATE_PER_FILE_BYTE = 100


class Rejected(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# canonical hashes (the same bytes as scripts/fuzz/reader-child.cjs)

_SURROGATE = re.compile("[\ud800-\udfff]")


def hash_strings(values):
    h = hashlib.sha256()
    for v in values:
        if v is None:
            h.update(b"N")
            continue
        # a lone surrogate (JSON "\\ud800") becomes U+FFFD in UTF-8, as Buffer.from does in Node
        b = _SURROGATE.sub("\ufffd", v).encode("utf8")
        h.update(b"S" + struct.pack("<I", len(b)) + b)
    return h.hexdigest()


def hash_ints(values):
    return hashlib.sha256(np.asarray(values, dtype="<i8").tobytes()).hexdigest()


def hash_matrix(m):
    m = np.ascontiguousarray(m, dtype="<f4")
    return hashlib.sha256(struct.pack("<II", m.shape[0], m.shape[1]) + m.tobytes()).hexdigest()


def hash_f64(v):
    v = np.array(v, dtype="<f8")
    v[np.isnan(v)] = np.nan  # one quiet NaN, whatever the payload (as reader-child.cjs writes it)
    return hashlib.sha256(v.tobytes()).hexdigest()


# ------------------------------------------------------------------------------------------------
# columns as LSMI's readers classify them (src/engine/io/validate.ts RawColumn)

class Col:
    def __init__(self, kind, length, values=None, nulls=0, type=""):
        self.kind = kind  # strings | ints | floats | matrix | other
        self.length = length
        self.values = values
        self.nulls = nulls
        self.type = type


def _is_str_type(t):
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def arrow_col(arr, name):
    """One combined pyarrow Array → Col."""
    t = arr.type
    n = len(arr)
    if _is_str_type(t) or (pa.types.is_dictionary(t) and _is_str_type(t.value_type)):
        return Col("strings", n, arr.to_pylist(), arr.null_count, str(t))
    if pa.types.is_integer(t):
        vals = [None if v is None else int(v) for v in arr.to_pylist()]
        return Col("ints", n, vals, arr.null_count, str(t))
    if pa.types.is_floating(t):
        return Col("floats", n, np.asarray(arr.to_numpy(zero_copy_only=False), dtype="f8"), arr.null_count, str(t))
    if pa.types.is_fixed_size_list(t) and pa.types.is_floating(t.value_type):
        d = t.list_size
        child = arr.values.slice(arr.offset * d, n * d)
        nulls = arr.null_count + child.null_count  # nulls inside rows break a row as much as null rows
        vals = np.asarray(child.to_numpy(zero_copy_only=False), dtype="f8") if child.null_count == 0 else np.zeros(n * d)
        with np.errstate(over="ignore", invalid="ignore"):
            m = vals.astype("<f4").reshape(n, d) if d > 0 else np.zeros((n, 0), "<f4")
        return Col("matrix", n, m, nulls, str(t))
    return Col("other", n, None, 0, str(t))


def read_ipc(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        if data[:6] == b"ARROW1":
            table = ipc.open_file(pa.BufferReader(data)).read_all()
        else:
            table = ipc.open_stream(pa.BufferReader(data)).read_all()
        table.validate(full=True)
    except Exception as e:  # noqa: BLE001 - any refusal is the verdict
        raise Rejected(f"pyarrow: {type(e).__name__}: {e}")
    cols = {}
    for i, name in enumerate(table.schema.names):
        if name in cols:
            continue  # LSMI keys columns by name; the first wins for apache-arrow's getChild
        cols[name] = arrow_col(table.column(i).combine_chunks() if table.column(i).num_chunks != 1 else table.column(i).chunk(0), name)
    meta = table.schema.metadata or {}
    return cols, meta


def npy_col(arr, name, raw_descr):
    """A numpy array → Col, as src/engine/io/npz.ts toRawColumn does."""
    shape = arr.shape
    length = 1 if len(shape) == 0 else shape[0]
    kind = arr.dtype.kind
    if arr.dtype.hasobject:
        return Col("other", length, type="object")
    if len(shape) == 1 and kind in "US":
        if kind == "U":
            cps = arr.view("<u4" if arr.dtype.byteorder in "<=|" else ">u4") if arr.dtype.itemsize else np.zeros(0, "u4")
            if cps.size and (cps.max() > 0x10FFFF or ((cps >= 0xD800) & (cps <= 0xDFFF)).any()):
                return Col("bad-string", length, type="U with code points that are not Unicode scalar values")
            vals = [str(x) for x in arr.tolist()]
        else:
            vals = []
            for x in arr.tolist():
                x = x.split(b"\x00")[0]
                try:
                    vals.append(x.decode("utf8"))
                except UnicodeDecodeError:
                    return Col("bad-string", length, type="S with invalid UTF-8")
        # LSMI stops a string at its first NUL; numpy only strips trailing ones
        vals = [v.split("\x00")[0] for v in vals]
        return Col("strings", length, vals, 0, str(arr.dtype))
    if len(shape) == 1 and kind in "iub":
        return Col("ints", length, [int(v) for v in arr.tolist()], 0, str(arr.dtype))
    if len(shape) == 2 and kind == "f" and arr.dtype.itemsize in (2, 4, 8):
        with np.errstate(over="ignore", invalid="ignore"):
            m = np.asarray(arr, dtype="<f4")
        return Col("matrix", length, m, 0, str(arr.dtype))
    return Col("other", length, type=str(arr.dtype))


def read_npz(path):
    """The .npy entries as numpy reads them (np.load(f)[name] for each), every one CRC-checked.
    Entries that are not .npy are ignored, as LSMI ignores them."""
    try:
        zf = zipfile.ZipFile(path)
        infos = [i for i in zf.infolist() if i.filename.endswith(".npy")]
        total = sum(i.file_size for i in infos)  # before inflating anything
        cap = max(MAX_INFLATE, MAX_INFLATE_PER_FILE_BYTE * os.path.getsize(path))
        if total > cap or any(i.file_size >= 4 * 1024**3 for i in infos):
            raise Rejected(f"limit: the .npy entries inflate to {total} bytes (docs/run-format.md#limits: {cap})")
        cols = {}
        for info in infos:
            raw = zf.read(info)  # BadZipFile on a CRC-32 mismatch or a local header that disagrees
            arr = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
            cols[info.filename[:-4]] = npy_col(arr, info.filename[:-4], None)
        return cols
    except Rejected:
        raise
    except Exception as e:  # noqa: BLE001
        raise Rejected(f"numpy/zipfile: {type(e).__name__}: {e}")


# ------------------------------------------------------------------------------------------------
# the run format's rules

def _no_constants(x):
    raise ValueError(f"JSON constant {x} is not JSON")


def parse_json_text(raw):
    """bytes → object, as strictly as JSON.parse on valid UTF-8 (no NaN/Infinity). One leading
    byte-order mark is allowed (TextDecoder drops it; editors on Windows write it)."""
    text = raw.decode("utf8")  # UnicodeDecodeError: invalid UTF-8 is a problem, not U+FFFD
    if text.startswith("\ufeff"):
        text = text[1:]
    return json.loads(text, parse_constant=_no_constants)


def run_meta(meta_bytes, problems):
    meta = {"classNames": [], "labelPrior": None}
    if meta_bytes is None:
        return meta

    def bad(msg):
        problems.append({"code": "BAD_METADATA", "what": msg})

    try:
        o = parse_json_text(meta_bytes)
    except Exception as e:  # noqa: BLE001
        bad(f"metadata is not valid JSON/UTF-8: {e}")
        return meta
    if not isinstance(o, dict):
        bad("metadata is not an object")
        return meta
    fv = o.get("format_version")
    if fv is not None and (not isinstance(fv, int) or isinstance(fv, bool) or fv > 1):
        if not (isinstance(fv, float) and fv.is_integer() and fv <= 1):
            bad(f"format_version {fv!r}")
    for k in ("run_name", "architecture", "fusion", "created_by"):
        if o.get(k) is not None and not isinstance(o[k], str):
            bad(f"{k} not a string")
    for k in ("modality_names", "class_names"):
        v = o.get(k)
        if v is not None and (not isinstance(v, list) or any(not isinstance(x, str) for x in v)):
            bad(f"{k} not a list of strings")
    mn = o.get("modality_names")
    if isinstance(mn, list) and len(mn) != 2:
        bad("modality_names needs 2")
    cn = o.get("class_names")
    if isinstance(cn, list) and all(isinstance(x, str) for x in cn):
        meta["classNames"] = cn
    lp = o.get("label_prior")
    if lp is not None:
        if not isinstance(lp, list) or any(isinstance(p, bool) or not isinstance(p, (int, float)) or not p >= 0 for p in lp):
            bad("label_prior not non-negative numbers")
        elif abs(sum(lp) - 1) > 1e-6:
            bad("label_prior does not sum to 1")
        else:
            meta["labelPrior"] = lp
    ex = o.get("extra")
    if ex is not None and not isinstance(ex, dict):
        bad("extra not an object")
    return meta


def check_run(cols, meta_bytes, sidecar_problem=None):
    problems = []
    P = lambda code, what: problems.append({"code": code, "what": what})  # noqa: E731
    facts = {}
    for c in cols.values():
        if c.kind == "bad-string":
            P("BAD_STRING", c.type)
    for std in REQUIRED:
        if std not in cols:
            P("MISSING_COLUMN", std)
    if problems:
        return problems, None, facts
    n = cols["sample_id"].length
    if n == 0:
        P("EMPTY", "0 rows")
        return problems, None, facts
    expected = {"sample_id": "strings", "label": "ints", "path_1": "strings", "path_2": "strings", "split": "strings"}
    for std in STANDARD:
        c = cols.get(std)
        if c is None:
            continue
        want = expected.get(std, "matrix")
        if c.kind != want and not (std == "sample_id" and c.kind == "ints"):
            P("WRONG_TYPE", f"{std}: {c.type}")
        elif c.length != n:
            P("LENGTH_MISMATCH", f"{std}: {c.length} vs {n}")
    if problems:
        return problems, None, facts
    for std in STANDARD:
        c = cols.get(std)
        if c is None or std in ("path_1", "path_2"):
            continue
        nulls = c.nulls if c.kind != "strings" else sum(v is None for v in c.values)
        if nulls:
            P("NULLS", f"{std}: {nulls}")
    if sidecar_problem:
        P("BAD_METADATA", sidecar_problem)
    meta = run_meta(meta_bytes, problems)
    for std in ("emb_1", "emb_2"):
        if cols[std].values.shape[1] == 0:
            P("WRONG_TYPE", f"{std} width 0")
    width = None
    for std in ("logits_1", "logits_2", "logits_12"):
        c = cols.get(std)
        if c is None:
            continue
        w = c.values.shape[1]
        if w < 2:
            P("LOGITS_WIDTH", f"{std} width {w}")
        if width is not None and w != width:
            P("LOGITS_WIDTH", f"{std} width {w} vs {width}")
        width = width if width is not None else w
    for std in MATRIX:
        c = cols.get(std)
        if c is not None and c.nulls == 0 and not np.isfinite(c.values).all():
            P("NON_FINITE", std)
    labels = cols["label"].values
    if any(v is None for v in labels):
        return problems, None, facts
    bad = [v for v in labels if v < 0 or v > 0x7FFFFFFF]
    facts["minLabel"] = min(labels)
    facts["maxLabel"] = max(labels)
    if bad:
        P("LABEL_RANGE", f"label {bad[0]} outside int32/non-negative")
    max_label = max([v for v in labels if 0 <= v <= 0x7FFFFFFF], default=-1)
    if width is not None:
        n_classes = width
        if meta["classNames"] and len(meta["classNames"]) != width:
            P("LOGITS_WIDTH", "class names vs width")
    elif meta["classNames"]:
        n_classes = len(meta["classNames"])
    else:
        n_classes = max_label + 1
    if n_classes > MAX_CLASSES or max_label >= MAX_CLASSES:
        P("LABEL_RANGE", f"{max(n_classes, max_label + 1)} classes, above the limit of {MAX_CLASSES}")
    if max_label >= n_classes:
        P("LABEL_RANGE", f"label {max_label} >= {n_classes} classes")
    if meta["labelPrior"] is not None and len(meta["labelPrior"]) != n_classes:
        P("BAD_METADATA", "label_prior length")
    ids = cols["sample_id"].values
    ids = [None if v is None else str(v) for v in ids]
    facts["uniqueIds"] = len(set(ids)) == len(ids)
    if not facts["uniqueIds"]:
        P("DUPLICATE_ID", "duplicate ids")
    split = cols.get("split")
    if split is not None and any(v not in SPLITS for v in split.values if v is not None):
        P("BAD_SPLIT", "split value")
    if problems:
        return problems, None, facts
    class_names = meta["classNames"] or [str(i) for i in range(n_classes)]
    hashes = {
        "n": n,
        "nClasses": n_classes,
        "sample_id": hash_strings(ids),
        "label": hash_ints(labels),
        "emb_1": hash_matrix(cols["emb_1"].values),
        "emb_2": hash_matrix(cols["emb_2"].values),
        "class_names": hash_strings(class_names),
    }
    for std in ("logits_1", "logits_2", "logits_12"):
        if std in cols:
            hashes[std] = hash_matrix(cols[std].values)
    for std in ("path_1", "path_2"):
        if std in cols:
            hashes[std] = hash_strings([None if v == "" else v for v in cols[std].values])
    if split is not None:
        hashes["split"] = hash_strings(split.values)
    return problems, hashes, facts


def check_results(cols, meta):
    problems = []
    P = lambda code, what: problems.append({"code": code, "what": what})  # noqa: E731
    facts = {}
    text = meta.get(b"lsmi_results")
    m = None
    if text is None:
        P("BAD_METADATA", "no lsmi_results")
    else:
        try:
            m = parse_json_text(text)
        except Exception as e:  # noqa: BLE001
            P("BAD_METADATA", f"lsmi_results not JSON/UTF-8: {e}")
        if m is not None and not isinstance(m, dict):
            P("BAD_METADATA", "lsmi_results not an object")
            m = None
        if m is not None:
            fv = m.get("formatVersion")
            if not isinstance(fv, (int, float)) or isinstance(fv, bool) or fv > RESULTS_FORMAT_VERSION:
                P("BAD_METADATA", f"formatVersion {fv!r}")
    for c in RESULT_COLUMNS:
        col = cols.get(c)
        if col is None or col.kind != "floats":
            P("WRONG_TYPE", f"{c}: {col.type if col else 'missing'}")
        elif col.nulls:
            P("NULLS", c)
    if any(c in cols for c in STABILITY_COLUMNS):
        for c in STABILITY_COLUMNS:
            col = cols.get(c)
            if col is None or col.kind != "floats":
                P("WRONG_TYPE", f"{c}: {col.type if col else 'missing'}")
            elif col.nulls:
                P("NULLS", c)
    ids = cols.get("sample_id")
    labels = cols.get("label")
    if ids is None or ids.kind != "strings":
        P("WRONG_TYPE", "sample_id")
    if labels is None or labels.kind != "ints":
        P("WRONG_TYPE", "label")
    if problems:
        return problems, None, facts
    n = ids.length
    if any(v is None for v in ids.values):
        P("NULLS", "sample_id")
    if labels.nulls:
        P("NULLS", "label")
        return problems, None, facts
    lab = labels.values
    if lab:
        facts["minLabel"], facts["maxLabel"] = min(lab), max(lab)
    if any(v < 0 or v > 0x7FFFFFFF for v in lab):
        P("LABEL_RANGE", "label outside int32/non-negative")
    nc = (m.get("run") or {}).get("nClasses") if isinstance(m.get("run"), dict) else None
    if isinstance(nc, int) and any(v >= nc for v in lab):
        P("LABEL_RANGE", f"label >= nClasses {nc}")
    facts["uniqueIds"] = len(set(ids.values)) == len(ids.values)
    if not facts["uniqueIds"]:
        P("DUPLICATE_ID", "duplicate ids")
    split = cols.get("split")
    if split is not None and split.kind == "strings" and any(v not in SPLITS for v in split.values):
        P("BAD_SPLIT", "split value (or null)")
    if problems:
        return problems, None, facts
    hashes = {"n": n, "sample_id": hash_strings(ids.values), "label": hash_ints(lab)}
    if split is not None and split.kind == "strings":
        hashes["split"] = hash_strings(split.values)
    for std in ("path_1", "path_2"):
        c = cols.get(std)
        if c is not None and c.kind == "strings":
            hashes[std] = hash_strings([None if v == "" else v for v in c.values])
    for c in RESULT_COLUMNS:
        hashes[c] = hash_f64(cols[c].values)
    if any(c in cols for c in STABILITY_COLUMNS):
        for c in STABILITY_COLUMNS:
            hashes[c] = hash_f64(cols[c].values)
    return problems, hashes, facts


def sidecar_of(path):
    return (path[:-4] if path.lower().endswith(".npz") else path) + ".json"


def verdict(path, kind):
    try:
        if kind == "results":
            cols, meta = read_ipc(path)
            problems, hashes, facts = check_results(cols, meta)
        elif path.lower().endswith(".npz"):
            cols = read_npz(path)
            side = sidecar_of(path)
            meta_bytes, side_problem = None, None
            if os.path.lexists(side):
                if os.path.isdir(side):
                    side_problem = "sidecar is a directory"
                else:
                    try:
                        with open(side, "rb") as f:
                            meta_bytes = f.read()
                    except OSError as e:
                        side_problem = f"sidecar unreadable: {e}"
            problems, hashes, facts = check_run(cols, meta_bytes, side_problem)
        else:
            cols, meta = read_ipc(path)
            problems, hashes, facts = check_run(cols, meta.get(b"lsmi"))
    except Rejected as e:
        return {"status": "rejected", "reason": str(e)[:400]}
    out = {"status": "accepted", "problems": problems, "facts": facts}
    if hashes is not None and not problems:
        out["hashes"] = hashes
    return out
