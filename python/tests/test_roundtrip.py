import json
import sys
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest

import lsmi_export
from lsmi_export import read_run, write_run

LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def assert_same(result, run, emb_dtype=np.float32):
    assert result["sample_id"].tolist() == run["sample_ids"]
    assert result["label"].dtype == np.int64
    np.testing.assert_array_equal(result["label"], run["labels"])
    for name in ("emb_1", "emb_2"):
        assert result[name].dtype == emb_dtype
        np.testing.assert_array_equal(result[name], np.asarray(run[name]).astype(emb_dtype))
    for name in ("logits_1", "logits_2", "logits_12"):
        assert result[name].dtype == np.float32
        np.testing.assert_array_equal(result[name], np.asarray(run[name], dtype=np.float32))
    assert result["path_1"].tolist() == run["paths_1"]
    assert result["path_2"].tolist() == run["paths_2"]
    assert result["split"].tolist() == run["split"]


def expected_metadata(run):
    return {
        "format_version": 1,
        "run_name": "unit",
        "modality_names": ["image", "text"],
        "class_names": ["cat", "dog", "bird"],
        "architecture": "two MLPs",
        "fusion": "late",
        "label_prior": [0.5, 0.25, 0.25],
        "created_by": f"lsmi_export {lsmi_export.__version__}",
        "extra": {"seed": 3, "lr": 0.5, "tags": [1, 2]},
    }


@pytest.mark.parametrize("compression,magic", [("lz4", LZ4_FRAME_MAGIC), ("zstd", ZSTD_MAGIC),
                                               ("uncompressed", None)])
def test_arrow_round_trip(tmp_path, run, compression, magic):
    path = write_run(tmp_path / "run.arrow", compression=compression, **run)
    assert path == tmp_path / "run.arrow"
    data = path.read_bytes()
    assert data[:6] == b"ARROW1" and data[-6:] == b"ARROW1"
    for other in (LZ4_FRAME_MAGIC, ZSTD_MAGIC):
        assert (other in data) == (other == magic)
    result = read_run(path)
    assert_same(result, run)
    assert result["metadata"] == expected_metadata(run)


def test_arrow_schema(tmp_path, run):
    path = write_run(tmp_path / "run.arrow", **run)
    schema = pa.ipc.open_file(path).schema
    assert schema.names == ["sample_id", "label", "emb_1", "emb_2", "logits_1", "logits_2",
                            "logits_12", "path_1", "path_2", "split"]
    assert schema.field("sample_id").type == pa.string()
    assert schema.field("label").type == pa.int64()
    assert schema.field("emb_1").type == pa.list_(pa.float32(), 5)
    assert schema.field("logits_12").type == pa.list_(pa.float32(), 3)
    assert schema.field("path_1").nullable and not schema.field("label").nullable
    assert json.loads(schema.metadata[b"lsmi"]) == expected_metadata(run)


def test_arrow_several_batches(tmp_path, run):
    path = write_run(tmp_path / "run.arrow", batch_size=5, **run)
    reader = pa.ipc.open_file(path)
    assert [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)] == [5, 5, 2]
    assert_same(read_run(path), run)


def test_arrow_default_is_one_batch_for_small_runs(tmp_path, run):
    assert pa.ipc.open_file(write_run(tmp_path / "run.arrow", **run)).num_record_batches == 1


@pytest.mark.parametrize("dtype,arrow_type", [("float16", pa.float16()), ("float64", pa.float64())])
def test_arrow_embedding_precision(tmp_path, run, dtype, arrow_type):
    path = write_run(tmp_path / "run.arrow", emb_dtype=dtype, **run)
    assert pa.ipc.open_file(path).schema.field("emb_1").type == pa.list_(arrow_type, 5)
    assert_same(read_run(path), run, emb_dtype=np.dtype(dtype))


def test_feather_suffix_reads_with_pyarrow(tmp_path, run):
    path = write_run(tmp_path / "sub" / "dir" / "run.feather", **run)
    table = feather.read_table(path)
    assert table.num_rows == 12 and table.column("sample_id").to_pylist() == run["sample_ids"]


