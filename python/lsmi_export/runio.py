"""Writing and reading LSMI run files: Arrow IPC (Feather v2) and npz with a JSON sidecar."""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pyarrow as pa

from . import __version__
from .validation import (FLOAT_DTYPES, FORMAT_VERSION, PATH_COLUMNS, REQUIRED_COLUMNS,
                         RunFormatError, _fail, validate_run)

ARROW_SUFFIXES = (".arrow", ".feather")
COMPRESSIONS = ("lz4", "zstd", "uncompressed")
BATCH_BYTES = 64 << 20  # default record batch size, so large runs can be read batch by batch

PathLike = Union[str, "os.PathLike[str]"]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in ARROW_SUFFIXES:
        return "arrow"
    if suffix == ".npz":
        return "npz"
    raise ValueError(f"{path}: unknown run file type {suffix!r}; expected .arrow, .feather or .npz")


def write_run(path: PathLike, *, emb_1: Any, emb_2: Any, labels: Any,
              logits_1: Any = None, logits_2: Any = None, logits_12: Any = None,
              sample_ids: Any = None, paths_1: Any = None, paths_2: Any = None, split: Any = None,
              class_names: Optional[Sequence[str]] = None,
              modality_names: Optional[Sequence[str]] = None, run_name: Optional[str] = None,
              architecture: Optional[str] = None, fusion: Optional[str] = None,
              label_prior: Optional[Sequence[float]] = None, extra: Optional[Dict[str, Any]] = None,
              compression: str = "lz4", batch_size: Optional[int] = None,
              emb_dtype: Any = "float32") -> Path:
    """Validate a run and write it for LSMI Explorer.

    Array arguments take numpy arrays, nested lists or torch tensors (any object with
    ``.detach()`` / ``.cpu()`` / ``.numpy()``; bfloat16 and float16 tensors are converted with
    ``.float()`` first). N is the number of samples.

    Parameters
    ----------
    path : str or os.PathLike
        ``.arrow`` / ``.feather`` for an Arrow IPC file (Feather v2), or ``.npz`` for a compressed
        NumPy archive plus a metadata sidecar ``<stem>.json``. Missing parent folders are created.
    emb_1, emb_2 : array-like, shape (N, d1) and (N, d2)
        The embeddings of modality 1 and modality 2.
    labels : array-like of int, shape (N,)
        Class indices in ``[0, C)``.
    logits_1, logits_2, logits_12 : array-like, shape (N, C), optional
        Logits of the heads that see modality 1, modality 2 and both. Stored as float32.
    sample_ids : array-like of str or int, shape (N,), optional
        Unique ids, the join key across runs. Default: ``"0" .. "N-1"`` (the row order).
    paths_1, paths_2 : sequence of str, os.PathLike or None, optional
        Raw sample file of each modality, relative to the run file's folder; None where unknown.
        In npz files a missing path is stored as ``""``.
    split : str or array-like of str, optional
        ``"train"``, ``"val"`` or ``"test"`` per sample, or one of them for every sample.
    class_names : sequence of str, optional
        One name per class; its length is C when no logits are given.
    modality_names : sequence of 2 str, optional
        Names of modality 1 and 2.
    run_name, architecture, fusion : str, optional
        Free text stored in the metadata (``fusion``: early, intermediate, late, ensemble, ...).
    label_prior : sequence of float, optional
        Population label prior p(y): C non-negative numbers summing to 1 (within 1e-6).
    extra : dict, optional
        Anything JSON-serializable to keep with the run (numpy values are converted).
    compression : {"lz4", "zstd", "uncompressed"}
        Arrow buffer compression. For npz, "uncompressed" uses ``np.savez``, the others
        ``np.savez_compressed``.
    batch_size : int, optional
        Rows per Arrow record batch. Default: as many rows as fit in about 64 MiB.
    emb_dtype : {"float32", "float16", "float64"}
        Float type the embeddings are stored as.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    RunFormatError
        The run breaks the format (``code`` says how, ``column`` and ``rows`` say where); nothing
        is written.
    ValueError
        An unknown suffix, compression, batch_size or emb_dtype.

    Notes
    -----
    The file is written to a temporary file in the same folder and moved into place with
    ``os.replace``, so readers never see a partial file and a failed write leaves the previous
    file (if any) untouched.
    """
    path = Path(path)
    kind = _kind(path)
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {', '.join(COMPRESSIONS)}, "
                         f"got {compression!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if np.dtype(emb_dtype) not in FLOAT_DTYPES:
        raise ValueError(f"emb_dtype must be float16, float32 or float64, got {emb_dtype!r}")

    metadata = {"format_version": FORMAT_VERSION, "run_name": run_name,
                "modality_names": modality_names, "class_names": class_names,
                "architecture": architecture, "fusion": fusion, "label_prior": label_prior,
                "created_by": f"lsmi_export {__version__}", "extra": extra}
    columns = {"sample_id": sample_ids, "label": labels, "emb_1": emb_1, "emb_2": emb_2,
               "logits_1": logits_1, "logits_2": logits_2, "logits_12": logits_12,
               "path_1": paths_1, "path_2": paths_2, "split": split}
    try:
        cols, meta = validate_run(columns, metadata, emb_dtype=emb_dtype)
    except RunFormatError as exc:
        exc.path = path
        raise

    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "arrow":
        table = _arrow_table(cols, meta)
        rows = batch_size or _default_batch_rows(cols)
        codec = None if compression == "uncompressed" else compression
        options = pa.ipc.IpcWriteOptions(compression=codec)

        def write_arrow(f: Any) -> None:
            with pa.ipc.new_file(f, table.schema, options=options) as writer:
                writer.write_table(table, max_chunksize=rows)

        _write_atomically([(path, write_arrow)])
    else:
        arrays = {name: _npz_array(name, values) for name, values in cols.items()}
        save = np.savez if compression == "uncompressed" else np.savez_compressed
        text = json.dumps(meta, indent=2, ensure_ascii=False).encode("utf-8")
        # the sidecar is moved into place first, so the npz never appears beside a stale sidecar
        _write_atomically([(path.with_suffix(".json"), lambda f: f.write(text)),
                           (path, lambda f: save(f, **arrays))])
    return path


