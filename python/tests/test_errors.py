import pickle

import numpy as np
import pyarrow as pa
import pytest

from lsmi_export import RunFormatError, read_run, write_run


def fails(tmp_path, run, code, *fragments, column=None, rows=None, name="run.arrow"):
    path = tmp_path / "out" / name
    with pytest.raises(RunFormatError) as info:
        write_run(path, **run)
    err = info.value
    assert err.code == code
    for fragment in fragments:
        assert fragment in str(err)
    if column is not None:
        assert err.column == column
    if rows is not None:
        assert err.rows == rows
    assert err.path == path and str(path) in str(err)
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder
    return err


def test_error_is_a_value_error_and_pickles(tmp_path, run):
    run["labels"] = np.array([7] + [0] * 11)
    err = fails(tmp_path, run, "LABEL_RANGE")
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.column, copy.rows, str(copy)) == (err.code, err.column, err.rows,
                                                              str(err))


def test_empty(tmp_path, run):
    fails(tmp_path, dict(emb_1=np.zeros((0, 4)), emb_2=np.zeros((0, 2)), labels=[]), "EMPTY",
          "no rows")


def test_empty_lists(tmp_path):
    fails(tmp_path, dict(emb_1=[], emb_2=[], labels=[]), "EMPTY")


@pytest.mark.parametrize("change,column,fragment", [
    (dict(emb_1=np.zeros(12)), "emb_1", "expected a 2-D float array"),
    (dict(emb_2=np.zeros((12, 0))), "emb_2", "width >= 1"),
    (dict(logits_2=np.array([["a", "b", "c"]] * 12)), "logits_2", "expected a 2-D float array"),
    (dict(labels=np.arange(12) / 1.0), "label", "expected a 1-D integer array"),
    (dict(labels=np.arange(12).reshape(12, 1)), "label", "got a 2-D int64"),
    (dict(emb_1=[[1.0, 2.0]] * 11 + [[1.0]]), "emb_1", "cannot be read as an array"),
    (dict(sample_ids=np.arange(12) / 2), "sample_id", "expected strings, got dtype float64"),
    (dict(paths_1=["a"] * 11 + [3]), "path_1", "expected strings, got int at row 11"),
    (dict(sample_ids=["a"] * 11 + [1.5]), "sample_id", "expected strings, got float at row 11"),
    (dict(labels=3), "label", "expected one value per row"),
])
def test_wrong_type(tmp_path, run, change, column, fragment):
    run.update(change)
    fails(tmp_path, run, "WRONG_TYPE", fragment, f"column '{column}'", column=column)


def test_nulls_in_ids(tmp_path, run):
    run["sample_ids"][4] = None
    fails(tmp_path, run, "NULLS", "column 'sample_id'", "row 4", column="sample_id", rows=[4])


def test_length_mismatch(tmp_path, run):
    run["emb_2"] = run["emb_2"][:11]
    fails(tmp_path, run, "LENGTH_MISMATCH", "column 'emb_2'", "has 11 rows but emb_1 has 12",
          "label 12", column="emb_2")


def test_non_finite(tmp_path, run):
    run["emb_1"][3, 1] = np.nan
    run["emb_1"][7, 0] = np.inf
    run["emb_1"][7, 4] = -np.inf
    fails(tmp_path, run, "NON_FINITE", "column 'emb_1'", "3 non-finite values", "2 rows",
          "rows 3, 7", column="emb_1", rows=[3, 7])


def test_non_finite_in_logits_after_cast(tmp_path, run):
    run["logits_12"][5, 2] = 1e39  # finite in float64, Inf in float32
    fails(tmp_path, run, "NON_FINITE", "column 'logits_12'", "row 5", "too large for float32",
          column="logits_12", rows=[5])


def test_non_finite_rows_are_capped_at_ten(tmp_path):
    emb = np.full((30, 2), np.nan)
    err = fails(tmp_path, dict(emb_1=emb, emb_2=np.ones((30, 2)), labels=[0] * 30), "NON_FINITE",
                "60 non-finite values", "(and 20 more)")
    assert err.rows == list(range(10))


def test_label_range_with_logits(tmp_path, run):
    run["labels"][[2, 9]] = [3, -1]
    fails(tmp_path, run, "LABEL_RANGE", "column 'label'", "2 labels outside [0, 3)",
          "rows 2 (3), 9 (-1)", "from the logits width", column="label", rows=[2, 9])


