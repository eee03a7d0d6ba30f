"""Calibration within groups as a rule of the gate, and the cause it names for a disparity."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from fairness import GateFinding, GateRules, GateVerdict, evaluate_gate
from fairness.disparity import PRIMARY_METRICS
from fairness.findings import describe
from fairness.gate import disparity_cause
from fairness.group_calibration import recalibrate_within_groups
from fairness.report import Disparity
from tests.fairness.synthetic import calibrated_frame, calibrated_report


def _first(verdict: GateVerdict, rule: str, group: str) -> int:
    return next(i for i, f in enumerate(verdict.failures) if (f.rule, f.group) == (rule, group))


@pytest.mark.parametrize("seed", [1, 2])
def test_an_under_predicted_group_fails_with_calibration_named_as_the_cause(seed: int) -> None:
    report = calibrated_report(calibrated_frame(seed=seed, odds=0.6), seed=seed)
    verdict = evaluate_gate(report)
    assert not verdict.passed
    gap = verdict.failures[_first(verdict, "calibration_gap", "b")]
    assert gap.difference is not None
    assert gap.limit is not None
    assert gap.difference < -gap.limit
    assert gap.significance == "significant"
    caused = [f for f in verdict.failures if f.rule == "disparity" and f.group == "b"]
    assert caused, "the under-predicted group misses more of its families"
    for f in caused:
        assert f.metric in PRIMARY_METRICS
        assert f.cause == "calibration"
        # the raw ratio stays the finding; the calibrated reference is nearer parity
        assert f.ratio is not None
        assert f.calibrated_ratio is not None
        assert abs(math.log(f.calibrated_ratio)) < abs(math.log(f.ratio))
        assert _first(verdict, "calibration_gap", "b") < verdict.failures.index(f)
        assert "calibration within groups" in describe(f)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_different_base_rates_with_calibrated_scores_do_not_fail_on_calibration(
    seed: int,
) -> None:
    report = calibrated_report(calibrated_frame(seed=seed, base_rate_group="b"), seed=seed)
    verdict = evaluate_gate(report)
    assert not any(f.rule == "calibration_gap" for f in verdict.failures)
    assert all(f.cause != "calibration" for f in verdict.failures + verdict.warnings)
    # at a fixed list size the riskier group's families left off the list fare worse: the
    # disparity is real and visible, and read as following from base rates
    omitted = [f for f in verdict.failures if (f.metric, f.group) == ("for", "b")]
    assert omitted
    assert omitted[0].cause == "not_calibration"
    assert omitted[0].ratio is not None
    assert omitted[0].calibrated_ratio is not None
    assert omitted[0].calibrated_ratio == pytest.approx(omitted[0].ratio, rel=0.1)
    assert "does not explain this disparity" in describe(omitted[0])


def test_the_police_bias_scenario_still_fails() -> None:
    """Over-recording inflates one group's scores: the gate fails and says why."""
    report = calibrated_report(calibrated_frame(seed=4, odds=2.0), seed=4)
    verdict = evaluate_gate(report)
    assert not verdict.passed
    gap = verdict.failures[_first(verdict, "calibration_gap", "b")]
    assert gap.difference is not None
    assert gap.difference > 0
    assert any(
        f.rule == "disparity" and f.group == "b" and f.ratio is not None and f.ratio < 0.8
        for f in verdict.failures
    )
    # switching the calibration rule off leaves the raw disparities failing on their own
    without = evaluate_gate(report, GateRules(max_calibration_gap=None))
    assert not without.passed
    assert all(f.cause is None for f in without.failures)


def test_recalibration_matches_each_groups_rate_and_keeps_its_order() -> None:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, 3000)
    risk = rng.beta(1.2, 10.0, 3000)
    label = (rng.random(3000) < risk).astype(np.int64)
    score = np.where(codes == 1, risk * 0.5, risk)
    usable = np.array([True, True, False])
    shifted = recalibrate_within_groups(score, label, codes, usable=usable)
    for g in (0, 1):
        inside = codes == g
        assert shifted[inside].mean() == pytest.approx(label[inside].mean(), abs=1e-6)
        order = np.argsort(score[inside], kind="stable")
        assert np.all(np.diff(shifted[inside][order]) >= 0)
    assert np.array_equal(shifted[codes == 2], score[codes == 2])  # suppressed: untouched


