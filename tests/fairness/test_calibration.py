from __future__ import annotations

import numpy as np
import pytest

from fairness import Threshold
from fairness.calibration import bin_edges, bin_index, calibration_cells, calibration_stats
from tests.fairness.synthetic import audit_scores, scores_frame


def test_ece_and_error_by_hand() -> None:
    scores = np.array([0.1, 0.1, 0.2, 0.8, 0.9, 0.9])
    label = np.array([0, 1, 0, 1, 1, 0])
    codes = np.zeros(6, dtype=np.int64)
    edges = np.array([0.0, 0.5, 1.0])
    counts, sums = calibration_cells(scores, label, codes, 1, edges)
    stats = calibration_stats(counts, sums)
    # bin 0: mean score 0.4/3, observed 1/3; bin 1: mean 2.6/3, observed 2/3
    expected_ece = (3 / 6) * abs(0.4 / 3 - 1 / 3) + (3 / 6) * abs(2.6 / 3 - 2 / 3)
    assert stats["ece"][0] == pytest.approx(expected_ece)
    assert stats["error"][0] == pytest.approx((3.0 - 3) / 6)
    assert stats["bin_observed_rate"][0].tolist() == pytest.approx([1 / 3, 2 / 3])


def test_edges_collapse_on_ties_and_keep_a_tied_mass_apart() -> None:
    scores = np.array([0.0] * 95 + [0.5] * 5)
    edges = bin_edges(scores, 10)
    assert edges.tolist() == [0.0, 0.0, 0.5]
    assert np.bincount(bin_index(scores, edges)).tolist() == [95, 5]
    assert bin_edges(np.full(5, 0.3), 10).tolist() == [0.3, 0.3]
    assert bin_index(np.full(5, 0.3), np.array([0.3, 0.3])).tolist() == [0] * 5


def test_continuous_scores_get_equal_count_bins() -> None:
    scores = np.random.default_rng(0).random(1000)
    counts = np.bincount(bin_index(scores, bin_edges(scores, 10)))
    assert counts.size == 10
    assert counts.min() >= 99


def test_calibrated_tool_has_small_gaps_and_shifted_group_a_large_one() -> None:
    fair = audit_scores(
        scores_frame(6000, seed=1),
        group_cols=["group"],
        flag=Threshold(0.2),
        n_boot=200,
    )
    for gap in fair.calibration_gaps:
        assert abs(gap.difference) < 0.03
    biased = audit_scores(
        scores_frame(6000, seed=1, shift=0.4),
        group_cols=["group"],
        flag=Threshold(0.2),
        n_boot=200,
    )
    gap_b = next(g for g in biased.calibration_gaps if g.group == "b")
    assert gap_b.difference < -0.03  # scores under-state group b's risk
    assert gap_b.significant is True
    assert gap_b.ci[1] < 0
