"""Checks a run's columns and metadata against the LSMI run format (docs/run-format.md).

The error codes and the rule for the number of classes ``C`` are the ones the TypeScript reader of
LSMI Explorer implements, so a run that passes here opens there.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, Mapping, NoReturn, Optional, Tuple

import numpy as np

FORMAT_VERSION = 1
LOGITS_COLUMNS = ("logits_1", "logits_2", "logits_12")
PATH_COLUMNS = ("path_1", "path_2")
COLUMN_ORDER = ("sample_id", "label", "emb_1", "emb_2") + LOGITS_COLUMNS + PATH_COLUMNS + ("split",)
REQUIRED_COLUMNS = ("sample_id", "label", "emb_1", "emb_2")
STRING_COLUMNS = ("sample_id",) + PATH_COLUMNS + ("split",)
SPLITS = ("train", "val", "test")
FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
MAX_ROWS = 10  # offending rows kept on an error and shown in its message


class RunFormatError(ValueError):
    """A run does not follow the LSMI run format.

    Attributes
    ----------
    code : str
        One of the codes of docs/run-format.md, e.g. ``"NON_FINITE"`` or ``"DUPLICATE_ID"``.
    column : str or None
        The offending column; for ``BAD_METADATA`` the metadata field; None when no single one is.
    rows : list of int
        The first offending rows (0-based, at most 10); empty when the problem is not per row.
    path : pathlib.Path or None
        The file being written or read, when known.
    """

    def __init__(self, code: str, message: str, column: Optional[str] = None,
                 rows: Iterable[int] = (), path: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column
        self.rows = [int(r) for r in list(rows)[:MAX_ROWS]]
        self.path = path

    def __str__(self) -> str:
        where = f"{os.fspath(self.path)}: " if self.path is not None else ""
        return f"{where}{self.code}: {self.message}"

    def __reduce__(self):
        return (RunFormatError, (self.code, self.message, self.column, self.rows, self.path))


def _fail(code: str, column: Optional[str], detail: str, rows: Iterable[int] = ()) -> NoReturn:
    where = f"metadata field '{column}'" if code == "BAD_METADATA" else f"column '{column}'"
    raise RunFormatError(code, f"{where}: {detail}" if column else detail, column, rows)


def _rows_text(rows: np.ndarray, values: Optional[np.ndarray] = None) -> str:
    """'rows 3, 8 (and 5 more)', or with values: 'rows 3 (12), 8 (-1)'."""
    shown = [int(r) for r in rows[:MAX_ROWS]]
    items = [f"{r} ({_plain(values[r])!r})" if values is not None else str(r) for r in shown]
    more = f" (and {len(rows) - len(shown)} more)" if len(rows) > len(shown) else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {', '.join(items)}{more}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _tensor_to_numpy(value: Any) -> Any:
    """A torch-like tensor (anything with .numpy()) to numpy, without importing torch."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if "float16" in str(getattr(value, "dtype", "")) and hasattr(value, "float"):
        value = value.float()  # bfloat16 has no numpy dtype; float16 -> float32 is exact
    return value.numpy()


def as_array(value: Any, column: str) -> np.ndarray:
    """Any array-like (numpy array, list, torch-like tensor) as a numpy array."""
    if not isinstance(value, np.ndarray) and hasattr(value, "numpy"):
        value = _tensor_to_numpy(value)
    # lists of strings stay objects, so that a stray number or None is reported, not stringified
    strings = column in STRING_COLUMNS and not isinstance(value, np.ndarray)
    try:
        return np.asarray(value, dtype=object if strings else None)
    except (TypeError, ValueError) as exc:
        _fail("WRONG_TYPE", column, f"cannot be read as an array ({exc}); expected one value "
                                    "(or one row of equal length) per sample")


