import numpy as np
import pyarrow as pa
import pytest

from lsmi_export import RunFormatError, read_run, runio, write_run


def test_failed_validation_leaves_existing_file_untouched(tmp_path, run):
    path = write_run(tmp_path / "run.arrow", **run)
    before = path.read_bytes()
    run["labels"][0] = 99
    with pytest.raises(RunFormatError):
        write_run(path, **run)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.arrow"]


def test_failure_while_writing_arrow_leaves_nothing(tmp_path, run, monkeypatch):
    def broken_writer(sink, schema, options=None):
        sink.write(b"ARROW1 partial")
        raise OSError("disk full")

    monkeypatch.setattr(runio.pa.ipc, "new_file", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        write_run(tmp_path / "new.arrow", **run)
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_keeps_previous_arrow(tmp_path, run, monkeypatch):
    path = write_run(tmp_path / "run.arrow", **run)
    before = path.read_bytes()

    class Boom(Exception):
        pass

    def broken_write_table(self, table, max_chunksize=None):
        raise Boom()

    monkeypatch.setattr(pa.ipc.RecordBatchFileWriter, "write_table", broken_write_table)
    with pytest.raises(Boom):
        write_run(path, **{**run, "run_name": "second"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.arrow"]


def test_failure_while_writing_npz_keeps_npz_and_sidecar(tmp_path, run, monkeypatch):
    path = write_run(tmp_path / "run.npz", **run)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == ["run.json", "run.npz"]

    def broken_save(file, **arrays):
        file.write(b"PK partial")
        raise KeyboardInterrupt  # even an interrupt cleans up

    monkeypatch.setattr(runio.np, "savez_compressed", broken_save)
    with pytest.raises(KeyboardInterrupt):
        write_run(path, **{**run, "run_name": "second"})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert read_run(path)["metadata"]["run_name"] == "unit"


def test_creates_parent_folders(tmp_path, run):
    path = write_run(str(tmp_path / "a" / "b" / "run.npz"), **run)
    assert path.is_file() and (tmp_path / "a" / "b" / "run.json").is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.json", "run.npz"]
