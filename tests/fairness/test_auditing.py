from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from fairness import AuditInputError, AuditReport, Threshold, TopK, TopPct, audit
from fairness.metrics import METRICS
from tests.fairness.synthetic import scores_frame


def _audit(frame: pl.DataFrame, **kwargs: object) -> AuditReport:
    options: dict[str, object] = {
        "score_col": "score",
        "label_col": "label",
        "group_cols": ["group"],
        "flag": TopPct(10),
        "n_boot": 200,
    }
    options.update(kwargs)
    return audit(frame, **options)  # type: ignore[arg-type]


def test_group_counts_add_up_and_match_a_direct_count() -> None:
    frame = scores_frame(3000, seed=1)
    report = _audit(frame, flag=Threshold(0.15), group_cols=["group", "urban"])
    for attribute in ("group", "urban"):
        entries = [g for g in report.groups if g.attribute == attribute and not g.suppressed]
        for g in entries:
            rows = frame.filter(pl.col(attribute).cast(pl.String) == g.group)
            flagged = rows.get_column("score") >= 0.15
            labelled = rows.get_column("label") == 1
            assert g.tp == int((flagged & labelled).sum())
            assert g.fn == int((~flagged & labelled).sum())
            assert g.n == rows.height
    assert {g.group for g in report.groups if g.attribute == "urban"} == {"true", "false"}


def test_small_groups_are_suppressed_without_any_figure() -> None:
    # group "d" is 1.5% of the rows: about 30 of 2000, far under 100
    report = _audit(scores_frame(2000, seed=2), min_group_size=100)
    small = report.group("group", "d")
    entry = small.to_dict()
    assert entry["suppressed"] is True
    assert all(entry[k] is None for k in ("n", "tp", "fp", "tn", "fn", *METRICS))
    assert all(d.group != "d" for d in report.disparities)
    assert all(c.suppressed for c in report.calibration if c.group == "d")


def test_json_is_strict_and_carries_the_documented_fields() -> None:
    frame = scores_frame(1500, seed=3).with_columns(
        pl.when(pl.col("group") == "c").then(0).otherwise(pl.col("label")).alias("label")
    )  # group c has no labelled family: its tpr/fnr are undefined
    report = _audit(frame, min_group_size=10)
    data = json.loads(report.to_json())  # allow_nan=False inside: NaN would raise
    entry = next(g for g in data["groups"] if g["group"] == "c")
    assert entry["tpr"] is None
    assert entry["fnr"] is None
    assert entry["prevalence"] == 0.0
    required = {"attribute", "group", "n", "tp", "fp", "tn", "fn", "tpr", "fpr", "fnr"}
    required |= {"precision", "fdr", "for", "pprev", "ppr", "prevalence", "suppressed", "ci"}
    assert required <= set(entry)
    assert isinstance(data["disparities"], list)
    assert data["disparities"]


def test_same_seed_same_report_and_other_seed_other_intervals() -> None:
    frame = scores_frame(2000, seed=4)
    a, b, c = (_audit(frame, seed=s) for s in (7, 7, 8))
    assert a.to_json() == b.to_json()
    assert a.to_json() != c.to_json()


def test_intervals_cover_the_estimate() -> None:
    report = _audit(scores_frame(4000, seed=5), n_boot=300)
    checked = 0
    for g in report.groups:
        if g.suppressed:
            continue
        for metric in ("fnr", "fpr", "pprev"):
            low, high = g.ci[metric]
            value = g.metrics[metric]
            # every non-suppressed group of 4000 rows has a defined rate and a real interval
            assert math.isfinite(value), (g.group, metric)
            assert math.isfinite(low), (g.group, metric, low)
            assert math.isfinite(high), (g.group, metric, high)
            assert low - 1e-9 <= value <= high + 1e-9
            assert low < high  # resamples vary: an interval, not a point
            checked += 1
    assert checked >= 3 * 3  # at least three groups are large enough to be shown


def test_intersections_are_audited_as_their_own_attribute() -> None:
    report = _audit(scores_frame(3000, seed=6), intersections=[("group", "urban")])
    assert report.attributes == ("group", "group x urban")
    names = {g.group for g in report.groups if g.attribute == "group x urban"}
    assert "a & true" in names
    assert "a & false" in names


def test_top_k_within_district_is_applied() -> None:
    report = _audit(scores_frame(2000, seed=7), flag=TopK(10), within="district")
    assert report.settings.n_flagged == 40  # four districts, continuous scores: no ties
    assert "within each district" in report.settings.rule


def _with_bad_rows(frame: pl.DataFrame, column: str, value: object, rows: int) -> pl.DataFrame:
    idx = pl.int_range(pl.len())
    return frame.with_columns(
        pl.when(idx < rows).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


def test_missing_scores_are_counted_and_named() -> None:
    frame = _with_bad_rows(scores_frame(500, seed=8), "score", None, 7)
    with pytest.raises(AuditInputError, match=r"score: .* 7 row\(s\)"):
        _audit(frame)


def test_non_binary_labels_are_counted_and_named() -> None:
    frame = _with_bad_rows(scores_frame(500, seed=8), "label", 2, 4)
    with pytest.raises(AuditInputError, match=r"label: .*binary.* 4 row\(s\)"):
        _audit(frame)


def test_missing_columns_are_named() -> None:
    with pytest.raises(AuditInputError, match="ethnicity"):
        _audit(scores_frame(100), group_cols=["ethnicity"])


def test_missing_group_values_form_a_visible_group() -> None:
    frame = _with_bad_rows(scores_frame(600, seed=9), "group", None, 40)
    report = _audit(frame)
    assert not report.group("group", "missing").suppressed


def test_reference_options() -> None:
    frame = scores_frame(3000, seed=10)
    largest = _audit(frame)
    assert largest.settings.references["group"] == "a"
    given = _audit(frame, reference={"group": "b"})
    assert {d.reference for d in given.disparities} == {"b"}
    best = _audit(frame, reference="best")
    for d in best.disparities:
        if d.metric == "fnr":
            assert d.value >= d.reference_value  # the reference is the lowest FNR
    with pytest.raises(AuditInputError, match="'zz'"):
        _audit(frame, reference={"group": "zz"})
    with pytest.raises(AuditInputError, match="suppressed"):
        _audit(frame, reference={"group": "d"}, min_group_size=500)


def test_scores_that_are_not_probabilities_skip_calibration() -> None:
    frame = scores_frame(800, seed=11).with_columns((pl.col("score") * 27).round().alias("score"))
    report = _audit(frame, flag=Threshold(14))
    assert report.calibration == ()
    assert report.settings.calibration_note is not None


def test_contributions_must_align() -> None:
    frame = scores_frame(300, seed=12)
    contributions = pl.DataFrame({"police": np.ones(299)})
    with pytest.raises(AuditInputError, match="299"):
        _audit(frame, contributions=contributions)