def _float_matrix(arr: np.ndarray, column: str, dtype: Optional[np.dtype]) -> np.ndarray:
    if arr.ndim != 2 or arr.dtype.kind not in "fiu" or arr.shape[1] == 0:
        got = f"a {arr.ndim}-D {arr.dtype} array of shape {arr.shape}"
        _fail("WRONG_TYPE", column, f"expected a 2-D float array of shape (rows, width >= 1), "
                                    f"got {got}")
    if dtype is None:
        dtype = arr.dtype if arr.dtype in FLOAT_DTYPES else np.dtype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return arr.astype(dtype, copy=False)


def _check_finite(arr: np.ndarray, original: np.ndarray, column: str) -> None:
    with np.errstate(all="ignore"):
        sums = arr.sum(axis=1, dtype=np.float64)  # NaN/Inf survive a row sum; overflow: re-checked
    candidates = np.flatnonzero(~np.isfinite(sums))
    if candidates.size == 0:
        return
    bad = ~np.isfinite(arr[candidates])
    rows = candidates[bad.any(axis=1)]
    if rows.size == 0:
        return
    hint = ""
    if original.dtype != arr.dtype and np.isfinite(original[rows]).all():
        hint = f" (the values are too large for {arr.dtype})"
    values = _count(int(bad.sum()), "non-finite value")
    _fail("NON_FINITE", column, f"{values} (NaN or ±Inf) in {_count(rows.size, 'row')} "
                                f"({_rows_text(rows)}){hint}; expected finite numbers", rows)


def _labels(arr: np.ndarray) -> np.ndarray:
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        _fail("WRONG_TYPE", "label", f"expected a 1-D integer array of class indices, got a "
                                     f"{arr.ndim}-D {arr.dtype} array of shape {arr.shape}")
    return arr