def _write_atomically(files: List[Tuple[Path, Callable[[Any], Any]]]) -> None:
    """Write each file to a temporary file beside it, then os.replace them all into place."""
    temps: List[Tuple[Path, Path]] = []
    try:
        for final, write in files:
            temp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
            temps.append((temp, final))
            with open(temp, "xb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
        for temp, final in temps:
            os.replace(temp, final)
    finally:
        for temp, _ in temps:
            try:
                temp.unlink()
            except FileNotFoundError:
                pass


def _arrow_table(cols: Dict[str, np.ndarray], meta: Dict[str, Any]) -> pa.Table:
    fields, arrays = [], []
    for name, values in cols.items():
        if values.ndim == 2:
            flat = pa.array(np.ascontiguousarray(values).reshape(-1))
            array = pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
        elif values.dtype.kind in "UO":
            array = pa.array(values, type=pa.string())
        else:
            array = pa.array(values)
        arrays.append(array)
        fields.append(pa.field(name, array.type, nullable=name in PATH_COLUMNS))
    lsmi = json.dumps(meta, ensure_ascii=False).encode("utf-8")
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata={b"lsmi": lsmi}))


def _default_batch_rows(cols: Dict[str, np.ndarray]) -> int:
    row_bytes = sum(v.itemsize * (v.shape[1] if v.ndim == 2 else 1) if v.dtype.kind in "fiu" else 32
                    for v in cols.values())
    return max(1, BATCH_BYTES // row_bytes)


def _npz_array(name: str, values: np.ndarray) -> np.ndarray:
    if name in PATH_COLUMNS:
        return np.array(["" if v is None else v for v in values.tolist()], dtype=str)
    return values


def read_run(path: PathLike) -> Dict[str, Any]:
    """Read and validate a run file written by :func:`write_run` (or any tool following the format).

    Parameters
    ----------
    path : str or os.PathLike
        An ``.arrow`` / ``.feather`` or ``.npz`` run file; for npz the sidecar ``<stem>.json`` is
        read when present.

    Returns
    -------
    dict
        ``sample_id`` (unicode array), ``label`` (int64), ``emb_1``, ``emb_2`` (2-D, float dtype as
        stored), any of ``logits_1``, ``logits_2``, ``logits_12`` (2-D float32), ``path_1``,
        ``path_2`` (object arrays of str or None) and ``split`` (unicode array) present in the file,
        and ``metadata`` (dict, empty when the file has none).

    Raises
    ------
    RunFormatError
        The file is missing, unreadable or breaks the format (same codes as LSMI Explorer).
    """
    path = Path(path)
    kind = _kind(path)
    try:
        if not path.is_file():
            _fail("NOT_FOUND", None, f"no run file at {path}")
        raw, metadata = _read_arrow(path) if kind == "arrow" else _read_npz(path)
        cols, meta = validate_run(raw, metadata, emb_dtype=None, required=REQUIRED_COLUMNS)
    except RunFormatError as exc:
        exc.path = path
        raise
    return {**cols, "metadata": meta}


def _parse_metadata(text: bytes, where: str) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        _fail("BAD_METADATA", None, f"{where} is not valid JSON ({exc})")


def _read_arrow(path: Path) -> Tuple[Dict[str, np.ndarray], Any]:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(6)
        f.seek(max(0, size - 6))
        tail = f.read(6)
    if head != b"ARROW1":
        _fail("NOT_ARROW", None, "not an Arrow IPC file (expected it to start with ARROW1)")
    if size < 12 or tail != b"ARROW1":
        _fail("TRUNCATED", None, "the Arrow file ends early (an interrupted write?)")
    try:
        with pa.OSFile(str(path), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        _fail("NOT_ARROW", None, f"cannot be read as an Arrow IPC file ({exc})")
    schema_meta = table.schema.metadata or {}
    metadata = _parse_metadata(schema_meta[b"lsmi"], "the lsmi metadata") \
        if b"lsmi" in schema_meta else None
    return {name: _arrow_column(name, table.column(name)) for name in table.column_names}, metadata


def _arrow_column(name: str, column: pa.ChunkedArray) -> np.ndarray:
    if column.null_count and name not in PATH_COLUMNS:
        rows = np.flatnonzero(column.is_null().to_numpy())
        _fail("NULLS", name, f"{column.null_count} nulls (first rows "
                             f"{', '.join(map(str, rows[:10]))}); expected no nulls", rows)
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pa.chunked_array([c.dictionary_decode() for c in column.chunks], kind.value_type)
    if pa.types.is_fixed_size_list(kind):
        if not pa.types.is_floating(kind.value_type):
            _fail("WRONG_TYPE", name, f"expected FixedSizeList of float32, got {kind}")
        values = column.combine_chunks().flatten()
        if values.null_count:
            _fail("NULLS", name, "null values inside the lists; expected finite numbers")
        return values.to_numpy(zero_copy_only=False).reshape(len(column), kind.list_size)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        _fail("WRONG_TYPE", name, f"expected FixedSizeList of float32 (one width for all rows), "
                                  f"got {kind}")
    return column.to_numpy()


def _read_npz(path: Path) -> Tuple[Dict[str, np.ndarray], Any]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            raw = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, TypeError, AttributeError) as exc:
        _fail("NOT_NPZ", None, f"not a readable npz file ({exc})")
    for name in PATH_COLUMNS:
        if name in raw and raw[name].dtype.kind == "U":
            raw[name] = np.array([v or None for v in raw[name].tolist()], dtype=object)
    sidecar = path.with_suffix(".json")
    metadata = _parse_metadata(sidecar.read_bytes(), sidecar.name) if sidecar.is_file() else None
    return raw, metadata
