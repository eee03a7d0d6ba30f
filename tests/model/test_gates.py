from __future__ import annotations

from model.gates import evaluate_model_gate

GOOD = {
    "model": {"auc": 0.8, "precision_at_5pct": 0.3, "ece": 0.01},
    "checklist": {"auc": 0.7, "precision_at_5pct": 0.2},
    "logistic": {"auc": 0.75, "precision_at_5pct": 0.25, "ece": 0.005},
}


def test_passes_when_better_than_every_baseline_calibrated_and_fair() -> None:
    result = evaluate_model_gate(GOOD, baselines=["checklist", "logistic"], fairness_passed=True)
    assert result.passed
    assert result.failures == []


def test_missing_fairness_verdict_fails() -> None:
    result = evaluate_model_gate(GOOD, baselines=["checklist"], fairness_passed=None)
    assert not result.passed
    assert "fairness" in result.failures[0].lower()


def test_each_shortfall_is_named() -> None:
    metrics = {**GOOD, "model": {"auc": 0.74, "precision_at_5pct": 0.3, "ece": 0.05}}
    result = evaluate_model_gate(
        metrics,
        baselines=["checklist", "logistic"],
        fairness_passed=False,
        fairness_failures=["FNR ratio 0.6 for rural families."],
    )
    assert not result.passed
    text = " | ".join(result.failures)
    assert "auc of the model (0.7400) is not above the logistic" in text
    assert "checklist" not in text.split("auc")[1].split("|")[0]  # 0.74 > 0.70 passes there
    assert "0.0500 exceeds 0.02" in text
    assert "Fairness: FNR ratio 0.6" in text
