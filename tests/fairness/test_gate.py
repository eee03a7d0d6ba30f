from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from fairness import GateFinding, GateRules, GateVerdict, Threshold, evaluate_gate
from fairness.disparity import PRIMARY_METRICS
from fairness.findings import describe
from fairness.gate import holm_adjust
from tests.fairness.synthetic import audit_scores, gate_report, scores_frame

_report = gate_report


def test_fair_tool_passes_on_almost_every_seed() -> None:
    failed = [s for s in range(20) if not evaluate_gate(_report(seed=s)).passed]
    # Holm keeps the family-wise false failure rate at 5%: expect about one in twenty.
    assert len(failed) <= 3, failed


def test_without_correction_chance_disparities_would_block() -> None:
    """The reason for the correction: per-comparison intervals alone fail fair tools often."""
    naive = GateRules(alpha=0.999)  # effectively "point estimate outside the band"
    failed = [s for s in range(20) if not evaluate_gate(_report(seed=s), naive).passed]
    assert len(failed) >= 5


def test_injected_bias_fails_on_the_primary_metrics() -> None:
    verdict = evaluate_gate(_report(seed=1, shift=0.5))
    assert not verdict.passed
    assert any(
        (f.rule, f.metric, f.attribute, f.group) == ("disparity", "fnr", "group", "b")
        for f in verdict.failures
    )
    assert any(
        (f.rule, f.attribute, f.group) == ("calibration_gap", "group", "b")
        for f in verdict.failures
    )
    assert verdict.comparisons > 0
    low, high = GateRules().ratio_band
    for f in verdict.failures:  # each failure carries the facts it was judged on
        assert f.blocks
        assert f.significance == "significant"
        assert f.comparisons == verdict.comparisons
        assert f.p_value is not None
        assert f.adjusted_p is not None
        assert f.p_value <= f.adjusted_p <= 0.05
        assert f.reference == "a"
        if f.rule == "disparity":
            assert f.metric in PRIMARY_METRICS
            assert f.band == (low, high)
            assert f.ratio is None or not low <= f.ratio <= high
        else:
            assert f.difference is not None
            assert f.limit is not None
            assert f.limit == GateRules().max_calibration_gap
            assert abs(f.difference) > f.limit
    for w in verdict.warnings:
        assert not w.blocks
        assert w.significance in ("not_significant", "too_few")
        assert w.significance == "too_few" or (w.adjusted_p or 0) > 0.05


def test_significance_off_fails_on_any_point_estimate_outside_the_band() -> None:
    report = _report(seed=2, shift=0.9, n=1500)
    strict = evaluate_gate(report, GateRules(require_significance=False))
    lenient = evaluate_gate(report)
    assert len(strict.failures) >= len(lenient.failures)
    assert len(strict.failures) + len(strict.warnings) >= len(lenient.failures)
    assert strict.failures
    assert all(f.significance == "not_required" for f in strict.failures)
    assert strict.warnings == []  # without the test, nothing is left to warn about

    # the lenient gate's findings are the strict gate's, judged by their p-value
    def where(f: GateFinding) -> tuple[object, ...]:
        return (f.rule, f.attribute, f.group, f.metric)

    assert sorted(map(where, lenient.failures + lenient.warnings)) == sorted(
        map(where, strict.failures)
    )


def test_a_report_without_intervals_cannot_pass() -> None:
    verdict = evaluate_gate(_report(seed=3, n_boot=0))
    assert not verdict.passed
    assert verdict.failures == [GateFinding("no_intervals")]


def test_rules_are_checked_and_attributes_must_be_audited() -> None:
    with pytest.raises(ValueError, match="metrics"):
        GateRules(metrics=("auc",))
    with pytest.raises(ValueError, match="ratio_band"):
        GateRules(ratio_band=(1.1, 1.2))
    verdict = evaluate_gate(_report(seed=4), GateRules(attributes=("ethnicity",)))
    assert not verdict.passed
    assert verdict.failures[0] == GateFinding("attribute_missing", attributes=("ethnicity",))


def test_calibration_rule_can_be_switched_off() -> None:
    report = audit_scores(
        scores_frame(6000, seed=5, shift=0.6),
        group_cols=["group"],
        flag=Threshold(0.3),  # almost nobody flagged: error rates barely differ
        n_boot=300,
    )
    with_cal = evaluate_gate(report, GateRules(metrics=("fpr",)))
    without = evaluate_gate(report, GateRules(metrics=("fpr",), max_calibration_gap=None))
    assert any(f.rule == "calibration_gap" for f in with_cal.failures)
    assert not any(f.rule == "calibration_gap" for f in without.failures + without.warnings)


def test_holm_adjustment() -> None:
    adjusted = holm_adjust([0.01, 0.04, math.nan, 0.03])
    # sorted: 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    assert adjusted[0] == pytest.approx(0.03)
    assert adjusted[3] == pytest.approx(0.06)
    assert adjusted[1] == pytest.approx(0.06)
    assert math.isnan(adjusted[2])


def test_verdict_is_json_ready() -> None:
    verdict = evaluate_gate(_report(seed=6, shift=0.7))
    data = verdict.to_dict()
    assert set(data) == {"passed", "failures", "warnings", "notes", "rules", "comparisons"}
    assert data["rules"]["metrics"] == ("fnr", "for")
    assert data["failures"] or data["warnings"]
    text = json.dumps(data, allow_nan=False)  # nulls, never NaN
    assert GateVerdict.from_dict(json.loads(text)) == verdict


