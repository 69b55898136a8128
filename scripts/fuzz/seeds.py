"""Valid seed files for the fuzz suite (scripts/fuzz/run.mjs), written by real pyarrow and numpy:
Arrow IPC files (uncompressed, LZ4, ZSTD, dictionary-encoded ids, int64 ids, float16 and float64
embeddings, with logits and a split), an IPC stream, and npz files (stored and deflated, with a
JSON sidecar). Usage: python3 seeds.py <out-dir>"""
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
N, D, C = 30, 4, 3
rng = np.random.default_rng(7)


def fsl(a, width):
    return pa.FixedSizeListArray.from_arrays(pa.array(a.reshape(-1)), width)


def table(ids=None, emb_dtype=np.float32, logits=False, split=False):
    cols = {
        "sample_id": ids if ids is not None else pa.array([f"s{i:02d}" for i in range(N)]),
        "label": pa.array(np.arange(N) % C, pa.int64()),
        "emb_1": fsl(rng.normal(size=(N, D)).astype(emb_dtype), D),
        "emb_2": fsl(rng.normal(size=(N, D)).astype(emb_dtype), D),
    }
    if logits:
        for h in ("1", "2", "12"):
            cols[f"logits_{h}"] = fsl(rng.normal(size=(N, C)).astype(np.float32), C)
    if split:
        cols["split"] = pa.array(["train", "val", "test"] * (N // 3))
    t = pa.table(cols)
    return t.replace_schema_metadata({"lsmi": json.dumps({"class_names": ["a", "b", "c"], "run_name": "fuzz"})})


t = table()
feather.write_feather(t, os.path.join(OUT, "plain.arrow"), compression="uncompressed")
feather.write_feather(table(logits=True, split=True), os.path.join(OUT, "logits.arrow"), compression="uncompressed")
feather.write_feather(t, os.path.join(OUT, "lz4.arrow"), compression="lz4")
feather.write_feather(t, os.path.join(OUT, "zstd.arrow"), compression="zstd")
feather.write_feather(table(ids=pa.array([f"s{i:02d}" for i in range(N)]).dictionary_encode()), os.path.join(OUT, "dict.arrow"), compression="uncompressed")
feather.write_feather(table(ids=pa.array(np.arange(N, dtype=np.int64) + 2**40)), os.path.join(OUT, "int-ids.arrow"), compression="uncompressed")
feather.write_feather(table(emb_dtype=np.float16), os.path.join(OUT, "f16.arrow"), compression="uncompressed")
feather.write_feather(table(emb_dtype=np.float64), os.path.join(OUT, "f64.arrow"), compression="uncompressed")
with pa.OSFile(os.path.join(OUT, "stream.arrow"), "wb") as f:
    w = pa.ipc.new_stream(f, t.schema)
    w.write_table(t, max_chunksize=10)
    w.close()
arrays = {
    "sample_id": np.array([f"s{i:02d}" for i in range(N)]),
    "label": np.arange(N) % C,
    "emb_1": rng.normal(size=(N, D)).astype(np.float32),
    "emb_2": rng.normal(size=(N, D)).astype(np.float32),
}
np.savez(os.path.join(OUT, "stored.npz"), **arrays)
np.savez_compressed(os.path.join(OUT, "deflated.npz"), **arrays)
with open(os.path.join(OUT, "deflated.json"), "w") as f:
    json.dump({"class_names": ["a", "b", "c"], "run_name": "fuzz"}, f)
