from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fairness.flagging import Threshold, TopK, TopPct, flag


def _frame(scores: list[float], part: list[str] | None = None) -> pl.DataFrame:
    data: dict[str, object] = {"s": scores}
    if part is not None:
        data["d"] = part
    return pl.DataFrame(data)


def test_threshold_flags_scores_at_or_above() -> None:
    got = flag(_frame([0.1, 0.5, 0.49, 0.9]), score_col="s", rule=Threshold(0.5))
    assert got.tolist() == [False, True, False, True]


def test_top_k_without_ties_flags_exactly_k() -> None:
    got = flag(_frame([0.3, 0.9, 0.1, 0.7, 0.5]), score_col="s", rule=TopK(2))
    assert got.tolist() == [False, True, False, True, False]


@pytest.mark.parametrize(
    ("ties", "expected"),
    [
        ("include", [True, True, True, True, False]),  # all three tied at the cut join
        ("exclude", [True, False, False, False, False]),  # none of them do
    ],
)
def test_top_k_treats_ties_at_the_cut_alike(ties: str, expected: list[bool]) -> None:
    frame = _frame([0.9, 0.5, 0.5, 0.5, 0.1])
    got = flag(frame, score_col="s", rule=TopK(2, ties=ties))  # type: ignore[arg-type]
    assert got.tolist() == expected


def test_tie_handling_does_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, size=200).astype(float)  # a checklist: many ties
    perm = rng.permutation(200)
    a = flag(_frame(scores.tolist()), score_col="s", rule=TopK(37))
    b = flag(_frame(scores[perm].tolist()), score_col="s", rule=TopK(37))
    assert (a[perm] == b).all()
    kth = np.sort(scores)[::-1][36]
    assert a.sum() == (scores >= kth).sum() >= 37


def test_top_pct_takes_the_ceiling_of_the_share() -> None:
    assert flag(_frame(list(np.linspace(0, 1, 100))), score_col="s", rule=TopPct(7)).sum() == 7
    assert flag(_frame(list(np.linspace(0, 1, 101))), score_col="s", rule=TopPct(7)).sum() == 8


def test_top_k_within_a_column_gives_each_part_its_own_list() -> None:
    frame = _frame([0.9, 0.8, 0.1, 0.2, 0.3, 0.05], ["x", "x", "x", "y", "y", "y"])
    got = flag(frame, score_col="s", rule=TopK(1), within="d")
    assert got.tolist() == [True, False, False, False, True, False]


def test_top_pct_within_uses_each_part_size() -> None:
    part = ["x"] * 10 + ["y"] * 40
    frame = _frame(list(np.random.default_rng(0).random(50)), part)
    got = flag(frame, score_col="s", rule=TopPct(10), within="d")
    assert got[:10].sum() == 1
    assert got[10:].sum() == 4


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TopK(0), "top_k"),
        (lambda: TopPct(0), "top_pct"),
        (lambda: TopPct(150), "top_pct"),
        (lambda: Threshold(float("nan")), "threshold"),
        (lambda: TopK(3, ties="random"), "ties"),  # type: ignore[arg-type]
    ],
)
def test_invalid_rules_are_refused(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_unknown_within_column_is_named() -> None:
    with pytest.raises(ValueError, match="district"):
        flag(_frame([0.1]), score_col="s", rule=TopK(1), within="district")
