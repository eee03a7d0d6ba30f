from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import precision_score

from fairness.metrics import METRICS, confusion_counts, group_metrics


def test_hand_computed_confusion_matrix() -> None:
    flagged = np.array([1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    label = np.array([1, 0, 1, 0, 1, 1, 0, 0], dtype=bool)
    codes = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    counts = confusion_counts(flagged, label, codes, 2)
    # group 0: tp=1 (row 0), fp=1 (row 1), tn=1 (row 3), fn=1 (row 2)
    # group 1: tp=1 (row 4), fp=0, tn=2 (rows 6, 7), fn=1 (row 5)
    assert counts.tolist() == [[1, 1, 1, 1], [1, 0, 2, 1]]
    m = group_metrics(counts)
    assert m["tpr"].tolist() == [0.5, 0.5]
    assert m["fpr"].tolist() == [0.5, 0.0]
    assert m["precision"].tolist() == [0.5, 1.0]
    assert m["for"].tolist() == [0.5, 1 / 3]
    assert m["npv"].tolist() == [0.5, 2 / 3]
    assert m["pprev"].tolist() == [0.5, 0.25]
    assert m["ppr"].tolist() == [2 / 3, 1 / 3]  # 3 flagged rows in all, 2 of them in group 0
    assert m["prevalence"].tolist() == [0.5, 0.5]


def test_zero_denominators_give_nan_not_zero() -> None:
    # one group with no labelled rows and nobody flagged
    m = group_metrics(np.array([[0, 0, 5, 0]]))
    for metric in ("tpr", "fnr", "precision", "fdr", "ppr"):
        assert np.isnan(m[metric][0]), metric
    assert m["fpr"][0] == 0.0
    assert m["for"][0] == 0.0


def test_group_metrics_match_fairlearn_metricframe() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    y_true = (rng.random(n) < np.where(groups == "c", 0.2, 0.08)).astype(int)
    y_pred = (rng.random(n) < 0.1 + 0.3 * y_true).astype(int)
    frame = MetricFrame(
        metrics={
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "fnr": false_negative_rate,
            "tnr": true_negative_rate,
            "pprev": selection_rate,
            "precision": lambda t, p: precision_score(t, p, zero_division=np.nan),
            "n": count,
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    names, codes = np.unique(groups, return_inverse=True)
    counts = confusion_counts(y_pred.astype(bool), y_true.astype(bool), codes, len(names))
    ours = group_metrics(counts)
    by_group = frame.by_group
    for i, name in enumerate(names):
        assert counts[i].sum() == by_group.loc[name, "n"]
        for metric in ("tpr", "fpr", "fnr", "tnr", "pprev", "precision"):
            assert ours[metric][i] == pytest.approx(by_group.loc[name, metric], abs=1e-12), metric
    # The complementary Aequitas rates follow from fairlearn's by the identities.
    assert np.allclose(ours["fdr"], 1 - ours["precision"])
    assert np.allclose(ours["npv"], 1 - ours["for"])


def test_bootstrap_shapes_are_supported() -> None:
    counts = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    m = group_metrics(counts)
    assert set(m) == set(METRICS)
    assert all(v.shape == (2, 3) for v in m.values())
    assert np.allclose(np.nansum(m["ppr"], axis=-1), 1.0)
