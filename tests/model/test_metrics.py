from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.metrics import (
    expected_calibration_error,
    inclusion_weights,
    list_metrics,
    precision_recall_at_k,
    top_k_size,
)


def _brute_force(y: np.ndarray, s: np.ndarray, k: int) -> tuple[int, int]:
    """Positives in the top k over every ordering consistent with the scores."""
    counts = set()
    for perm in itertools.permutations(range(len(s))):
        order = sorted(perm, key=lambda i: -s[i])  # stable sort keeps perm's order among ties
        counts.add(int(y[list(order[:k])].sum()))
    return min(counts), max(counts)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3)), min_size=1, max_size=6),
    st.integers(1, 6),
)
def test_tie_aware_top_k_matches_brute_force(pairs: list[tuple[int, int]], k: int) -> None:
    y = np.array([p[0] for p in pairs])
    s = np.array([float(p[1]) for p in pairs])
    k = min(k, len(s))
    pct = 100.0 * k / len(s)
    result = precision_recall_at_k(y, s, pct=pct)
    assert result.k == k
    worst, best = _brute_force(y, s, k)
    assert result.precision_worst == pytest.approx(worst / k)
    assert result.precision_best == pytest.approx(best / k)


def test_all_tied_scores_give_the_extremes() -> None:
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    result = precision_recall_at_k(y, np.zeros(10), pct=20)
    assert (result.precision_worst, result.precision_best) == (0.0, 1.0)
    assert (result.recall_worst, result.recall_best) == (0.0, 1.0)


def test_within_groups_takes_each_groups_own_top_k() -> None:
    # district A: 10 families, B: 10; scores in B are all lower than in A
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.r_[np.linspace(10, 1, 10), np.linspace(0.9, 0.0, 10)]
    groups = ["A"] * 10 + ["B"] * 10
    overall = precision_recall_at_k(y, s, pct=10)
    within = precision_recall_at_k(y, s, pct=10, groups=groups)
    assert overall.k == 2
    assert overall.precision_worst == 0.5
    assert within.k == 2
    assert within.precision_worst == 1.0
    assert within.recall_worst == 1.0


def test_top_k_size_rounds_up_and_refuses_bad_pct() -> None:
    assert top_k_size(30, 5) == 2
    assert top_k_size(100, 5) == 5
    assert top_k_size(1, 1) == 1
    with pytest.raises(ValueError, match="pct"):
        top_k_size(10, 0)


def test_ece_is_zero_for_perfectly_calibrated_bins_and_large_otherwise() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.3, 200_000)
    y = (rng.random(p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.005
    assert expected_calibration_error(y, np.clip(p * 2, 0, 1)) > 0.1


def test_list_metrics_flat_names() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(1000) < 0.1).astype(int)
    s = y + rng.normal(0, 1, 1000)
    m = list_metrics(y, s, probability=np.full(1000, 0.1), groups=rng.choice(["A", "B"], 1000))
    flat = m.as_dict()
    assert flat["auc"] > 0.6
    assert "precision_at_5pct" in flat
    assert "recall_at_5pct_district" in flat
    assert flat["brier"] == pytest.approx(np.mean((0.1 - y) ** 2))
    assert flat["base_rate"] == pytest.approx(y.mean())
    no_prob = list_metrics(y, s).as_dict()
    assert "brier" not in no_prob
    assert "ece" not in no_prob


def _mean_over_orderings(y: np.ndarray, s: np.ndarray, k: int) -> float:
    """Mean positives in the top k over every ordering of the families (ties broken by it)."""
    takes = [
        int(y[list(sorted(perm, key=lambda i: -s[i])[:k])].sum())
        for perm in itertools.permutations(range(len(s)))
    ]
    return sum(takes) / len(takes)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 2)), min_size=1, max_size=6),
    st.integers(1, 6),
)
def test_expected_top_k_is_the_mean_over_all_orderings_of_ties(
    pairs: list[tuple[int, int]], k: int
) -> None:
    y = np.array([p[0] for p in pairs])
    s = np.array([float(p[1]) for p in pairs])
    k = min(k, len(s))
    result = precision_recall_at_k(y, s, pct=100.0 * k / len(s))
    mean = _mean_over_orderings(y, s, k)
    assert result.precision_expected == pytest.approx(mean / k)
    if y.sum():
        assert result.recall_expected == pytest.approx(mean / y.sum())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 4)), min_size=1, max_size=200),
    st.floats(0.5, 100.0),
    st.booleans(),
)
def test_worst_at_most_expected_at_most_best(
    pairs: list[tuple[int, int]], pct: float, grouped: bool
) -> None:
    y = np.array([p[0] for p in pairs])
    s = np.array([float(p[1]) for p in pairs])
    groups = np.array(["A", "B", "C"])[np.arange(len(y)) % 3] if grouped else None
    r = precision_recall_at_k(y, s, pct=pct, groups=groups)
    assert r.precision_worst - 1e-12 <= r.precision_expected <= r.precision_best + 1e-12
    if y.sum():
        assert r.recall_worst - 1e-12 <= r.recall_expected <= r.recall_best + 1e-12


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 1), min_size=1, max_size=200),
    st.floats(0.5, 100.0),
    st.integers(0, 2**31),
)
def test_without_ties_worst_expected_and_best_agree(
    y_list: list[int], pct: float, seed: int
) -> None:
    y = np.array(y_list)
    s = np.random.default_rng(seed).permutation(len(y)).astype(float)  # distinct scores
    r = precision_recall_at_k(y, s, pct=pct)
    assert r.precision_worst == r.precision_expected == r.precision_best
    if y.sum():
        assert r.recall_worst == pytest.approx(r.recall_expected)
        assert r.recall_expected == pytest.approx(r.recall_best)


def test_expected_top_k_takes_the_tied_block_in_proportion() -> None:
    # 2 above the cut (1 positive), then a block of 10 tied with 3 positives; k = 5 takes 3
    y = np.array([1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    s = np.array([9.0, 8.0, *([1.0] * 10)])
    r = precision_recall_at_k(y, s, pct=100 * 5 / 12)
    assert r.k == 5
    assert r.precision_worst == pytest.approx(1 / 5)
    assert r.precision_best == pytest.approx(4 / 5)
    assert r.precision_expected == pytest.approx((1 + 3 * 3 / 10) / 5)
    flat = list_metrics(y, s, pcts=(100 * 5 / 12,)).as_dict()
    tag = f"{100 * 5 / 12:g}pct"
    assert flat[f"precision_at_{tag}"] == r.precision_worst  # the worst stays visible
    assert flat[f"precision_at_{tag}_expected"] == r.precision_expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 4), st.sampled_from("abc")),
        min_size=1,
        max_size=120,
    ),
    st.floats(0.5, 100.0),
)
def test_inclusion_weights_give_the_expected_precision_per_group(
    rows: list[tuple[int, int, str]], pct: float
) -> None:
    y = np.array([r[0] for r in rows])
    s = np.array([float(r[1]) for r in rows])
    g = np.array([r[2] for r in rows])
    w = inclusion_weights(s, pct=pct, groups=g)
    result = precision_recall_at_k(y, s, pct=pct, groups=g)
    assert np.all((w >= 0) & (w <= 1))
    assert w.sum() == pytest.approx(result.k)  # every group's capacity
    assert (w * y).sum() / w.sum() == pytest.approx(result.precision_expected)
