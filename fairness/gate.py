"""The promotion gate: configurable rules over an `AuditReport`, and a verdict in sentences.

Uncertainty rule (decided, documented in docs/fairness.md). A disparity fails the gate only
when its ratio is outside the band *and* the difference from the reference group is
statistically significant after a Holm correction over every comparison the gate makes
(family-wise error ``alpha``, default 5%). For calibration the same holds with "the gap exceeds
the limit". Why both:

- A ratio of 1.4 whose interval runs from 0.7 to 2.6 is not evidence of a disparity; blocking
  a model on it would make promotion a lottery at small group sizes.
- The gate makes dozens of comparisons (groups x metrics x attributes). Without a correction a
  fair model would fail on chance alone most of the time; with Holm, a model without any real
  disparity fails with probability at most ``alpha``.

Disparities outside the band that are not significant, or whose p-value is undefined (too few
cases), are returned as warnings for the auditor to read; they never block. A report computed
without bootstrap resamples (``n_boot=0``) cannot pass a gate that requires significance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from fairness.disparity import DISPARITY_METRICS, PRIMARY_METRICS
from fairness.report import AuditReport, CalibrationGap, Disparity, clean_interval
from fairness.wording import METRIC_NAMES, meaning, percent


@dataclass(frozen=True)
class GateRules:
    """What a model must satisfy to become champion.

    ``metrics``: disparity metrics whose ratio must stay within ``ratio_band`` for every
    non-suppressed group (default: the assistive-side primary metrics FNR and FOR).
    ``max_calibration_gap``: largest allowed difference between a group's calibration error
    (mean score - observed rate) and the reference group's; None switches the rule off.
    ``require_significance``/``alpha``: see the module docstring.
    ``attributes``: which audited attributes the rules apply to (None = all).
    """

    metrics: tuple[str, ...] = PRIMARY_METRICS
    ratio_band: tuple[float, float] = (0.8, 1.25)
    max_calibration_gap: float | None = 0.03
    require_significance: bool = True
    alpha: float = 0.05
    attributes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in DISPARITY_METRICS]
        if unknown:
            raise ValueError(
                f"metrics: {', '.join(unknown)} have no disparities; "
                f"expected some of {', '.join(DISPARITY_METRICS)}"
            )
        low, high = self.ratio_band
        if not 0 < low < 1 < high:
            raise ValueError(f"ratio_band: expected 0 < low < 1 < high, got {self.ratio_band}")
        if self.max_calibration_gap is not None and self.max_calibration_gap <= 0:
            raise ValueError(
                "max_calibration_gap: expected a positive number or None, "
                f"got {self.max_calibration_gap}"
            )
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha: expected a probability in (0, 1), got {self.alpha}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateVerdict:
    """``passed`` is True when there are no failures; warnings never block."""

    passed: bool
    failures: list[str]
    warnings: list[str] = field(default_factory=list)
    rules: GateRules = field(default_factory=GateRules)
    comparisons: int = 0  # tests in the Holm family

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failures": list(self.failures),
            "warnings": list(self.warnings),
            "rules": self.rules.to_dict(),
            "comparisons": self.comparisons,
        }


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (NaN stays NaN and does not count as a test)."""
    order = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(order)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def evaluate_gate(report: AuditReport, rules: GateRules | None = None) -> GateVerdict:
    """Apply ``rules`` (default `GateRules()`) to ``report``; each failure is a plain sentence."""
    rules = rules or GateRules()
    failures: list[str] = []
    warnings: list[str] = []
    attributes = report.attributes if rules.attributes is None else rules.attributes
    missing = [a for a in attributes if a not in report.attributes]
    if missing:
        failures.append(
            f"The gate asks for attribute(s) {', '.join(missing)}, which the audit did not cover."
        )
    if rules.require_significance and report.settings.n_boot == 0:
        failures.append(
            "The audit has no confidence intervals (n_boot=0), so no disparity can be judged; "
            "re-run the audit with bootstrap resamples."
        )
        return GateVerdict(False, failures, warnings, rules)

    disparities = [
        d for d in report.disparities if d.attribute in attributes and d.metric in rules.metrics
    ]
    gaps: list[CalibrationGap] = []
    if rules.max_calibration_gap is not None:
        if report.settings.calibration_note and not report.calibration:
            warnings.append(f"Calibration was not checked: {report.settings.calibration_note}.")
        gaps = [g for g in report.calibration_gaps if g.attribute in attributes]
    adjusted = holm_adjust([d.p_value for d in disparities] + [g.p_value for g in gaps])
    comparisons = sum(not math.isnan(p) for p in adjusted)

    low, high = rules.ratio_band
    for d, p in zip(disparities, adjusted[: len(disparities)], strict=True):
        text = _disparity_text(d, low, high)
        if text is not None:
            _sort(text, p, rules, comparisons, failures, warnings)
    if rules.max_calibration_gap is not None:
        limit = rules.max_calibration_gap
        for gap, p in zip(gaps, adjusted[len(disparities) :], strict=True):
            if abs(gap.difference) > limit:
                _sort(_gap_text(gap, limit), p, rules, comparisons, failures, warnings)
    return GateVerdict(not failures, failures, warnings, rules, comparisons)