def test_disparities_the_rules_do_not_judge_are_notes() -> None:
    report = _report(seed=1, shift=0.5)
    verdict = evaluate_gate(report)
    low, high = GateRules().ratio_band
    outside = {
        (d.attribute, d.group, d.metric)
        for d in report.disparities
        if d.metric not in PRIMARY_METRICS
        and (d.value > 0 if math.isnan(d.ratio) else not low <= d.ratio <= high)
    }
    assert outside
    assert {(n.attribute, n.group, n.metric) for n in verdict.notes} == outside
    for note in verdict.notes:
        assert note.significance == "not_judged"
        assert not note.blocks
        assert note.adjusted_p is None


# ---- the sentences: one per rule, word for word as the gate has always written them --------

DISPARITY = GateFinding(
    "disparity", attribute="group", group="b", reference="a", metric="fnr", value=0.5,
    reference_value=0.25, ratio=2.0, ratio_ci=(1.4, 2.9), difference=0.25,
    difference_ci=(0.1, 0.4), band=(0.8, 1.25), p_value=0.001, adjusted_p=0.004,
    comparisons=12, significance="significant",
)  # fmt: skip
GAP = GateFinding(
    "calibration_gap", attribute="urban", group="false", reference="true", difference=0.0456,
    difference_ci=(0.012, 0.0789), limit=0.03, p_value=0.01, adjusted_p=0.0312, comparisons=12,
    significance="significant",
)  # fmt: skip


@pytest.mark.parametrize(
    ("finding", "sentence"),
    [
        (
            GateFinding("attribute_missing", attributes=("ethnicity", "region")),
            "The gate asks for attribute(s) ethnicity, region, which the audit did not cover.",
        ),
        (
            GateFinding("no_intervals"),
            "The audit has no confidence intervals (n_boot=0), so no disparity can be judged; "
            "re-run the audit with bootstrap resamples.",
        ),
        (
            GateFinding("calibration_not_checked", note="no positive label in the audit"),
            "Calibration was not checked: no positive label in the audit.",
        ),
        (
            DISPARITY,
            "The false negative rate differs between groups. group = 'b' (reference 'a'): of the "
            "families with a recorded serious incident, 50.0% were left off the list, against "
            "25.0% in the reference group: 2.00 times (95% interval 1.40 to 2.90); allowed 0.8 "
            "to 1.25 times. Significant (p = 0.004 after Holm over 12).",
        ),
        (
            replace(DISPARITY, ratio_ci=None, adjusted_p=0.31, significance="not_significant"),
            "The false negative rate differs between groups. group = 'b' (reference 'a'): of the "
            "families with a recorded serious incident, 50.0% were left off the list, against "
            "25.0% in the reference group: 2.00 times (interval not available); allowed 0.8 to "
            "1.25 times. Not significant (p = 0.31 after Holm over 12); not counted.",
        ),
        (
            replace(
                DISPARITY,
                metric="for",
                value=0.125,
                reference_value=0.0,
                ratio=None,
                ratio_ci=None,
                difference=0.125,
                p_value=None,
                adjusted_p=None,
                significance="too_few",
            ),
            "The false omission rate differs between groups. group = 'b' (reference 'a'): of "
            "the families left off the list, 12.5% went on to have a recorded serious incident, "
            "while the reference group's false omission rate is 0; the difference is 12.50 "
            "percentage points (95% interval 0.100 to 0.400). Too few cases to judge; not "
            "counted.",
        ),
        (
            replace(DISPARITY, ratio=0.5, significance="not_required"),
            "The false negative rate differs between groups. group = 'b' (reference 'a'): of the "
            "families with a recorded serious incident, 50.0% were left off the list, against "
            "25.0% in the reference group: 0.50 times (95% interval 1.40 to 2.90); allowed 0.8 "
            "to 1.25 times.",
        ),
        (
            GAP,
            "Calibration differs between groups. urban = 'false': the scores over-state this "
            "group's risk by 4.56 percentage points more than for the reference group 'true' "
            "(95% interval 0.012 to 0.079); allowed 3.00 percentage points. Significant "
            "(p = 0.0312 after Holm over 12).",
        ),
        (
            replace(GAP, difference=-0.0456, difference_ci=None, significance="not_required"),
            "Calibration differs between groups. urban = 'false': the scores under-state this "
            "group's risk by 4.56 percentage points more than for the reference group 'true' "
            "(interval not available); allowed 3.00 percentage points.",
        ),
    ],
)
def test_each_rule_reads_as_before(finding: GateFinding, sentence: str) -> None:
    assert describe(finding) == sentence
    assert finding.describe() == sentence
    # the JSON form keeps every fact the sentence is made of
    assert describe(GateFinding.from_dict(json.loads(json.dumps(finding.to_dict())))) == sentence


def test_a_finding_from_json_refuses_unknown_rules_and_keys() -> None:
    with pytest.raises(ValueError, match="rule: expected one of"):
        GateFinding.from_dict({"rule": "ratio"})
    with pytest.raises(ValueError, match="significance: expected one of"):
        GateFinding.from_dict({"rule": "disparity", "significance": "maybe"})
    with pytest.raises(ValueError, match="unknown keys of a fairness gate finding: colour"):
        GateFinding.from_dict({"rule": "no_intervals", "colour": "red"})
