#!/usr/bin/env python3
"""Generate the example runs shipped under examples/.

    python3 scripts/make_examples.py            # small versions (what is committed)
    python3 scripts/make_examples.py --full     # larger versions (do not commit)

Writes, with fixed seeds (re-running gives byte-identical files):

  circuits/       the circuit-logic sets of the LSMI paper (Table 1) at sigma = 0.1:
                  xor.arrow, or.arrow, xor_not_a.arrow, xor_not_b.arrow (no logits; the
                  engine trains probes), with the known ground truth in the metadata.
  fashion-mnist/  two runs of small numpy-trained models on Fashion-MNIST, top half vs bottom
                  half of each image: fmnist-late-fusion.arrow and fmnist-early-fusion.arrow,
                  on the same test samples, plus the PNG crops they point to (samples/).

Needs numpy and the exporter in python/lsmi_export (imported from this repository), and the
Fashion-MNIST files of Debian's dataset-fashion-mnist package (or --fmnist-dir).
"""

from __future__ import annotations

import argparse
import gzip
import re
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FMNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

# --------------------------------------------------------------------------------------------
# Exporter
# --------------------------------------------------------------------------------------------


def load_exporter():
    sys.path.insert(0, str(REPO / "python"))
    try:
        import lsmi_export  # noqa: WPS433
    except ImportError as exc:  # pragma: no cover - only when the package is missing
        sys.exit(f"make_examples: cannot import lsmi_export from {REPO / 'python'}: {exc}")
    return lsmi_export


# --------------------------------------------------------------------------------------------
# (a) Circuit logic (docs/estimator.md, "Synthetic data with known answers"; paper Table 1)
# --------------------------------------------------------------------------------------------

SIGMA = 0.1
CIRCUIT_SEED = 20250701

LN2 = float(np.log(2.0))


def _gt(r, u1, u2, s):
    return {"R": r, "U1": u1, "U2": u2, "S": s}


# Ground truth (R, U1, U2, S) in nats, adjusted (RUS adjustment), true label prior.
# "paper": the paper's Table 1; "discrete_exact": sigma -> 0; "population_sigma_0.1": exact
# densities at sigma = 0.1 (docs/estimator.md, "Synthetic data with known answers").
CIRCUITS = {
    "xor": {
        "rule": "y = a XOR b",
        "encoding": "x1 = e_a (2-d), x2 = e_b (2-d)",
        "d1": 2,
        "d2": 2,
        "label_prior": [0.5, 0.5],
        "ground_truth": {
            "paper": _gt(0.0, 0.0, 0.0, 0.693),
            "discrete_exact": _gt(0.0, 0.0, 0.0, 0.6931),
            "population_sigma_0.1": _gt(0.0, 0.0, 0.0, 0.6931),
        },
    },
    "or": {
        "rule": "y = a OR b (unbalanced: p(y=1) = 3/4)",
        "encoding": "x1 = e_a (2-d), x2 = e_b (2-d)",
        "d1": 2,
        "d2": 2,
        "label_prior": [0.25, 0.75],
        "ground_truth": {
            "paper": _gt(0.215, 0.0, 0.0, 0.347),
            "discrete_exact": _gt(0.2158, 0.0, 0.0, 0.3466),
            "population_sigma_0.1": _gt(0.2151, 0.0, 0.0005, 0.3466),
        },
    },
    "xor_not_a": {
        "rule": "m ~ Bern(1/2); y = a XOR b if m = 0, y = NOT b if m = 1",
        "encoding": "variant A: x1 = e_{a+2m} (4-d), x2 = e_{b+2m} (4-d)",
        "d1": 4,
        "d2": 4,
        "label_prior": [0.5, 0.5],
        "ground_truth": {
            "paper": _gt(0.0, 0.0, 0.347, 0.347),
            "discrete_exact": _gt(0.0, 0.0, 0.3466, 0.3466),
            "population_sigma_0.1": _gt(0.0, 0.0, 0.3466, 0.3465),
        },
    },
    "xor_not_b": {
        "rule": "m ~ Bern(1/2); y = a XOR b if m = 0, y = NOT b if m = 1",
        "encoding": "variant B: x1 = e_a (2-d), x2 = e_{b+2m} (4-d)",
        "d1": 2,
        "d2": 4,
        "label_prior": [0.5, 0.5],
        "ground_truth": {
            # Not in the spec's table. Derived: mean MIs are I1 = 0, I2 = ln2/2, I12 = ln2, and
            # the priority-2 adjustment fires (raw U1 < 0), so the adjusted atoms are
            # (min(I1,I2), I1-min, I2-min, I12-max(I1,I2)); checked with an exact-density
            # Monte-Carlo oracle (4e5 samples: 0, 0, 0.3455, 0.3476, within MC error).
            "paper": None,
            "discrete_exact": _gt(0.0, 0.0, 0.3466, 0.3466),
            "population_sigma_0.1": _gt(0.0, 0.0, 0.3466, 0.3466),
        },
    },
}