def test_npz_round_trip(tmp_path, run):
    path = write_run(tmp_path / "run.npz", **run)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(["sample_id", "label", "emb_1", "emb_2", "logits_1",
                                                "logits_2", "logits_12", "path_1", "path_2",
                                                "split"])
        assert archive["sample_id"].dtype.kind == "U"
        assert archive["emb_1"].shape == (12, 5) and archive["emb_1"].dtype == np.float32
        assert archive["path_1"][0] == ""  # None is stored as an empty string
    with zipfile.ZipFile(path) as z:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in z.infolist())
    assert json.loads((tmp_path / "run.json").read_text()) == expected_metadata(run)
    result = read_run(path)
    assert_same(result, run)
    assert result["metadata"] == expected_metadata(run)


def test_npz_uncompressed(tmp_path, run):
    path = write_run(tmp_path / "run.npz", compression="uncompressed", **run)
    with zipfile.ZipFile(path) as z:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in z.infolist())
    assert_same(read_run(path), run)


def test_minimal_run_defaults(tmp_path):
    path = write_run(tmp_path / "run.arrow", emb_1=[[1, 2], [3, 4], [5, 6]],
                     emb_2=[[0.5], [0.25], [1]], labels=[0, 2, 1])
    result = read_run(path)
    assert result["sample_id"].tolist() == ["0", "1", "2"]
    assert set(result) == {"sample_id", "label", "emb_1", "emb_2", "metadata"}
    assert result["metadata"] == {"format_version": 1,
                                  "created_by": f"lsmi_export {lsmi_export.__version__}"}
    assert result["emb_1"].dtype == np.float32


def test_int_ids_scalar_split_and_pathlike(tmp_path, run):
    run.update(sample_ids=np.arange(100, 112), split="test",
               paths_2=[tmp_path / f"{i}.wav" for i in range(12)])
    result = read_run(write_run(tmp_path / "run.arrow", **run))
    assert result["sample_id"].tolist() == [str(i) for i in range(100, 112)]
    assert result["split"].tolist() == ["test"] * 12
    assert result["path_2"][3] == str(tmp_path / "3.wav")


def test_label_prior_within_tolerance(tmp_path, run):
    run["label_prior"] = np.array([0.5, 0.25, 0.25 + 5e-7])
    assert read_run(write_run(tmp_path / "run.arrow", **run))["metadata"]["label_prior"][2] > 0.25


def test_unsigned_labels_and_overwrite(tmp_path, run):
    path = tmp_path / "run.arrow"
    write_run(path, **{**run, "labels": np.zeros(12, dtype=np.int64)})
    write_run(path, **{**run, "labels": np.asarray(run["labels"], dtype=np.uint8)})
    np.testing.assert_array_equal(read_run(path)["label"], run["labels"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.arrow"]


class FakeTensor:
    """Mimics the parts of torch.Tensor the exporter uses: numpy() only works on a detached CPU
    tensor, and not for bfloat16."""

    def __init__(self, array, dtype, device="cuda:0", requires_grad=True):
        self.array, self.dtype = np.asarray(array), dtype
        self.device, self.requires_grad = device, requires_grad

    def detach(self):
        return FakeTensor(self.array, self.dtype, self.device, requires_grad=False)

    def cpu(self):
        return FakeTensor(self.array, self.dtype, "cpu", self.requires_grad)

    def float(self):
        return FakeTensor(self.array.astype(np.float32), "torch.float32", self.device,
                          self.requires_grad)

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad.")
        if self.device != "cpu":
            raise TypeError("can't convert cuda:0 device type tensor to numpy.")
        if self.dtype == "torch.bfloat16":
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self.array


def test_duck_typed_tensors(tmp_path, run):
    run.update(emb_1=FakeTensor(run["emb_1"], "torch.bfloat16"),
               emb_2=FakeTensor(run["emb_2"], "torch.float16"),
               labels=FakeTensor(run["labels"], "torch.int64"),
               logits_12=FakeTensor(run["logits_12"], "torch.float32"))
    result = read_run(write_run(tmp_path / "run.npz", **run))
    np.testing.assert_array_equal(result["emb_1"], run["emb_1"].array.astype(np.float32))
    np.testing.assert_array_equal(result["label"], run["labels"].array)
    np.testing.assert_array_equal(result["logits_12"], run["logits_12"].array.astype(np.float32))
    assert "torch" not in sys.modules
