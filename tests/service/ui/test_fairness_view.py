"""The fairness page's reading of a real audit report: the same disparities as the gate."""

from __future__ import annotations

import json

import pytest

from fairness import TopPct, audit, evaluate_gate
from fairness.wording import METRIC_NAMES
from service.ui.fairness_view import outside_band
from tests.fairness.synthetic import scores_frame


def _report_and_verdict(seed: int, shift: float) -> tuple[dict[str, object], list[str], list[str]]:
    report = audit(
        scores_frame(4000, seed=seed, shift=shift),
        score_col="score",
        label_col="label",
        group_cols=["group", "urban"],
        flag=TopPct(10),
        within="district",
        n_boot=200,
        seed=seed,
    )
    verdict = evaluate_gate(report)
    # Through JSON, as the page reads `report.json`: a renamed key cannot go unnoticed.
    return json.loads(report.to_json()), verdict.failures, verdict.warnings


def _mentions(sentence: str, attribute: str, group: str, metric: str) -> bool:
    return f"{attribute} = {group!r}" in sentence and f"The {METRIC_NAMES[metric]} " in sentence


@pytest.mark.parametrize(("seed", "shift"), [(1, 0.5), (2, 0.7), (3, 1.0)])
def test_counted_rows_are_exactly_the_gates_disparity_failures(seed: int, shift: float) -> None:
    data, failures, warnings = _report_and_verdict(seed, shift)
    rows = outside_band(data)
    counted = [r for r in rows if r.standing == "counted"]
    disparity_failures = [f for f in failures if f.startswith("The ") and "differs" in f]
    assert len(counted) == len(disparity_failures)
    for row in counted:
        assert row.primary
        assert row.adjusted_p is not None
        assert row.adjusted_p <= 0.05
        assert any(_mentions(f, row.attribute, row.group, row.metric) for f in failures)
    chance = [r for r in rows if r.standing == "chance"]
    assert len(chance) == sum(w.startswith("The ") and "Not significant" in w for w in warnings)
    for row in chance:
        assert any(_mentions(w, row.attribute, row.group, row.metric) for w in warnings)


def test_injected_bias_is_counted_and_listed_first() -> None:
    data, failures, _ = _report_and_verdict(1, 0.5)
    rows = outside_band(data)
    assert failures, "the injected bias should fail the gate"
    assert rows[0].standing == "counted"
    assert {r.metric for r in rows if r.standing == "counted"} <= {"fnr", "for"}
    assert (rows[0].attribute, rows[0].group) == ("group", "b")
    primary = [r.primary for r in rows]
    assert primary == sorted(primary, reverse=True)  # primary (assistive) first
    # every row is really outside the band, and only non-gate metrics are "not_gate"
    for row in rows:
        assert row.ratio is None or not 0.8 <= row.ratio <= 1.25
        assert (row.standing == "not_gate") == (row.metric not in ("fnr", "for"))