def test_label_range_with_class_names(tmp_path, run):
    for name in ("logits_1", "logits_2", "logits_12", "label_prior"):
        del run[name]
    run["labels"][0] = 5
    fails(tmp_path, run, "LABEL_RANGE", "from len(class_names)", "row 0 (5)", rows=[0])


def test_label_range_negative_without_classes(tmp_path):
    fails(tmp_path, dict(emb_1=np.ones((3, 2)), emb_2=np.ones((3, 2)), labels=[0, -2, 1]),
          "LABEL_RANGE", "from max(label) + 1", "row 1 (-2)", rows=[1])


def test_logits_width_between_heads(tmp_path, run):
    run["logits_2"] = np.zeros((12, 4))
    fails(tmp_path, run, "LOGITS_WIDTH", "column 'logits_2'", "logits_1 3, logits_2 4, logits_12 3",
          column="logits_2")


def test_logits_width_vs_class_names(tmp_path, run):
    run["class_names"] = ["cat", "dog"]
    fails(tmp_path, run, "LOGITS_WIDTH", "width 3 but class_names has 2 names", column="logits_1")


def test_duplicate_id(tmp_path, run):
    run["sample_ids"][5] = "s01"
    run["sample_ids"][9] = "s01"
    run["sample_ids"][11] = "s03"
    fails(tmp_path, run, "DUPLICATE_ID", "column 'sample_id'", "2 ids occur more than once",
          "'s01' on rows 1, 5, 9", "'s03' on rows 3, 11", column="sample_id", rows=[1, 3, 5, 9, 11])


def test_bad_split(tmp_path, run):
    run["split"][4] = "validation"
    run["split"][6] = None
    fails(tmp_path, run, "BAD_SPLIT", "column 'split'", "rows 4 ('validation'), 6 (None)",
          "expected 'train', 'val' or 'test'", column="split", rows=[4, 6])


def test_bad_scalar_split(tmp_path, run):
    run["split"] = "dev"
    fails(tmp_path, run, "BAD_SPLIT", "'dev'", rows=list(range(10)))


@pytest.mark.parametrize("change,field,fragment", [
    (dict(modality_names="image"), "modality_names", "expected an array of 2 strings"),
    (dict(modality_names=["a", "b", "c"]), "modality_names", "expected an array of 2 strings"),
    (dict(modality_names=["a", 2]), "modality_names", "expected an array of 2 strings"),
    (dict(class_names=[]), "class_names", "non-empty array of strings"),
    (dict(class_names="cat dog bird"), "class_names", "non-empty array of strings"),
    (dict(label_prior=[0.5, 0.5]), "label_prior", "has 2 entries; expected C = 3"),
    (dict(label_prior=[1.5, -0.25, -0.25]), "label_prior", "negative entries at indices 1, 2"),
    (dict(label_prior=[0.5, 0.25, 0.2]), "label_prior", "expected a sum of 1 (within 1e-6)"),
    (dict(label_prior=[0.5, 0.25, 0.25 + 2e-6]), "label_prior", "sums to"),
    (dict(label_prior=[0.5, "x", 0.5]), "label_prior", "array of numbers"),
    (dict(run_name=3), "run_name", "expected a string, got number"),
    (dict(fusion=["late"]), "fusion", "expected a string, got array"),
    (dict(extra=[1, 2]), "extra", "expected an object"),
    (dict(extra={"f": object()}), "extra", "not JSON-serializable"),
    (dict(extra={"loss": float("nan")}), "extra", "no NaN or Infinity"),
])
def test_bad_metadata(tmp_path, run, change, field, fragment):
    run.update(change)
    fails(tmp_path, run, "BAD_METADATA", f"metadata field '{field}'", fragment, column=field)


@pytest.mark.parametrize("change,fragment", [
    (dict(compression="gzip"), "compression"),
    (dict(batch_size=0), "batch_size"),
    (dict(emb_dtype="int8"), "emb_dtype"),
])
def test_bad_arguments(tmp_path, run, change, fragment):
    run.update(change)
    with pytest.raises(ValueError, match=fragment):
        write_run(tmp_path / "run.arrow", **run)


def test_unknown_suffix(tmp_path, run):
    with pytest.raises(ValueError, match="expected .arrow, .feather or .npz"):
        write_run(tmp_path / "run.parquet", **run)