def make_circuit(name: str, n: int, seed: int):
    """Draw one circuit set; returns (x1, x2, y, split)."""
    spec = CIRCUITS[name]
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 2, n)
    m = rng.integers(0, 2, n)
    if name == "xor":
        y, c1, c2 = a ^ b, a, b
    elif name == "or":
        y, c1, c2 = a | b, a, b
    elif name == "xor_not_a":
        y, c1, c2 = np.where(m == 0, a ^ b, 1 - b), a + 2 * m, b + 2 * m
    elif name == "xor_not_b":
        y, c1, c2 = np.where(m == 0, a ^ b, 1 - b), a, b + 2 * m
    else:  # pragma: no cover
        raise ValueError(name)
    d1, d2 = spec["d1"], spec["d2"]
    x1 = np.eye(d1)[c1] + SIGMA * rng.standard_normal((n, d1))
    x2 = np.eye(d2)[c2] + SIGMA * rng.standard_normal((n, d2))
    n_train = int(round(0.8 * n))
    split = np.full(n, "test", dtype=object)
    split[rng.permutation(n)[:n_train]] = "train"
    return x1.astype(np.float32), x2.astype(np.float32), y.astype(np.int64), split


def write_circuits(exporter, out: Path, n: int, written: list):
    out.mkdir(parents=True, exist_ok=True)
    for k, (name, spec) in enumerate(CIRCUITS.items()):
        seed = CIRCUIT_SEED + k
        x1, x2, y, split = make_circuit(name, n, seed)
        width = max(5, len(str(n - 1)))
        ids = [f"{name}-{i:0{width}d}" for i in range(n)]
        gt = spec["ground_truth"]
        extra = {
            "generator": {
                "source": "paper Table 1 circuit logic (docs/lsmi-spec.md section 7)",
                "latents": "a, b, m ~ Bern(1/2) iid",
                "rule": spec["rule"],
                "encoding": spec["encoding"] + "; each modality is a one-hot code plus sigma * N(0, I)",
                "sigma": SIGMA,
                "n": n,
                "seed": seed,
                "split": "80% train / 20% test, random",
                "script": "scripts/make_examples.py",
            },
            "ground_truth": gt["population_sigma_0.1"],
            "ground_truth_table": gt,
            "ground_truth_notes": "nats; RUS-adjusted dataset means with the true label prior "
            "(given as label_prior). 'ground_truth' is the population value at sigma = 0.1.",
        }
        path = out / f"{name}.arrow"
        exporter.write_run(
            path,
            emb_1=x1,
            emb_2=x2,
            labels=y,
            sample_ids=ids,
            split=list(split),
            class_names=["0", "1"],
            modality_names=["x1", "x2"],
            run_name=name,
            architecture="synthetic circuit (paper Table 1)",
            label_prior=spec["label_prior"],
            extra=extra,
        )
        written.append(path)


# --------------------------------------------------------------------------------------------
# (b) Fashion-MNIST, top half vs bottom half
# --------------------------------------------------------------------------------------------

FMNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
FMNIST_SEED = 1234
HIDDEN = 64
HALF = 14 * 28  # 392 pixels per half


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist(folder: Path):
    files = {
        "train_x": "train-images-idx3-ubyte.gz",
        "train_y": "train-labels-idx1-ubyte.gz",
        "test_x": "t10k-images-idx3-ubyte.gz",
        "test_y": "t10k-labels-idx1-ubyte.gz",
    }
    missing = [f for f in files.values() if not (folder / f).exists()]
    if missing:
        sys.exit(f"make_examples: Fashion-MNIST files not found in {folder}: {', '.join(missing)} "
                 "(install Debian's dataset-fashion-mnist, or pass --fmnist-dir)")
    return {k: read_idx(folder / f) for k, f in files.items()}


# ---- PNG (8-bit grayscale, no Pillow) ----

