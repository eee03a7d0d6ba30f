from __future__ import annotations

import numpy as np
import pytest

from fairness.bootstrap import percentile_interval, resample_counts, wald_p_value
from fairness.metrics import confusion_counts, group_metrics


def test_multinomial_counts_match_resampling_rows() -> None:
    """Drawing cell counts is the same distribution as re-indexing rows within the group."""
    rng = np.random.default_rng(5)
    n = 400
    flagged = rng.random(n) < 0.2
    label = rng.random(n) < 0.15 + 0.3 * flagged
    codes = np.zeros(n, dtype=np.int64)
    counts = confusion_counts(flagged, label, codes, 1)

    fast = group_metrics(resample_counts(counts, n_boot=4000, rng=np.random.default_rng(1)))["fnr"]
    slow_rng = np.random.default_rng(2)
    slow = []
    for _ in range(4000):
        idx = slow_rng.integers(0, n, size=n)
        slow.append(group_metrics(confusion_counts(flagged[idx], label[idx], codes, 1))["fnr"][0])
    slow_arr = np.array(slow)
    assert np.nanmean(fast) == pytest.approx(np.nanmean(slow_arr), abs=0.005)
    assert np.nanstd(fast) == pytest.approx(np.nanstd(slow_arr), rel=0.08)


def test_resampling_keeps_each_group_size_and_is_seeded() -> None:
    counts = np.array([[5, 10, 80, 5], [1, 2, 30, 0]])
    a = resample_counts(counts, n_boot=50, rng=np.random.default_rng(9))
    b = resample_counts(counts, n_boot=50, rng=np.random.default_rng(9))
    assert (a == b).all()
    assert (a.sum(axis=-1) == counts.sum(axis=-1)).all()
    assert (a[:, 1, 3] == 0).all()  # an empty cell stays empty


def test_interval_is_null_when_too_many_resamples_are_undefined() -> None:
    samples = np.array([[0.1, np.nan]] * 90 + [[0.2, 0.5]] * 10)
    low, high = percentile_interval(samples)
    assert low[0] == pytest.approx(0.1)
    assert high[0] == pytest.approx(0.2)
    assert np.isnan(low[1])
    assert np.isnan(high[1])


def test_wald_p_value_small_for_clear_difference_and_large_for_none() -> None:
    rng = np.random.default_rng(0)
    samples = rng.normal(0.0, 0.01, size=(2000, 2))
    p = wald_p_value(np.array([0.05, 0.005]), samples)
    assert p[0] < 1e-5
    assert 0.5 < p[1] < 0.8  # z = 0.5
