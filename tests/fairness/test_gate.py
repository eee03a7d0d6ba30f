from __future__ import annotations

import math

import pytest

from fairness import GateRules, Threshold, TopPct, audit, evaluate_gate
from fairness.gate import holm_adjust
from fairness.report import AuditReport
from tests.fairness.synthetic import scores_frame


def _report(*, seed: int, shift: float = 1.0, n: int = 4000, n_boot: int = 300) -> AuditReport:
    return audit(
        scores_frame(n, seed=seed, shift=shift),
        score_col="score",
        label_col="label",
        group_cols=["group", "urban"],
        flag=TopPct(10),
        within="district",
        n_boot=n_boot,
        seed=seed,
    )


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
    assert any("false negative rate" in f and "'b'" in f for f in verdict.failures)
    assert any("Calibration" in f and "'b'" in f for f in verdict.failures)
    assert verdict.comparisons > 0


def test_significance_off_fails_on_any_point_estimate_outside_the_band() -> None:
    report = _report(seed=2, shift=0.9, n=1500)
    strict = evaluate_gate(report, GateRules(require_significance=False))
    lenient = evaluate_gate(report)
    assert len(strict.failures) >= len(lenient.failures)
    assert len(strict.failures) + len(strict.warnings) >= len(lenient.failures)


def test_a_report_without_intervals_cannot_pass() -> None:
    verdict = evaluate_gate(_report(seed=3, n_boot=0))
    assert not verdict.passed
    assert "n_boot=0" in verdict.failures[0]


def test_rules_are_checked_and_attributes_must_be_audited() -> None:
    with pytest.raises(ValueError, match="metrics"):
        GateRules(metrics=("auc",))
    with pytest.raises(ValueError, match="ratio_band"):
        GateRules(ratio_band=(1.1, 1.2))
    verdict = evaluate_gate(_report(seed=4), GateRules(attributes=("ethnicity",)))
    assert not verdict.passed
    assert "ethnicity" in verdict.failures[0]


def test_calibration_rule_can_be_switched_off() -> None:
    report = audit(
        scores_frame(6000, seed=5, shift=0.6),
        score_col="score",
        label_col="label",
        group_cols=["group"],
        flag=Threshold(0.3),  # almost nobody flagged: error rates barely differ
        n_boot=300,
    )
    with_cal = evaluate_gate(report, GateRules(metrics=("fpr",)))
    without = evaluate_gate(report, GateRules(metrics=("fpr",), max_calibration_gap=None))
    assert any("Calibration" in f for f in with_cal.failures)
    assert not any("Calibration" in f for f in without.failures + without.warnings)


def test_holm_adjustment() -> None:
    adjusted = holm_adjust([0.01, 0.04, math.nan, 0.03])
    # sorted: 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    assert adjusted[0] == pytest.approx(0.03)
    assert adjusted[3] == pytest.approx(0.06)
    assert adjusted[1] == pytest.approx(0.06)
    assert math.isnan(adjusted[2])


def test_verdict_is_json_ready() -> None:
    data = evaluate_gate(_report(seed=6)).to_dict()
    assert set(data) == {"passed", "failures", "warnings", "rules", "comparisons"}
    assert data["rules"]["metrics"] == ("fnr", "for")
