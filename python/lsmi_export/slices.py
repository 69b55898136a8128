"""Saved slices of LSMI Explorer results, for training code.

A slice is saved by LSMI Explorer (the results panel's **Save slice…**) as two files in
``<results folder>/lsmi-exports/slices/``: ``<name>.slice.json`` (the query, the results it was
taken from, a manifest) and ``<name>.slice.arrow`` (the selected samples in the panel's order:
sample_id, label, class, split when the run has one, r, u1, u2, s, i1, i2, i12).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

SLICE_FORMAT_VERSION = 1
SLICE_SUFFIX = ".slice.json"
TABLE_SUFFIX = ".slice.arrow"
VALUE_COLUMNS = ("r", "u1", "u2", "s", "i1", "i2", "i12")

PathLike = Union[str, "os.PathLike[str]"]


class SliceError(ValueError):
    """A slice cannot be loaded.

    Attributes
    ----------
    code : str
        ``NOT_FOUND`` (a file is missing), ``BAD_SLICE`` (not a slice definition, or a damaged
        one), ``UNSUPPORTED`` (written by a newer LSMI Explorer) or ``MISMATCH`` (the table does
        not match its definition: another slice's table, or rows missing).
    path : pathlib.Path
        The file at fault.
    """

    def __init__(self, code: str, message: str, path: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path

    def __str__(self) -> str:
        where = f"{os.fspath(self.path)}: " if self.path is not None else ""
        return f"{where}{self.code}: {self.message}"

    def __reduce__(self):
        return (SliceError, (self.code, self.message, self.path))


@dataclass(frozen=True)
class Slice:
    """A saved slice: the selected samples, in the order the panel listed them."""

    name: str
    #: sample_id of each selected sample.
    sample_ids: List[str]
    #: the class index of each sample (numpy int32).
    labels: np.ndarray
    #: r, u1, u2, s, i1, i2, i12 per sample (numpy float64; NaN where missing).
    values: Dict[str, np.ndarray]
    #: the samples-table query: sort, desc, and classes, split, range, search when filtered.
    query: Dict[str, Any]
    #: columns, counts per class and split, the range's thresholds, min / mean / max of each value.
    manifest: Dict[str, Any]
    #: the class name of each sample.
    class_names: List[str]
    #: the split of each sample ("train", "val", "test"), or None when the run has no splits.
    split: Optional[List[Optional[str]]]
    #: the run the results were estimated from, and the results file (resolved).
    run: str
    results: Path
    #: the definition file and the table file.
    path: Path
    table_path: Path
    #: the whole definition (including ``resultsIdentity``: which results the slice was taken from).
    definition: Dict[str, Any] = field(repr=False)

    def __len__(self) -> int:
        return len(self.sample_ids)


def _paths(path: PathLike) -> "tuple[Path, Path]":
    p = Path(path)
    name = p.name
    if name.endswith(SLICE_SUFFIX):
        return p, p.with_name(name[: -len(SLICE_SUFFIX)] + TABLE_SUFFIX)
    if name.endswith(TABLE_SUFFIX):
        return p.with_name(name[: -len(TABLE_SUFFIX)] + SLICE_SUFFIX), p
    raise SliceError("BAD_SLICE", f"not a slice file: expected a name ending in {SLICE_SUFFIX} or {TABLE_SUFFIX}", p)


def _definition(path: Path) -> Dict[str, Any]:
    if not path.is_file():
        raise SliceError("NOT_FOUND", "no such slice file", path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise SliceError("BAD_SLICE", f"not a slice: the file is not valid JSON ({e})", path) from None
    if not isinstance(d, dict) or d.get("kind") != "lsmi-slice":
        raise SliceError("BAD_SLICE", 'not a slice: "kind" is not "lsmi-slice"', path)
    version = d.get("formatVersion")
    if not isinstance(version, int):
        raise SliceError("BAD_SLICE", '"formatVersion" is missing', path)
    if version > SLICE_FORMAT_VERSION:
        raise SliceError("UNSUPPORTED", f"slice format version {version}; this lsmi_export reads version {SLICE_FORMAT_VERSION}", path)
    for key in ("name", "results", "run"):
        if not isinstance(d.get(key), str) or not d[key]:
            raise SliceError("BAD_SLICE", f'"{key}" must be a non-empty string', path)
    if not isinstance(d.get("n"), int) or d["n"] < 0:
        raise SliceError("BAD_SLICE", '"n" must be a count of samples', path)
    if not isinstance(d.get("query"), dict) or not isinstance(d.get("manifest"), dict):
        raise SliceError("BAD_SLICE", '"query" and "manifest" must be objects', path)
    return d


def load_slice(path: PathLike) -> Slice:
    """Loads a slice saved by LSMI Explorer.

    ``path`` is the slice's ``.slice.json`` (or its ``.slice.arrow``; the other file must sit beside
    it). Raises :class:`SliceError` when a file is missing, damaged, or the two do not match.
    """
    definition_path, table_path = _paths(path)
    d = _definition(definition_path)
    if not table_path.is_file():
        raise SliceError("NOT_FOUND", f"the slice's table {table_path.name} is missing beside its definition; save the slice again", table_path)
    try:
        with pa.memory_map(str(table_path), "r") as source:
            table = ipc.open_file(source).read_all()
    except (pa.ArrowInvalid, OSError) as e:
        raise SliceError("BAD_SLICE", f"not an Arrow file ({e})", table_path) from None
    meta = (table.schema.metadata or {}).get(b"lsmi_export")
    try:
        info = json.loads(meta) if meta else None
    except ValueError:
        info = None
    if not isinstance(info, dict) or info.get("kind") != "slice":
        raise SliceError("MISMATCH", "this Arrow file is not a slice's table (no lsmi_export metadata of kind slice)", table_path)
    if info.get("name") != d["name"] or info.get("createdAt") != d.get("createdAt"):
        raise SliceError(
            "MISMATCH",
            f"the table belongs to slice {info.get('name')!r} saved {info.get('createdAt')}, the definition to {d['name']!r} saved {d.get('createdAt')}; save the slice again",
            table_path,
        )
    missing = [c for c in ("sample_id", "label", *VALUE_COLUMNS) if c not in table.column_names]
    if missing:
        raise SliceError("MISMATCH", f"the table lacks the column(s) {', '.join(missing)}", table_path)
    if table.num_rows != d["n"]:
        raise SliceError("MISMATCH", f"the table has {table.num_rows} rows, the definition says {d['n']}", table_path)

    def floats(name: str) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)  # nulls become NaN

    split = table.column("split").to_pylist() if "split" in table.column_names else None
    names = table.column("class").to_pylist() if "class" in table.column_names else [str(y) for y in table.column("label").to_pylist()]
    return Slice(
        name=d["name"],
        sample_ids=[str(s) for s in table.column("sample_id").to_pylist()],
        labels=table.column("label").to_numpy(zero_copy_only=False).astype(np.int32),
        values={c: floats(c) for c in VALUE_COLUMNS},
        query=dict(d["query"]),
        manifest=dict(d["manifest"]),
        class_names=names,
        split=split,
        run=d["run"],
        results=(definition_path.parent / d["results"]).resolve(),
        path=definition_path,
        table_path=table_path,
        definition=d,
    )