def _sort(
    text: str,
    adjusted_p: float,
    rules: GateRules,
    comparisons: int,
    failures: list[str],
    warnings: list[str],
) -> None:
    """File a finding outside the rules as a failure or a warning by its corrected p-value."""
    if not rules.require_significance:
        failures.append(text)
    elif math.isnan(adjusted_p):
        warnings.append(f"{text} Too few cases to judge; not counted.")
    elif adjusted_p <= rules.alpha:
        failures.append(f"{text} Significant (p = {adjusted_p:.3g} after Holm over {comparisons}).")
    else:
        warnings.append(
            f"{text} Not significant (p = {adjusted_p:.3g} after Holm over {comparisons}); "
            "not counted."
        )


def _interval_text(interval: tuple[float, float], fmt: str) -> str:
    pair = clean_interval(interval)
    if pair is None or pair[0] is None or pair[1] is None:
        return "interval not available"
    return f"95% interval {pair[0]:{fmt}} to {pair[1]:{fmt}}"


def _disparity_text(d: Disparity, low: float, high: float) -> str | None:
    """The sentence for a disparity outside the band, None when it is inside."""
    name = METRIC_NAMES[d.metric]
    where = f"{d.attribute} = {d.group!r} (reference {d.reference!r})"
    if math.isnan(d.ratio):  # the reference value is 0, so no ratio exists
        if not d.value > 0:
            return None
        return (
            f"The {name} differs between groups. {where}: {meaning(d.metric, d.value)}, while "
            f"the reference group's {name} is 0; the difference is {_points(d.difference)} "
            f"({_interval_text(d.difference_ci, '.3f')})."
        )
    if low <= d.ratio <= high:
        return None
    return (
        f"The {name} differs between groups. {where}: {meaning(d.metric, d.value)}, against "
        f"{percent(d.reference_value)} in the reference group: {d.ratio:.2f} times "
        f"({_interval_text(d.ratio_ci, '.2f')}); allowed {low:g} to {high:g} times."
    )


def _gap_text(gap: CalibrationGap, limit: float) -> str:
    direction = "over-state" if gap.difference > 0 else "under-state"
    return (
        f"Calibration differs between groups. {gap.attribute} = {gap.group!r}: the scores "
        f"{direction} this group's risk by {_points(abs(gap.difference))} more than for the "
        f"reference group {gap.reference!r} ({_interval_text(gap.ci, '.3f')}); "
        f"allowed {_points(limit)}."
    )


def _points(x: float) -> str:
    return f"{100 * x:.2f} percentage points"