def test_the_calibrated_reference_is_recorded_in_the_report_and_the_verdict() -> None:
    report = calibrated_report(calibrated_frame(seed=5, odds=0.6), seed=5)
    judged = [d for d in report.disparities if d.metric in PRIMARY_METRICS]
    assert judged
    assert all(math.isfinite(d.calibrated_ratio) for d in judged)
    assert all("calibrated_ratio" in d.to_dict() for d in report.disparities)
    verdict = evaluate_gate(report)
    data = json.loads(json.dumps(verdict.to_dict(), allow_nan=False))
    assert GateVerdict.from_dict(data) == verdict
    assert any(f.get("cause") == "calibration" for f in data["failures"])


FOR_B = GateFinding(
    "disparity", attribute="income", group="low", reference="middle", metric="for",
    value=0.0389, reference_value=0.0219, ratio=1.78, ratio_ci=(1.43, 2.23),
    difference=0.017, difference_ci=(0.01, 0.024), band=(0.8, 1.25), p_value=1e-6,
    adjusted_p=1.2e-5, comparisons=30, significance="significant", calibrated_ratio=1.21,
    cause="calibration",
)  # fmt: skip


def test_the_cause_reads_in_the_sentence() -> None:
    assert describe(FOR_B).endswith(
        "Significant (p = 1.2e-05 after Holm over 30). A ranking calibrated within each group "
        "would show 1.21 times at the same capacity: this disparity follows from the group's "
        "calibration, which fails the rule of calibration within groups (its own finding); fix "
        "the calibration first."
    )
    assert GateFinding.from_dict(json.loads(json.dumps(FOR_B.to_dict()))) == FOR_B
    mixed = replace(FOR_B, calibrated_ratio=1.55, cause="partly_calibration")
    assert describe(mixed).endswith(
        "would show 1.55 times at the same capacity: the group's calibration, which fails the "
        "rule of calibration within groups (its own finding), explains part of this disparity, "
        "not all of it."
    )
    bare = replace(FOR_B, cause=None)
    assert describe(bare).endswith("would show 1.21 times at the same capacity.")
    assert describe(replace(FOR_B, calibrated_ratio=None, cause=None)).endswith(
        "after Holm over 30)."
    )
    with pytest.raises(ValueError, match="cause: expected one of"):
        GateFinding.from_dict({**FOR_B.to_dict(), "cause": "weather"})


def _disparity(ratio: float, calibrated: float) -> Disparity:
    nan = (math.nan, math.nan)
    return Disparity(
        "income", "low", "middle", "for", "assistive", 0.04, 0.04 / ratio, ratio, nan, 0.0, nan,
        True, True, 1e-6, calibrated_ratio=calibrated,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("ratio", "calibrated", "miscalibrated", "cause"),
    [
        (1.78, 1.10, True, "calibration"),  # recalibrating brings it into the band
        (1.62, 1.55, True, "partly_calibration"),  # nearer 1, still outside
        (1.62, 1.55, False, "not_calibration"),  # calibration passes
        (1.60, 1.70, True, "not_calibration"),  # recalibrating does not move it towards 1
        (0.60, 0.95, True, "calibration"),  # over-stated risk, the other side
        (1.40, 1.10, False, None),  # calibration passes, calibrated ranking in the band
        (1.40, 0.70, True, None),  # crosses to the other side: no reading offered
        (1.40, math.nan, True, None),  # no calibrated reference (scores not probabilities)
    ],
)
def test_the_cause_follows_the_calibration_evidence(
    ratio: float, calibrated: float, miscalibrated: bool, cause: str | None
) -> None:
    failing = {("income", "low")} if miscalibrated else set()
    found = disparity_cause(_disparity(ratio, calibrated), rules=GateRules(), miscalibrated=failing)
    assert found == cause
