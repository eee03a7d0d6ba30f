from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fairness import TopPct
from tests.fairness.synthetic import audit_scores, scores_frame


def test_police_share_is_larger_for_the_group_whose_score_police_signals_drive() -> None:
    frame = scores_frame(3000, seed=1)
    rng = np.random.default_rng(1)
    in_b = (frame.get_column("group") == "b").to_numpy()
    contributions = pl.DataFrame(
        {
            "school": rng.uniform(0.0, 0.2, frame.height),
            "clinic": rng.uniform(0.0, 0.2, frame.height),
            "police": rng.uniform(0.0, 0.2, frame.height) * np.where(in_b, 3.0, 1.0),
        }
    )
    report = audit_scores(
        frame,
        group_cols=["group"],
        flag=TopPct(10),
        n_boot=0,
        contributions=contributions,
    )
    entries = {(e.group, e.scope): e for e in report.explanations}
    b, a = entries["b", "all"], entries["a", "all"]
    assert b.share["police"] > 0.5 > a.share["police"]
    assert sum(b.share.values()) == pytest.approx(1.0)
    expected = contributions.filter(pl.Series(in_b)).get_column("police").mean()
    assert b.mean_abs["police"] == pytest.approx(expected)
    group_b = report.group("group", "b")
    assert group_b.tp is not None
    assert group_b.fp is not None
    assert entries["b", "flagged"].n == group_b.tp + group_b.fp


def test_negative_contributions_are_refused() -> None:
    frame = scores_frame(100, seed=2)
    with pytest.raises(ValueError, match="police"):
        audit_scores(
            frame,
            group_cols=["group"],
            flag=TopPct(10),
            contributions=pl.DataFrame({"police": -np.ones(100)}),
        )
