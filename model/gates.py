"""The champion gate over a run's metrics: better than every baseline, calibrated, fair.

Oracle figures never gate (a real deployment has no truth). A run without a fairness verdict
cannot pass: the fairness audit is part of the gate, not an optional extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_ECE = 0.02
GATE_METRICS = ("auc", "precision_at_5pct")


@dataclass(frozen=True)
class GateResult:
    """`passed` only when there is no failure; each failure is one sentence."""

    passed: bool
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failures": list(self.failures)}


def evaluate_model_gate(
    metrics: Mapping[str, Mapping[str, float]],
    *,
    model: str = "model",
    baselines: Sequence[str],
    fairness_passed: bool | None,
    fairness_failures: Sequence[str] = (),
    max_ece: float = MAX_ECE,
) -> GateResult:
    """Judge `metrics[model]` against `metrics[b]` for every baseline `b`.

    `fairness_passed` is None when no fairness audit ran; that fails the gate.
    """
    failures: list[str] = []
    own = metrics[model]
    missing = [b for b in baselines if b not in metrics]
    failures += [f"The {b} baseline was not evaluated." for b in missing]
    baselines = [b for b in baselines if b in metrics]
    for name in GATE_METRICS:
        for baseline in baselines:
            theirs = metrics[baseline].get(name)
            mine = own.get(name)
            if mine is None or theirs is None or not mine > theirs:
                failures.append(
                    f"{name} of the model ({_fmt(mine)}) is not above the {baseline} "
                    f"baseline's ({_fmt(theirs)})."
                )
    ece = own.get("ece")
    if ece is None or not ece <= max_ece:
        failures.append(f"Expected calibration error {_fmt(ece)} exceeds {max_ece:g}.")
    if fairness_passed is None:
        failures.append("No fairness verdict: the fairness audit did not run for this model.")
    elif not fairness_passed:
        failures.extend(f"Fairness: {f}" for f in fairness_failures or ["the gate failed."])
    return GateResult(passed=not failures, failures=failures)


def _fmt(x: float | None) -> str:
    return "missing" if x is None else f"{x:.4f}"