def png_gray(img: np.ndarray) -> bytes:
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def write_if_changed(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    path.write_bytes(data)


# ---- model ----

def relu(x):
    return np.maximum(x, 0.0)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def init_params(rng, fusion: str):
    """He-normal weights, zero biases. Encoders and unimodal heads are drawn first, so both
    models start from the same encoders."""
    def dense(n_in, n_out):
        return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), np.zeros(n_out)

    p = {}
    p["W1"], p["b1"] = dense(HALF, HIDDEN)
    p["W2"], p["b2"] = dense(HALF, HIDDEN)
    p["V1"], p["c1"] = dense(HIDDEN, 10)
    p["V2"], p["c2"] = dense(HIDDEN, 10)
    if fusion == "late":
        p["V12"], p["c12"] = dense(2 * HIDDEN, 10)
    else:
        p["W3"], p["b3"] = dense(2 * HALF, HIDDEN)
        p["V12"], p["c12"] = dense(HIDDEN, 10)
    return p


def forward(p, x, fusion: str):
    x1, x2 = x[:, :HALF], x[:, HALF:]
    a1 = x1 @ p["W1"] + p["b1"]
    a2 = x2 @ p["W2"] + p["b2"]
    h1, h2 = relu(a1), relu(a2)
    cache = {"x": x, "x1": x1, "x2": x2, "a1": a1, "a2": a2, "h1": h1, "h2": h2}
    z1 = h1 @ p["V1"] + p["c1"]
    z2 = h2 @ p["V2"] + p["c2"]
    if fusion == "late":
        hf = np.concatenate([h1, h2], axis=1)
    else:
        a3 = x @ p["W3"] + p["b3"]
        cache["a3"] = a3
        hf = relu(a3)
    cache["hf"] = hf
    z12 = hf @ p["V12"] + p["c12"]
    return (z1, z2, z12), cache


def backward(p, cache, zs, y, fusion: str):
    """Gradients of mean(CE1) + mean(CE2) + mean(CE12)."""
    n = y.shape[0]
    onehot = np.zeros((n, 10))
    onehot[np.arange(n), y] = 1.0
    dz = [(np.exp(log_softmax(z)) - onehot) / n for z in zs]
    g = {}
    g["V1"], g["c1"] = cache["h1"].T @ dz[0], dz[0].sum(0)
    g["V2"], g["c2"] = cache["h2"].T @ dz[1], dz[1].sum(0)
    g["V12"], g["c12"] = cache["hf"].T @ dz[2], dz[2].sum(0)
    dh1 = dz[0] @ p["V1"].T
    dh2 = dz[1] @ p["V2"].T
    dhf = dz[2] @ p["V12"].T
    if fusion == "late":
        dh1 = dh1 + dhf[:, :HIDDEN]
        dh2 = dh2 + dhf[:, HIDDEN:]
    else:
        da3 = dhf * (cache["a3"] > 0)
        g["W3"], g["b3"] = cache["x"].T @ da3, da3.sum(0)
    da1 = dh1 * (cache["a1"] > 0)
    da2 = dh2 * (cache["a2"] > 0)
    g["W1"], g["b1"] = cache["x1"].T @ da1, da1.sum(0)
    g["W2"], g["b2"] = cache["x2"].T @ da2, da2.sum(0)
    return g


def predict(p, x, fusion: str, batch: int = 2000):
    outs = [[], [], []]
    embs = [[], []]
    for s in range(0, x.shape[0], batch):
        zs, cache = forward(p, x[s:s + batch], fusion)
        for k in range(3):
            outs[k].append(zs[k])
        embs[0].append(cache["h1"])
        embs[1].append(cache["h2"])
    return [np.concatenate(o) for o in outs], [np.concatenate(e) for e in embs]


def head_metrics(logits, y):
    acc = {}
    loss = {}
    for name, z in zip(("head_1", "head_2", "head_12"), logits):
        acc[name] = round(float((z.argmax(1) == y).mean()), 4)
        loss[name] = round(float(-log_softmax(z)[np.arange(len(y)), y].mean()), 4)
    return acc, loss


def train(fusion: str, x, y, cfg):
    rng_init = np.random.default_rng(cfg["seed"])
    rng_order = np.random.default_rng(cfg["seed"] + 1)
    p = init_params(rng_init, fusion)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    t = 0
    n = x.shape[0]
    bs = cfg["batch_size"]
    for epoch in range(cfg["epochs"]):
        lr = cfg["lr"] * (cfg["lr_decay"] ** epoch)
        order = rng_order.permutation(n)
        for s in range(0, n, bs):
            idx = order[s:s + bs]
            zs, cache = forward(p, x[idx], fusion)
            g = backward(p, cache, zs, y[idx], fusion)
            t += 1
            corr1 = 1 - b1 ** t
            corr2 = 1 - b2 ** t
            for k in p:
                gk = g[k]
                if cfg["weight_decay"] and k[0] in "WV":
                    gk = gk + cfg["weight_decay"] * p[k]
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                p[k] -= lr * (m[k] / corr1) / (np.sqrt(v[k] / corr2) + eps)
    return p


