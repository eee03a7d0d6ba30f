"""Intervals that stay honest at small counts, and p-values that never contradict them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairness.disparity import attribute_disparities
from fairness.intervals import mover_ratio, newcombe_difference, rate_p_value, wilson, z_of
from fairness.metrics import group_metrics

Z95 = z_of(0.95)


def test_wilson_matches_known_values_and_never_collapses() -> None:
    # Wilson 95% for 5/5 is 0.566 to 1 (Newcombe 1998, table I style figures)
    low, high = wilson(5, 5, Z95)
    assert float(low) == pytest.approx(0.5655, abs=1e-4)
    assert float(high) == 1.0
    low, high = wilson(0, 10, Z95)
    assert float(low) == 0.0
    assert float(high) == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(81, 263, Z95)  # Newcombe's example: 0.2553 to 0.3662
    assert (float(low), float(high)) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert np.isnan(wilson(0, 0, Z95)[0])


def test_mover_ratio_against_a_published_example() -> None:
    # Donner & Zou style check against a large-sample log interval: close when counts are large
    low, high = mover_ratio(400, 1000, 200, 1000, Z95)
    se = math.sqrt(1 / 400 - 1 / 1000 + 1 / 200 - 1 / 1000)
    assert float(low) == pytest.approx(2.0 * math.exp(-Z95 * se), rel=0.01)
    assert float(high) == pytest.approx(2.0 * math.exp(Z95 * se), rel=0.01)
    assert np.isnan(mover_ratio(3, 10, 0, 50, Z95)[0])  # no ratio to a reference of 0


def test_the_demo_case_five_of_five_missed_is_neither_tight_nor_significant() -> None:
    # "false negative rate, tatar: 100.0% against 61.6%": 5 of 5 against 616 of 1000
    low, high = mover_ratio(5, 5, 616, 1000, Z95)
    assert float(low) < 1.0 < float(high)  # contains 1: within chance, as the test says
    assert float(high) / float(low) > 1.5  # not 1.52 to 1.75
    assert float(rate_p_value(5, 5, 616, 1000)) > 0.05


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 60).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))),
    st.integers(1, 400).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_interval_excludes_the_null_exactly_when_the_test_is_significant(
    group: tuple[int, int], reference: tuple[int, int], level: float
) -> None:
    (k1, m1), (k2, m2) = group, reference
    p = float(rate_p_value(k1, m1, k2, m2))
    z = z_of(level)
    if k2 > 0:
        low, high = (float(x) for x in mover_ratio(k1, m1, k2, m2, z))
        excludes = low > 1.0 or high < 1.0
        point = (k1 / m1) / (k2 / m2)
        assert low - 1e-9 <= point <= high + 1e-9
    else:
        low, high = (float(x) for x in newcombe_difference(k1, m1, k2, m2, z))
        excludes = low > 0.0 or high < 0.0
    alpha = 1 - level
    if abs(p - alpha) > 1e-6:  # exactly on the boundary either answer is right
        assert excludes == (p < alpha), (k1, m1, k2, m2, level, p, low, high)


def test_p_value_is_one_for_equal_rates_and_small_for_a_clear_difference() -> None:
    assert float(rate_p_value(30, 100, 300, 1000)) == pytest.approx(1.0)
    assert float(rate_p_value(0, 100, 0, 1000)) == pytest.approx(1.0)
    assert float(rate_p_value(60, 100, 300, 1000)) < 1e-6
    assert np.isnan(rate_p_value(1, 0, 3, 10))


def _three_positive_counts(fn: int) -> np.ndarray:
    # reference: 2000 labelled, 40% missed; group b: 40 families, 3 labelled, fn of them missed
    return np.array([[1200, 300, 9000, 800], [3 - fn, 2, 35, fn]])


@pytest.mark.parametrize("fn", [0, 1, 2, 3])
@pytest.mark.parametrize("min_denominator", [1, 30])
def test_a_group_with_three_positives_never_shows_a_tight_interval(
    fn: int, min_denominator: int
) -> None:
    counts = _three_positive_counts(fn)
    out = attribute_disparities(
        "eth",
        ["a", "b"],
        n=counts.sum(axis=1),
        suppressed=np.array([False, False]),
        point=group_metrics(counts),
        boot=None,
        reference=0,
        counts=counts,
        min_denominator=min_denominator,
    )
    fnr = next(d for d in out if d.metric == "fnr")
    low, high = fnr.ratio_ci
    if min_denominator == 30:  # 3 labelled families < 30: no FNR judgement at all
        assert math.isnan(low)
        assert math.isnan(high)
        assert math.isnan(fnr.p_value)
        assert fnr.significant is None
    else:  # judged on purpose: the interval is wide and agrees with its p-value
        assert high - low > 1.0
        assert fnr.significant == (low > 1.0 or high < 1.0)
    # FOR has its own denominator (37 + families left off the list): judged in both cases
    for_ = next(d for d in out if d.metric == "for")
    assert math.isfinite(for_.p_value)


def test_percentile_bootstrap_would_have_collapsed_here() -> None:
    """Why the count-based intervals: at 5 of 5 every resample of the group says 100%."""
    from fairness.bootstrap import percentile_interval, resample_counts
    from fairness.metrics import ratio

    counts = np.array([[1200, 300, 9000, 800], [0, 2, 3, 5]])  # the demo's 5 of 5 missed
    boot = group_metrics(resample_counts(counts, n_boot=500, rng=np.random.default_rng(0)))
    samples = boot["fnr"]
    boot_low, boot_high = percentile_interval(ratio(samples[:, 1:], samples[:, :1]))
    honest_low, honest_high = mover_ratio(5, 5, 800, 2000, Z95)
    assert float(boot_high[0] - boot_low[0]) < 0.3  # the collapse the demo showed
    assert float(honest_high - honest_low) > 1.0
