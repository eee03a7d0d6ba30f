from __future__ import annotations

import numpy as np
import pytest

from fairness.disparity import attribute_disparities, best_group, largest_group


def _point(values: dict[str, list[float]]) -> dict[str, np.ndarray]:
    base = {m: np.array([0.5, 0.5, 0.5]) for m in ("fnr", "for", "fpr", "fdr", "tpr")}
    base |= {m: np.array([0.5, 0.5, 0.5]) for m in ("precision", "pprev", "ppr")}
    base |= {k: np.array(v) for k, v in values.items()}
    return base


def test_ratio_difference_and_band() -> None:
    point = _point({"fnr": [0.2, 0.3, 0.24]})
    out = attribute_disparities(
        "eth",
        ["a", "b", "c"],
        n=np.array([100, 50, 40]),
        suppressed=np.array([False, False, False]),
        point=point,
        boot=None,
        reference=0,
    )
    fnr = {d.group: d for d in out if d.metric == "fnr"}
    assert set(fnr) == {"b", "c"}  # the reference is not compared with itself
    assert fnr["b"].ratio == pytest.approx(1.5)
    assert fnr["b"].difference == pytest.approx(0.1)
    assert fnr["b"].outside_band is True
    assert fnr["c"].outside_band is False  # 1.2 is inside [0.8, 1.25]
    assert fnr["b"].significant is None  # no bootstrap, no interval
    assert fnr["b"].side == "assistive"


def test_zero_reference_gives_undefined_ratio_not_a_crash() -> None:
    out = attribute_disparities(
        "eth",
        ["a", "b"],
        n=np.array([100, 50]),
        suppressed=np.array([False, False]),
        point=_point({"fnr": [0.0, 0.3]})
        | {
            m: np.array([0.5, 0.5])
            for m in ("for", "fpr", "fdr", "tpr", "precision", "pprev", "ppr")
        },
        boot=None,
        reference=0,
    )
    d = next(d for d in out if d.metric == "fnr")
    assert np.isnan(d.ratio)
    assert d.outside_band is None
    assert d.difference == pytest.approx(0.3)


def test_reference_pickers_skip_suppressed_groups() -> None:
    n = np.array([10, 500, 300])
    suppressed = np.array([False, True, False])
    assert largest_group(n, suppressed) == 2
    values = np.array([0.3, 0.1, np.nan])
    assert best_group(values, np.array([False, True, False]), "fnr") == 0
    assert best_group(np.array([0.3, 0.6]), np.array([False, False]), "tpr") == 1
    assert largest_group(n, np.array([True, True, True])) is None


def test_interval_excluding_one_marks_significance() -> None:
    rng = np.random.default_rng(0)
    boot = {
        m: rng.normal(0.5, 0.01, size=(500, 2))
        for m in ("for", "fpr", "fdr", "tpr", "precision", "pprev", "ppr")
    }
    boot["fnr"] = np.column_stack([rng.normal(0.2, 0.01, 500), rng.normal(0.3, 0.01, 500)])
    point = {m: np.array([0.5, 0.5]) for m in boot} | {"fnr": np.array([0.2, 0.3])}
    out = attribute_disparities(
        "eth",
        ["a", "b"],
        n=np.array([1000, 1000]),
        suppressed=np.array([False, False]),
        point=point,
        boot=boot,
        reference=0,
    )
    fnr = next(d for d in out if d.metric == "fnr")
    assert fnr.significant is True
    assert fnr.ratio_ci[0] > 1.25
    assert fnr.p_value < 1e-6
    fpr = next(d for d in out if d.metric == "fpr")
    assert fpr.significant is False
    assert fpr.p_value > 0.01


def test_rates_at_zero_or_one_are_tested_on_their_counts_not_the_collapsed_bootstrap() -> None:
    # group b: 5 labelled families, all missed (FNR 100%) against 70% in a large reference group.
    counts = np.array([[300, 100, 8600, 700], [0, 2, 50, 5]])
    from fairness.bootstrap import resample_counts
    from fairness.metrics import group_metrics

    point = group_metrics(counts)
    boot = group_metrics(resample_counts(counts, n_boot=400, rng=np.random.default_rng(0)))
    out = attribute_disparities(
        "eth",
        ["a", "b"],
        n=counts.sum(axis=1),
        suppressed=np.array([False, False]),
        point=point,
        boot=boot,
        reference=0,
        counts=counts,
    )
    fnr = next(d for d in out if d.metric == "fnr")
    own = boot["fnr"][:, 1]
    assert np.all(own[np.isfinite(own)] == 1.0)  # the bootstrap collapses at 100% ...
    assert fnr.p_value > 0.05  # ... the count-based test does not: 0.7 ** 5 = 0.17 is no rarity
    low, high = fnr.ratio_ci
    assert low < 1.0 < high  # and the interval says the same
    assert fnr.significant is False