def write_fmnist(exporter, out: Path, fmnist_dir: Path, n_train: int, n_eval: int, epochs: int,
                 written: list):
    t0 = time.time()
    data = load_fmnist(fmnist_dir)
    rng = np.random.default_rng(FMNIST_SEED)
    train_idx = np.sort(rng.permutation(data["train_x"].shape[0])[:n_train])
    xtr_u8 = data["train_x"][train_idx].reshape(n_train, 784)
    ytr = data["train_y"][train_idx].astype(np.int64)
    eval_idx = np.arange(n_eval)
    xte_all_u8 = data["test_x"].reshape(-1, 784)
    yte_all = data["test_y"].astype(np.int64)

    # Standardise with the training subset's global pixel mean and std.
    mean = float(xtr_u8.mean() / 255.0)
    std = float((xtr_u8 / 255.0).std())

    def prep(u8):
        return (u8.astype(np.float64) / 255.0 - mean) / std

    xtr = prep(xtr_u8)
    xte_all = prep(xte_all_u8)

    cfg = {
        "seed": FMNIST_SEED,
        "epochs": epochs,
        "batch_size": 128,
        "lr": 1e-3,
        "lr_decay": 0.9,
        "weight_decay": 1e-4,
    }
    training = {
        "train_images": n_train,
        "train_subset": f"random subset of the 60000 Fashion-MNIST training images (seed {FMNIST_SEED})",
        "preprocessing": f"pixels / 255, standardised with the subset's global mean {mean:.4f} and std {std:.4f}",
        "optimizer": "Adam (beta1 0.9, beta2 0.999, eps 1e-8), minibatches, numpy float64",
        "loss": "CE(head_1) + CE(head_2) + CE(head_12), means over the minibatch, trained jointly",
        "init": "He-normal weights, zero biases; both models use the same seed, so they start from "
                "the same encoders and unimodal heads and see the same minibatch order",
        "epochs": cfg["epochs"],
        "batch_size": cfg["batch_size"],
        "learning_rate": cfg["lr"],
        "lr_decay_per_epoch": cfg["lr_decay"],
        "weight_decay_l2": cfg["weight_decay"],
        "seed": cfg["seed"],
    }

    # PNG crops, shared by both runs.
    width = 5
    ids = [f"fmnist-test-{i:0{width}d}" for i in eval_idx]
    top_dir = out / "samples" / "top"
    bottom_dir = out / "samples" / "bottom"
    top_dir.mkdir(parents=True, exist_ok=True)
    bottom_dir.mkdir(parents=True, exist_ok=True)
    imgs = data["test_x"]
    wanted = set()
    for i, sid in zip(eval_idx, ids):
        fname = f"{sid}.png"
        wanted.add(fname)
        write_if_changed(top_dir / fname, png_gray(imgs[i, :14, :]))
        write_if_changed(bottom_dir / fname, png_gray(imgs[i, 14:, :]))
    pattern = re.compile(r"^fmnist-test-\d{5}\.png$")
    for d in (top_dir, bottom_dir):
        for f in d.iterdir():  # drop crops left over from a run with more samples
            if pattern.match(f.name) and f.name not in wanted:
                f.unlink()
    paths_1 = [f"samples/top/{sid}.png" for sid in ids]
    paths_2 = [f"samples/bottom/{sid}.png" for sid in ids]

    archs = {
        "late": "two MLP encoders (392 -> 64, ReLU), one per image half; linear unimodal heads "
                "64 -> 10 on each embedding; late-fusion head: linear 128 -> 10 on the concatenated "
                "embeddings; all trained jointly in numpy",
        "early": "two MLP encoders (392 -> 64, ReLU), one per image half, with linear unimodal heads "
                 "64 -> 10 (emb_1, emb_2, logits_1, logits_2); early-fusion head: an MLP on the "
                 "concatenated raw pixels of both halves, 784 -> 64 (ReLU) -> 10, which does not "
                 "use the encoders; all trained jointly in numpy",
    }
    results = {}
    for fusion in ("late", "early"):
        tf = time.time()
        p = train(fusion, xtr, ytr, cfg)
        tr_logits, _ = predict(p, xtr, fusion)
        te_logits, te_embs = predict(p, xte_all, fusion)
        tr_acc, tr_loss = head_metrics(tr_logits, ytr)
        all_acc, all_loss = head_metrics(te_logits, yte_all)
        ev_logits = [z[eval_idx] for z in te_logits]
        ev_embs = [e[eval_idx] for e in te_embs]
        ev_acc, ev_loss = head_metrics(ev_logits, yte_all[eval_idx])
        results[fusion] = ev_acc
        run_name = f"fmnist-{fusion}-fusion"
        extra = {
            "dataset": "Fashion-MNIST (Debian package dataset-fashion-mnist); samples are the first "
                       f"{n_eval} images of t10k, sample_id = fmnist-test-<t10k index>",
            "views": {"top half": "image rows 0-13 (28 x 14 px)", "bottom half": "image rows 14-27 (28 x 14 px)"},
            "heads": {"logits_1": "head_1 (top half only)", "logits_2": "head_2 (bottom half only)",
                      "logits_12": f"head_12 ({fusion} fusion)"},
            "accuracy": {"train": tr_acc, "test": ev_acc, "test_all_10000": all_acc},
            "log_loss": {"train": tr_loss, "test": ev_loss, "test_all_10000": all_loss},
            "training": training,
            "script": "scripts/make_examples.py",
        }
        path = out / f"{run_name}.arrow"
        exporter.write_run(
            path,
            emb_1=ev_embs[0].astype(np.float32),
            emb_2=ev_embs[1].astype(np.float32),
            labels=yte_all[eval_idx],
            logits_1=ev_logits[0].astype(np.float32),
            logits_2=ev_logits[1].astype(np.float32),
            logits_12=ev_logits[2].astype(np.float32),
            sample_ids=ids,
            paths_1=paths_1,
            paths_2=paths_2,
            split=["test"] * n_eval,
            class_names=FMNIST_CLASSES,
            modality_names=["top half", "bottom half"],
            run_name=run_name,
            architecture=archs[fusion],
            fusion=fusion,
            label_prior=[0.1] * 10,
            extra=extra,
        )
        written.append(path)
        print(f"  {run_name}: trained in {time.time() - tf:.1f}s; "
              f"train acc {tr_acc}; test acc ({n_eval} exported) {ev_acc}; test log-loss {ev_loss}")
    print(f"  fashion-mnist done in {time.time() - t0:.1f}s")
    return results