def _strings(arr: np.ndarray, column: str, *, nullable: bool, from_int: bool = False) -> np.ndarray:
    """A 1-D unicode array, or for nullable columns an object array of str / None."""
    if arr.ndim != 1:
        _fail("WRONG_TYPE", column, f"expected a 1-D array of strings, got shape {arr.shape}")
    if arr.dtype.kind == "U":
        return arr.astype(object) if nullable else arr
    if from_int and arr.dtype.kind in "iu":
        return arr.astype(str)
    if arr.dtype.kind != "O":
        _fail("WRONG_TYPE", column, f"expected strings, got dtype {arr.dtype}")

    def convert(v: Any) -> Any:
        if isinstance(v, os.PathLike) and column in PATH_COLUMNS:
            return os.fspath(v)
        if from_int and isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(v)
        return v

    items = [convert(v) for v in arr.tolist()]
    nulls = np.array([v is None for v in items], dtype=bool)
    if nulls.any() and not nullable:
        rows = np.flatnonzero(nulls)
        _fail("NULLS", column, f"{_count(rows.size, 'null')}: {_rows_text(rows)}; expected a "
                               "string in every row", rows)
    wrong = np.flatnonzero([v is not None and not isinstance(v, str) for v in items])
    if wrong.size:
        got = type(items[wrong[0]]).__name__
        _fail("WRONG_TYPE", column, f"expected strings, got {got} at {_rows_text(wrong)}", wrong)
    return np.array(items, dtype=object) if nullable else np.array(items, dtype=str)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch-like tensors
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), ((int, float), "number"), (str, "string"),
                       (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return "null"


def normalize_metadata(metadata: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Type-check the metadata object and turn it into plain JSON values; None fields are dropped.

    The check that needs the number of classes (``label_prior`` length) is in :func:`validate_run`.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        _fail("BAD_METADATA", None, f"the metadata must be a JSON object, got "
                                    f"{type(metadata).__name__}")
    meta: Dict[str, Any] = {}
    for field, value in metadata.items():
        if not isinstance(field, str):
            _fail("BAD_METADATA", str(field), "expected string keys")
        if value is None:
            continue
        try:
            meta[field] = json.loads(json.dumps(value, allow_nan=False, default=_json_default))
        except (TypeError, ValueError) as exc:
            _fail("BAD_METADATA", field, f"not JSON-serializable ({exc}); expected JSON values "
                                         "(no NaN or Infinity)")

    def expect(field: str, ok: bool, expected: str) -> None:
        if field in meta and not ok:
            _fail("BAD_METADATA", field, f"expected {expected}, got {_json_type(meta[field])} "
                                         f"{json.dumps(meta[field])[:80]}")

    def strings(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    expect("format_version", isinstance(meta.get("format_version"), int)
           and not isinstance(meta.get("format_version"), bool), "an integer")
    for field in ("run_name", "architecture", "fusion", "created_by"):
        expect(field, isinstance(meta.get(field), str), "a string")
    names = meta.get("modality_names")
    expect("modality_names", strings(names) and len(names) == 2, "an array of 2 strings")
    expect("class_names", strings(meta.get("class_names")) and len(meta["class_names"]) > 0,
           "a non-empty array of strings")
    expect("extra", isinstance(meta.get("extra"), dict), "an object")
    prior = meta.get("label_prior")
    expect("label_prior", isinstance(prior, list) and len(prior) > 0 and all(map(is_number, prior)),
           "a non-empty array of numbers")
    if prior is not None:
        negative = np.flatnonzero(np.asarray(prior, dtype=float) < 0)
        if negative.size:
            _fail("BAD_METADATA", "label_prior", f"negative entries at indices "
                                                 f"{', '.join(map(str, negative[:MAX_ROWS]))}; "
                                                 "expected probabilities >= 0")
        total = float(np.sum(np.asarray(prior, dtype=np.float64)))
        if abs(total - 1.0) > 1e-6:
            _fail("BAD_METADATA", "label_prior", f"sums to {total!r}; expected a sum of 1 "
                                                 "(within 1e-6)")
    return meta


def validate_run(columns: Mapping[str, Any], metadata: Optional[Mapping[str, Any]] = None, *,
                 emb_dtype: Any = np.float32,
                 required: Tuple[str, ...] = ("label", "emb_1", "emb_2"),
                 ) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    """Validate a run and return its normalized columns and metadata.

    Parameters
    ----------
    columns : mapping of str to array-like
        Columns named as in the file (``sample_id``, ``label``, ``emb_1``, ...); None means absent.
        A missing ``sample_id`` becomes ``"0" .. "N-1"``; a single string ``split`` applies to every
        row.
    metadata : mapping, optional
        The ``lsmi`` metadata object.
    emb_dtype : numpy dtype or None
        Float type of the embeddings; None keeps float16 / float32 / float64 as given.
    required : tuple of str
        Columns that must be present.

    Returns
    -------
    columns : dict of str to numpy.ndarray
        In file order: ``sample_id`` (unicode), ``label`` (int64), embeddings and logits (2-D
        float; logits float32), ``path_1`` / ``path_2`` (object arrays of str or None), ``split``
        (unicode).
    metadata : dict
        Plain JSON values.

    Raises
    ------
    RunFormatError
        On the first problem found, with the code of docs/run-format.md.
    """
    given = {name: value for name, value in columns.items() if value is not None}
    for name in required:
        if name not in given:
            _fail("MISSING_COLUMN", name, f"required column is missing; columns found: "
                                          f"{', '.join(sorted(given)) or 'none'}")
    split_value = given.pop("split") if isinstance(given.get("split"), str) else None
    arrays = {name: as_array(value, name) for name, value in given.items() if name in COLUMN_ORDER}
    for name, arr in arrays.items():
        if arr.ndim == 0:
            _fail("WRONG_TYPE", name, f"expected one value per row, got the scalar {arr.item()!r}")
    if all(len(arr) == 0 for arr in arrays.values()):
        _fail("EMPTY", None, "the run has no rows; expected at least one sample")
    n = len(arrays["emb_1"])
    if split_value is not None:
        arrays["split"] = np.full(n, split_value, dtype=object)
    if "sample_id" not in arrays:
        arrays["sample_id"] = np.arange(n).astype(str)

    out: Dict[str, np.ndarray] = {}
    for name in COLUMN_ORDER:
        if name not in arrays:
            continue
        arr = arrays[name]
        if name in ("emb_1", "emb_2"):
            out[name] = _float_matrix(arr, name, None if emb_dtype is None else np.dtype(emb_dtype))
        elif name in LOGITS_COLUMNS:
            out[name] = _float_matrix(arr, name, np.dtype(np.float32))
        elif name == "label":
            out[name] = _labels(arr)
        else:
            out[name] = _strings(arr, name, nullable=name in PATH_COLUMNS + ("split",),
                                 from_int=name == "sample_id")
    for name, arr in out.items():
        if len(arr) != n:
            counts = ", ".join(f"{k} {len(v)}" for k, v in out.items())
            _fail("LENGTH_MISMATCH", name, f"has {len(arr)} rows but emb_1 has {n}; expected the "
                                           f"same number of rows in every column ({counts})")
    for name in ("emb_1", "emb_2") + LOGITS_COLUMNS:
        if name in out:
            _check_finite(out[name], arrays[name], name)

    meta = normalize_metadata(metadata)
    class_names = meta.get("class_names")
    widths = {name: out[name].shape[1] for name in LOGITS_COLUMNS if name in out}
    labels = out["label"]
    if widths:
        first = next(iter(widths))
        n_classes, source = widths[first], "the logits width"
        for name, width in widths.items():
            if width != n_classes:
                listed = ", ".join(f"{k} {v}" for k, v in widths.items())
                _fail("LOGITS_WIDTH", name, f"logits widths differ between heads ({listed}); "
                                            "expected every head to have width C, one logit per "
                                            "class")
        if class_names is not None and len(class_names) != n_classes:
            _fail("LOGITS_WIDTH", first, f"the logits have width {n_classes} but class_names has "
                                         f"{len(class_names)} names; expected one name per logit")
    elif class_names is not None:
        n_classes, source = len(class_names), "len(class_names)"
    else:
        n_classes, source = int(labels.max()) + 1, "max(label) + 1"
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if bad.size:
        _fail("LABEL_RANGE", "label", f"{_count(bad.size, 'label')} outside [0, {n_classes}) "
                                      f"(C = {n_classes} from {source}): "
                                      f"{_rows_text(bad, labels)}; expected class indices in "
                                      f"[0, {n_classes})", bad)
    out["label"] = labels.astype(np.int64, copy=False)
    prior = meta.get("label_prior")
    if prior is not None and len(prior) != n_classes:
        _fail("BAD_METADATA", "label_prior", f"has {len(prior)} entries; expected C = {n_classes} "
                                             f"(from {source})")

    _check_unique(out["sample_id"])
    if "split" in out:
        split = out["split"]
        bad = np.flatnonzero(~((split == "train") | (split == "val") | (split == "test")))
        if bad.size:
            _fail("BAD_SPLIT", "split", f"{_count(bad.size, 'value')} not in train/val/test: "
                                        f"{_rows_text(bad, split)}; expected 'train', 'val' or "
                                        "'test'", bad)
        out["split"] = split.astype(str)
    return out, meta


def _check_unique(ids: np.ndarray) -> None:
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    duplicated = counts > 1
    if not duplicated.any():
        return
    rows = np.flatnonzero(duplicated[inverse.reshape(-1)])
    n_ids = int(duplicated.sum())
    shown: list = []
    for r in rows:  # the first few duplicated ids, in order of first appearance
        if str(ids[r]) not in shown:
            shown.append(str(ids[r]))
            if len(shown) == min(3, n_ids):
                break
    groups = "; ".join(f"{v!r} on {_rows_text(np.flatnonzero(ids == v))}" for v in shown)
    more = f"; and {n_ids - len(shown)} more ids" if n_ids > len(shown) else ""
    occur = "occurs" if n_ids == 1 else "occur"
    _fail("DUPLICATE_ID", "sample_id", f"{_count(n_ids, 'id')} {occur} more than once: "
                                       f"{groups}{more}; expected unique ids", rows)
