import sys
from pathlib import Path

import numpy as np
import pytest

# the tests run against the source tree, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture
def run():
    """Keyword arguments of a small valid run: 12 samples, 3 classes, all three heads."""
    rng = np.random.default_rng(0)
    n = 12
    return dict(
        emb_1=rng.normal(size=(n, 5)),
        emb_2=rng.normal(size=(n, 4)).astype(np.float32),
        labels=np.arange(n) % 3,
        logits_1=rng.normal(size=(n, 3)),
        logits_2=rng.normal(size=(n, 3)),
        logits_12=rng.normal(size=(n, 3)),
        sample_ids=[f"s{i:02d}" for i in range(n)],
        paths_1=[f"img/{i}.png" if i % 4 else None for i in range(n)],
        paths_2=[f"txt/{i}.txt" for i in range(n)],
        split=["train", "val", "test"] * 4,
        class_names=["cat", "dog", "bird"],
        modality_names=["image", "text"],
        run_name="unit",
        architecture="two MLPs",
        fusion="late",
        label_prior=[0.5, 0.25, 0.25],
        extra={"seed": np.int64(3), "lr": np.float32(0.5), "tags": np.array([1, 2])},
    )