# --------------------------------------------------------------------------------------------


def human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true",
                    help="larger versions: 10000 circuit samples, all 60000 training and 10000 test "
                         "images (about 16 MB, 20000 PNGs, ~2 min; not meant to be committed)")
    ap.add_argument("--out", type=Path, default=REPO / "examples", help="output folder (default: examples/)")
    ap.add_argument("--only", choices=["circuits", "fashion-mnist"], help="generate one example set only")
    ap.add_argument("--fmnist-dir", type=Path, default=DEFAULT_FMNIST_DIR,
                    help=f"folder with the Fashion-MNIST .gz files (default: {DEFAULT_FMNIST_DIR})")
    args = ap.parse_args(argv)

    t0 = time.time()
    exporter = load_exporter()
    out = args.out.resolve()
    written: list = []

    if args.only in (None, "circuits"):
        n = 10000 if args.full else 4000
        print(f"circuits (N = {n}, sigma = {SIGMA}) ...")
        write_circuits(exporter, out / "circuits", n, written)
    if args.only in (None, "fashion-mnist"):
        n_train, n_eval, epochs = (60000, 10000, 20) if args.full else (12000, 2000, 20)
        print(f"fashion-mnist (train {n_train}, evaluate {n_eval}) ...")
        write_fmnist(exporter, out / "fashion-mnist", args.fmnist_dir, n_train, n_eval, epochs, written)

    print("\nwrote:")
    total = 0
    for path in written:
        size = path.stat().st_size
        total += size
        print(f"  {human(size):>10}  {shown(path)}")
    samples = out / "fashion-mnist" / "samples"
    if args.only in (None, "fashion-mnist") and samples.exists():
        pngs = sorted(samples.rglob("*.png"))
        size = sum(f.stat().st_size for f in pngs)
        total += size
        print(f"  {human(size):>10}  {shown(samples)}/ ({len(pngs)} PNG files)")
    print(f"  {human(total):>10}  total, in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
