"""The champion gate over a run's metrics: better than every baseline, calibrated, fair.

Oracle figures never gate (a real deployment has no truth). A run without a fairness verdict
cannot pass: the fairness audit is part of the gate, not an optional extra.

Each failure is a `GateFailure` (facts: rule, metric, baseline, values, limit); `describe`
renders it to the English sentence the CLI, the model card and the pages show. The fairness
gate's own findings (`fairness.findings.GateFinding`) travel inside a failure of rule
``fairness``; `model` sits below `fairness` and cannot import it, so it asks only for what it
uses of them, the `Finding` protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast, get_args

MAX_ECE = 0.02
#: Precision at the council's capacity is compared at its expected value under random
#: tie-breaking (`model.metrics`): the worst ordering of ties would judge a baseline with many
#: tied scores (a count of police signals) at an ordering nobody would choose. The worst-case
#: figure (`precision_at_5pct`) is still logged with every run for auditors.
GATE_METRICS = ("auc", "precision_at_5pct_expected")

#: - ``baseline_missing``: a baseline the gate compares with was not evaluated;
#: - ``below_baseline``: a gate metric of the model is not above a baseline's;
#: - ``ece_above_max``: the expected calibration error is missing or above the limit;
#: - ``no_fairness_verdict``: the fairness audit did not run;
#: - ``fairness``: the fairness gate failed (``fairness`` holds its finding, None when the
#:   caller gave none).
ModelRule = Literal[
    "baseline_missing", "below_baseline", "ece_above_max", "no_fairness_verdict", "fairness"
]


class Finding(Protocol):
    """A failure of the fairness gate, as the model gate needs it: a sentence and JSON."""

    def describe(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class GateFailure:
    """One reason the model may not become champion; fields that do not apply are None.

    ``metric`` is the gate metric (``auc``, ``precision_at_5pct_expected``, ``ece``; runs
    recorded before the expected figure existed name ``precision_at_5pct``), ``value`` the
    model's figure (None when missing), ``baseline``/``baseline_value`` the baseline compared
    with, ``limit`` the largest allowed ECE.
    """

    rule: ModelRule
    metric: str | None = None
    value: float | None = None
    baseline: str | None = None
    baseline_value: float | None = None
    limit: float | None = None
    fairness: Finding | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields that apply, as JSON values (the fairness finding as its own dict)."""
        out: dict[str, Any] = {"rule": self.rule}
        for name in ("metric", "value", "baseline", "baseline_value", "limit"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.fairness is not None:
            out["fairness"] = self.fairness.to_dict()
        return out

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        fairness: Callable[[Mapping[str, Any]], Finding],
    ) -> GateFailure:
        """The inverse of `to_dict`; ``fairness`` reads a fairness finding back (the caller
        passes `fairness.findings.GateFinding.from_dict`)."""
        rule = data.get("rule")
        if rule not in get_args(ModelRule):
            raise ValueError(
                f"rule: expected one of {', '.join(get_args(ModelRule))}, got {rule!r}"
            )
        finding = data.get("fairness")
        return cls(
            rule=cast(ModelRule, rule),
            metric=data.get("metric"),
            value=data.get("value"),
            baseline=data.get("baseline"),
            baseline_value=data.get("baseline_value"),
            limit=data.get("limit"),
            fairness=None if finding is None else fairness(finding),
        )


@dataclass(frozen=True)
class GateResult:
    """`passed` only when there is no failure."""

    passed: bool
    failures: list[GateFailure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failures": [f.to_dict() for f in self.failures]}


def evaluate_model_gate(
    metrics: Mapping[str, Mapping[str, float]],
    *,
    model: str = "model",
    baselines: Sequence[str],
    fairness_passed: bool | None,
    fairness_failures: Sequence[Finding] = (),
    max_ece: float = MAX_ECE,
) -> GateResult:
    """Judge `metrics[model]` against `metrics[b]` for every baseline `b`.

    `fairness_passed` is None when no fairness audit ran; that fails the gate.
    """
    failures = [GateFailure("baseline_missing", baseline=b) for b in baselines if b not in metrics]
    own = metrics[model]
    baselines = [b for b in baselines if b in metrics]
    for name in GATE_METRICS:
        for baseline in baselines:
            theirs = metrics[baseline].get(name)
            mine = own.get(name)
            if mine is None or theirs is None or not mine > theirs:
                failures.append(
                    GateFailure(
                        "below_baseline",
                        metric=name,
                        value=mine,
                        baseline=baseline,
                        baseline_value=theirs,
                    )
                )
    ece = own.get("ece")
    if ece is None or not ece <= max_ece:
        failures.append(GateFailure("ece_above_max", metric="ece", value=ece, limit=max_ece))
    if fairness_passed is None:
        failures.append(GateFailure("no_fairness_verdict"))
    elif not fairness_passed:
        failures += [GateFailure("fairness", fairness=f) for f in fairness_failures] or [
            GateFailure("fairness")
        ]
    return GateResult(passed=not failures, failures=failures)


def describe(failure: GateFailure) -> str:
    """The English sentence of ``failure``: the one place the model gate becomes text."""
    if failure.rule == "baseline_missing":
        return f"The {failure.baseline} baseline was not evaluated."
    if failure.rule == "below_baseline":
        return (
            f"{failure.metric} of the model ({_fmt(failure.value)}) is not above the "
            f"{failure.baseline} baseline's ({_fmt(failure.baseline_value)})."
        )
    if failure.rule == "ece_above_max":
        return f"Expected calibration error {_fmt(failure.value)} exceeds {failure.limit:g}."
    if failure.rule == "no_fairness_verdict":
        return "No fairness verdict: the fairness audit did not run for this model."
    detail = "the gate failed." if failure.fairness is None else failure.fairness.describe()
    return f"Fairness: {detail}"


def read_failures(
    items: Sequence[object], *, fairness: Callable[[Mapping[str, Any]], Finding]
) -> list[GateFailure | str]:
    """Failures as recorded in a run's `gate.json` or registry tag, read back.

    A dict is a `GateFailure.to_dict`; a string is kept as written: a sentence of a run logged
    before the failures were recorded as facts, or the tag's note on failures cut for length.
    """
    return [
        item if isinstance(item, str) else GateFailure.from_dict(_mapping(item), fairness=fairness)
        for item in items
    ]


def text(failure: GateFailure | str) -> str:
    """`describe` of a failure read by `read_failures` (a recorded sentence as it is)."""
    return failure if isinstance(failure, str) else describe(failure)


def _mapping(item: object) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise ValueError(f"gate failure: expected an object or a sentence, got {item!r}")
    return item


def _fmt(x: float | None) -> str:
    return "missing" if x is None else f"{x:.4f}"
