"""A saved slice round-trips into Python: LSMI Explorer's own TypeScript code (src/engine/slices.ts,
bundled with esbuild from the repository's sources and run with node) writes results and slices;
lsmi_export.load_slice reads them back. The expected selection is computed here, independently."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lsmi_export import SliceError, load_slice

REPO = Path(__file__).resolve().parents[2]
ESBUILD = REPO / "node_modules" / ".bin" / "esbuild"
FIXTURE = REPO / "test" / "engine" / "slice-fixture.ts"

rng = np.random.default_rng(7)
N = 60
IDS = [f"img-{k:03d}" if k % 7 else f"ünï, \"{k}\"" for k in range(N)]
LABELS = (np.arange(N) * 5 % 3).tolist()
R = rng.normal(size=N).round(3)
U1 = rng.normal(size=N)
U2 = rng.normal(size=N)
S = rng.normal(size=N).round(1)  # ties: the order keeps file order among equal values
SPLIT = [("train", "val", "test")[k % 3] for k in range(N)]
RUN = dict(name="tiny", ids=IDS, labels=LABELS, r=R.tolist(), u1=U1.tolist(), u2=U2.tolist(), s=S.tolist(),
           classNames=["cat", "dog", "fish"], split=SPLIT)
QUERY = {"sort": "s", "desc": True, "classes": [0, 2], "split": "train", "range": {"col": "u1", "lo": -0.5, "hi": None}}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    node = shutil.which("node")
    if node is None or not ESBUILD.exists():
        pytest.skip("needs node and the repository's node_modules (npm ci) to run LSMI Explorer's own slice writer")
    tmp = tmp_path_factory.mktemp("slices")
    bundle = tmp / "slice-fixture.js"
    subprocess.run([str(ESBUILD), str(FIXTURE), "--bundle", "--platform=node", "--log-level=error", f"--outfile={bundle}"],
                   check=True, cwd=REPO)
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"dir": str(tmp), "run": RUN, "slices": [
        {"name": "cats and fish", "query": QUERY},
        {"name": "everything", "query": {"sort": "r", "desc": False}},
        {"name": "none", "query": {"sort": "s", "desc": True, "search": "no such id"}},
    ]}))
    out = subprocess.run([node, str(bundle), str(spec)], check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout)


def expected_rows(query):
    keep = np.ones(N, dtype=bool)
    if "classes" in query:
        keep &= np.isin(LABELS, query["classes"])
    if "split" in query:
        keep &= np.array(SPLIT) == query["split"]
    if "range" in query:
        col = {"u1": U1, "s": S, "r": R}[query["range"]["col"]]
        lo, hi = query["range"]["lo"], query["range"]["hi"]
        keep &= (col >= (-np.inf if lo is None else lo)) & (col < (np.inf if hi is None else hi))
    key = {"s": S, "r": R}[query["sort"]]
    order = np.argsort(-key if query["desc"] else key, kind="stable")
    return [int(j) for j in order if keep[j]]


def test_a_saved_slice_round_trips_into_python(saved):
    d = saved["slices"][0]
    sl = load_slice(d["definition"])
    rows = expected_rows(QUERY)
    assert 3 < len(rows) < N
    assert sl.name == "cats and fish"
    assert len(sl) == d["n"] == len(rows)
    assert sl.sample_ids == [IDS[j] for j in rows]
    assert sl.labels.dtype.kind == "i"
    assert sl.labels.tolist() == [LABELS[j] for j in rows]
    assert sl.class_names == [["cat", "dog", "fish"][LABELS[j]] for j in rows]
    assert sl.split == ["train"] * len(rows)
    np.testing.assert_array_equal(sl.values["s"], S[rows])
    np.testing.assert_array_equal(sl.values["u1"], U1[rows])
    np.testing.assert_allclose(sl.values["i12"], (R + U1 + U2 + S)[rows])
    assert set(sl.values) == {"r", "u1", "u2", "s", "i1", "i2", "i12"}
    assert sl.query == QUERY
    assert sl.run == "tiny"
    assert sl.results == Path(saved["results"]).resolve()
    m = sl.manifest
    assert m["columns"] == ["sample_id", "label", "class", "split", "r", "u1", "u2", "s", "i1", "i2", "i12"]
    assert {c["name"]: c["count"] for c in m["classes"]} == {
        n: sum(1 for j in rows if ["cat", "dog", "fish"][LABELS[j]] == n) for n in ("cat", "fish") if any(["cat", "dog", "fish"][LABELS[j]] == n for j in rows)}
    assert m["range"]["lo"] == -0.5 and m["range"]["hi"] is None
    assert m["values"]["s"]["max"] == pytest.approx(S[rows].max())
    # the table alone finds its definition
    assert load_slice(d["table"]).sample_ids == sl.sample_ids


def test_unfiltered_and_empty_slices(saved):
    every = load_slice(saved["slices"][1]["definition"])
    assert every.sample_ids == [IDS[j] for j in expected_rows({"sort": "r", "desc": False})]
    assert len(every) == N
    empty = load_slice(saved["slices"][2]["definition"])
    assert len(empty) == 0 and empty.labels.shape == (0,) and empty.values["r"].shape == (0,)


def test_missing_or_mismatched_files_are_clear_errors(saved, tmp_path):
    d = saved["slices"][0]
    with pytest.raises(SliceError) as e:
        load_slice(tmp_path / "gone.slice.json")
    assert e.value.code == "NOT_FOUND"
    with pytest.raises(SliceError) as e:
        load_slice(tmp_path / "notes.txt")
    assert e.value.code == "BAD_SLICE"
    # a definition whose table is missing
    lonely = tmp_path / "lonely.slice.json"
    shutil.copy(d["definition"], lonely)
    with pytest.raises(SliceError) as e:
        load_slice(lonely)
    assert e.value.code == "NOT_FOUND" and "lonely.slice.arrow" in str(e.value)
    # another slice's table beside this definition
    shutil.copy(saved["slices"][1]["table"], tmp_path / "lonely.slice.arrow")
    with pytest.raises(SliceError) as e:
        load_slice(lonely)
    assert e.value.code == "MISMATCH" and "everything" in str(e.value)
    # damaged JSON, a newer format
    bad = tmp_path / "bad.slice.json"
    bad.write_text("{ nope")
    with pytest.raises(SliceError) as e:
        load_slice(bad)
    assert e.value.code == "BAD_SLICE"
    newer = json.loads(Path(d["definition"]).read_text())
    newer["formatVersion"] = 9
    bad.write_text(json.dumps(newer))
    with pytest.raises(SliceError) as e:
        load_slice(bad)
    assert e.value.code == "UNSUPPORTED"
    assert isinstance(e.value, ValueError)
