from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from model.gates import GateFailure, describe, evaluate_model_gate, read_failures, text

GOOD = {
    "model": {"auc": 0.8, "precision_at_5pct_expected": 0.3, "ece": 0.01},
    "checklist": {"auc": 0.7, "precision_at_5pct_expected": 0.2},
    "logistic": {"auc": 0.75, "precision_at_5pct_expected": 0.25, "ece": 0.005},
}


@dataclass(frozen=True)
class FakeFinding:
    """Stands in for `fairness.findings.GateFinding` (model cannot import fairness)."""

    sentence: str

    def describe(self) -> str:
        return self.sentence

    def to_dict(self) -> dict[str, Any]:
        return {"sentence": self.sentence}

    @classmethod
    def from_dict(cls, data: Any) -> FakeFinding:
        return cls(data["sentence"])


def test_passes_when_better_than_every_baseline_calibrated_and_fair() -> None:
    result = evaluate_model_gate(GOOD, baselines=["checklist", "logistic"], fairness_passed=True)
    assert result.passed
    assert result.failures == []


def test_missing_fairness_verdict_fails() -> None:
    result = evaluate_model_gate(GOOD, baselines=["checklist"], fairness_passed=None)
    assert not result.passed
    assert result.failures == [GateFailure("no_fairness_verdict")]


def test_precision_is_judged_at_its_expected_value_under_random_tie_breaking() -> None:
    # a police-count baseline with many ties: worst ordering 0.10, expected 0.28; the model has
    # no ties (0.26 everywhere). Judged at the worst ordering the model would pass unfairly.
    police = {"auc": 0.7, "precision_at_5pct": 0.10, "precision_at_5pct_expected": 0.28}
    model = {
        "auc": 0.8,
        "precision_at_5pct": 0.26,
        "precision_at_5pct_expected": 0.26,
        "ece": 0.01,
    }
    result = evaluate_model_gate(
        {"model": model, "police_12m": police}, baselines=["police_12m"], fairness_passed=True
    )
    assert result.failures == [
        GateFailure(
            "below_baseline",
            metric="precision_at_5pct_expected",
            value=0.26,
            baseline="police_12m",
            baseline_value=0.28,
        )
    ]


def test_each_shortfall_is_named() -> None:
    metrics = {**GOOD, "model": {"auc": 0.74, "precision_at_5pct_expected": 0.3, "ece": 0.05}}
    finding = FakeFinding("FNR ratio 0.6 for rural families.")
    result = evaluate_model_gate(
        metrics,
        baselines=["checklist", "logistic"],
        fairness_passed=False,
        fairness_failures=[finding],
    )
    assert not result.passed
    assert result.failures == [
        # 0.74 > 0.70 passes against the checklist: only the logistic baseline is named
        GateFailure(
            "below_baseline", metric="auc", value=0.74, baseline="logistic", baseline_value=0.75
        ),
        GateFailure("ece_above_max", metric="ece", value=0.05, limit=0.02),
        GateFailure("fairness", fairness=finding),
    ]


def test_missing_baselines_and_figures_fail() -> None:
    metrics = {
        "model": {"auc": 0.8},
        "checklist": {"auc": 0.7, "precision_at_5pct_expected": 0.2},
    }
    result = evaluate_model_gate(metrics, baselines=["checklist", "police"], fairness_passed=False)
    assert result.failures == [
        GateFailure("baseline_missing", baseline="police"),
        GateFailure(
            "below_baseline",
            metric="precision_at_5pct_expected",
            value=None,
            baseline="checklist",
            baseline_value=0.2,
        ),
        GateFailure("ece_above_max", metric="ece", value=None, limit=0.02),
        GateFailure("fairness"),  # failed without a finding given
    ]


@pytest.mark.parametrize(
    ("failure", "sentence"),
    [
        (
            GateFailure("baseline_missing", baseline="police"),
            "The police baseline was not evaluated.",
        ),
        (
            GateFailure(
                "below_baseline", metric="auc", value=0.74, baseline="logistic", baseline_value=0.75
            ),
            "auc of the model (0.7400) is not above the logistic baseline's (0.7500).",
        ),
        (
            GateFailure(
                "below_baseline",
                metric="precision_at_5pct",
                baseline="checklist",
                baseline_value=0.2,
            ),
            "precision_at_5pct of the model (missing) is not above the checklist baseline's "
            "(0.2000).",
        ),
        (
            GateFailure("ece_above_max", metric="ece", value=0.05, limit=0.02),
            "Expected calibration error 0.0500 exceeds 0.02.",
        ),
        (
            GateFailure("no_fairness_verdict"),
            "No fairness verdict: the fairness audit did not run for this model.",
        ),
        (
            GateFailure("fairness", fairness=FakeFinding("FNR ratio 0.6 for rural families.")),
            "Fairness: FNR ratio 0.6 for rural families.",
        ),
        (GateFailure("fairness"), "Fairness: the gate failed."),
    ],
)
def test_each_rule_reads_as_before(failure: GateFailure, sentence: str) -> None:
    assert describe(failure) == sentence
    recorded = json.loads(json.dumps(failure.to_dict()))
    (again,) = read_failures([recorded], fairness=FakeFinding.from_dict)
    assert again == failure
    assert text(again) == sentence


def test_recorded_sentences_of_older_runs_are_read_as_written() -> None:
    failures = read_failures(
        ["auc of the model is not above the logistic baseline's", {"rule": "no_fairness_verdict"}],
        fairness=FakeFinding.from_dict,
    )
    assert failures == [
        "auc of the model is not above the logistic baseline's",
        GateFailure("no_fairness_verdict"),
    ]
    assert [text(f) for f in failures] == [
        "auc of the model is not above the logistic baseline's",
        "No fairness verdict: the fairness audit did not run for this model.",
    ]
    with pytest.raises(ValueError, match="rule: expected one of"):
        read_failures([{"rule": "auc"}], fairness=FakeFinding.from_dict)
    with pytest.raises(ValueError, match="expected an object or a sentence, got 3"):
        read_failures([3], fairness=FakeFinding.from_dict)