# reading


def read_fails(path, code, *fragments):
    with pytest.raises(RunFormatError) as info:
        read_run(path)
    assert info.value.code == code
    for fragment in fragments:
        assert fragment in str(info.value)
    return info.value


def test_read_not_found(tmp_path):
    read_fails(tmp_path / "nope.arrow", "NOT_FOUND", "nope.arrow")


def test_read_not_arrow_and_truncated(tmp_path, run):
    (tmp_path / "x.arrow").write_text("sample_id,label\n")
    read_fails(tmp_path / "x.arrow", "NOT_ARROW", "ARROW1")
    data = write_run(tmp_path / "run.arrow", **run).read_bytes()
    (tmp_path / "cut.arrow").write_bytes(data[: len(data) // 2])
    read_fails(tmp_path / "cut.arrow", "TRUNCATED", "ends early")


def test_read_not_npz(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 not really")
    read_fails(tmp_path / "x.npz", "NOT_NPZ")


def test_read_missing_column(tmp_path):
    np.savez(tmp_path / "x.npz", sample_id=np.array(["a"]), label=np.array([0]),
             emb_1=np.ones((1, 2)))
    err = read_fails(tmp_path / "x.npz", "MISSING_COLUMN", "column 'emb_2'",
                     "columns found: emb_1, label, sample_id")
    assert err.column == "emb_2"


def test_read_npz_with_int_ids_and_bad_sidecar(tmp_path):
    np.savez(tmp_path / "x.npz", sample_id=np.array([10, 11]), label=np.array([0, 1]),
             emb_1=np.ones((2, 2)), emb_2=np.ones((2, 3), dtype=np.float16))
    result = read_run(tmp_path / "x.npz")
    assert result["sample_id"].tolist() == ["10", "11"] and result["metadata"] == {}
    assert result["emb_2"].dtype == np.float16
    (tmp_path / "x.json").write_text("{not json")
    read_fails(tmp_path / "x.npz", "BAD_METADATA", "x.json is not valid JSON")


def test_read_arrow_nulls_and_dictionary_split(tmp_path):
    table = pa.table({
        "sample_id": pa.array(["a", None]),
        "label": pa.array([0, 1]),
        "emb_1": pa.FixedSizeListArray.from_arrays(pa.array([1.0, 2.0, 3.0, 4.0]), 2),
        "emb_2": pa.FixedSizeListArray.from_arrays(pa.array([1.0, 2.0]), 1),
        "split": pa.array(["train", "test"]).dictionary_encode(),
    })
    pa.feather.write_feather(table, tmp_path / "nulls.arrow")
    read_fails(tmp_path / "nulls.arrow", "NULLS", "column 'sample_id'")
    table = table.set_column(0, "sample_id", pa.array(["a", "b"]))
    pa.feather.write_feather(table, tmp_path / "ok.arrow")
    assert read_run(tmp_path / "ok.arrow")["split"].tolist() == ["train", "test"]


def test_read_arrow_empty_and_variable_lists(tmp_path):
    schema = pa.schema([("sample_id", pa.string()), ("label", pa.int64()),
                        ("emb_1", pa.list_(pa.float32(), 2)), ("emb_2", pa.list_(pa.float32(), 3))])
    pa.feather.write_feather(schema.empty_table(), tmp_path / "empty.arrow")
    read_fails(tmp_path / "empty.arrow", "EMPTY")
    table = pa.table({"sample_id": ["a"], "label": [0],
                      "emb_1": pa.FixedSizeListArray.from_arrays(pa.array([1.0, 2.0]), 2),
                      "emb_2": pa.array([[1.0, 2.0]])})
    pa.feather.write_feather(table, tmp_path / "lists.arrow")
    read_fails(tmp_path / "lists.arrow", "WRONG_TYPE", "column 'emb_2'", "FixedSizeList")


def test_read_bad_lsmi_metadata(tmp_path, run):
    table = pa.ipc.open_file(write_run(tmp_path / "run.arrow", **run)).read_all()
    table = table.replace_schema_metadata({b"lsmi": b'{"class_names": "cat"}'})
    pa.feather.write_feather(table, tmp_path / "bad.arrow")
    read_fails(tmp_path / "bad.arrow", "BAD_METADATA", "class_names")
