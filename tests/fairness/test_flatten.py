from __future__ import annotations

import re

import polars as pl

from fairness import TopPct, fairness_metrics
from fairness.flatten import sanitise
from tests.fairness.synthetic import audit_scores, scores_frame

NAME = re.compile(r"^fairness\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_]+$")


def test_names_follow_the_pattern_and_values_are_finite() -> None:
    frame = scores_frame(3000, seed=1).with_columns(
        pl.col("group").replace({"a": "Kazakh (urban).north", "b": "b/c"})
    )
    report = audit_scores(
        frame,
        group_cols=["group", "urban"],
        flag=TopPct(10),
        intersections=[("group", "urban")],
        n_boot=50,
    )
    metrics = fairness_metrics(report)
    assert metrics
    assert all(NAME.match(k) for k in metrics), [k for k in metrics if not NAME.match(k)][:3]
    assert all(v == v for v in metrics.values())
    assert "fairness.group.Kazakh_urban_north.fnr" in metrics
    assert "fairness.group.b_c.fnr_ratio" in metrics
    assert "fairness.group_x_urban.b_c_true.n" in metrics
    assert "fairness.group.b_c.calibration_gap" in metrics
    g = report.group("group", "b/c")
    assert metrics["fairness.group.b_c.fnr"] == g.metrics["fnr"]


def test_suppressed_groups_log_nothing() -> None:
    report = audit_scores(
        scores_frame(2000, seed=2),
        group_cols=["group"],
        flag=TopPct(10),
        n_boot=0,
        min_group_size=100,
    )
    metrics = fairness_metrics(report)
    suppressed = {g.group for g in report.groups if g.suppressed}
    shown = [g for g in report.groups if not g.suppressed]
    assert suppressed == {"d"}  # 1.5% of 2000 rows is under 100
    assert [g.group for g in shown] == ["a", "b", "c"]
    # the shown groups log their figures; the suppressed one logs none, not even its size
    for g in shown:
        assert metrics[f"fairness.group.{g.group}.n"] == g.n
        assert metrics[f"fairness.group.{g.group}.fnr"] == g.metrics["fnr"]
    assert not [k for k in metrics if k.startswith("fairness.group.d.")]
    assert {k.split(".")[2] for k in metrics} == {"a", "b", "c"}


def test_collisions_get_suffixes() -> None:
    frame = scores_frame(2000, seed=3).with_columns(
        pl.col("group").replace({"a": "x y", "b": "x.y"})
    )
    report = audit_scores(frame, group_cols=["group"], flag=TopPct(10), n_boot=0)
    keys = fairness_metrics(report)
    assert "fairness.group.x_y.n" in keys
    assert "fairness.group.x_y_2.n" in keys


def test_sanitise() -> None:
    assert sanitise("ethnicity x urban") == "ethnicity_x_urban"
    assert sanitise("...") == "_"
