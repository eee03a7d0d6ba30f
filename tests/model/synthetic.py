"""A small seeded feature matrix with a known logistic truth, for model tests."""

from __future__ import annotations

import numpy as np
import polars as pl

FEATURES = (  # names from the feature registry, so reasons render
    "police_domestic_call_6m",
    "hits_max",
    "school_concern_items_max",
    "days_since_police_signal",
    "n_children",
)


def synthetic_frame(n: int = 3000, *, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """Family ids, five features (with missing values) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    calls = rng.poisson(0.4, n).astype(float)
    hits = rng.integers(4, 21, n).astype(float)
    hits[rng.random(n) < 0.5] = np.nan  # half never screened
    afraid = (rng.random(n) < 0.1).astype(float)
    absent = rng.gamma(1.5, 2.0, n)
    noise = rng.integers(1, 6, n).astype(float)  # unrelated to the label
    logit = -3.2 + 0.9 * calls + 0.15 * np.nan_to_num(hits - 10.0) + 1.2 * afraid + 0.05 * absent
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    frame = pl.DataFrame(
        {
            "family_id": [f"F{seed}-{i:05d}" for i in range(n)],
            "police_domestic_call_6m": calls,
            "hits_max": hits,
            "school_concern_items_max": afraid,
            "days_since_police_signal": absent,
            "n_children": noise,
        }
    )
    return frame, y
