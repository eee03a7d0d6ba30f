"""The promotion gate: configurable rules over an `AuditReport`, and a verdict in sentences.

Uncertainty rule (decided, documented in docs/fairness.md): with ``require_significance`` (the
default) a disparity fails the gate only when its ratio is outside the band *and* the bootstrap
interval of the ratio excludes 1 (for calibration: the gap exceeds the limit and its interval
excludes 0). A ratio of 1.4 whose interval runs from 0.7 to 2.6 is not evidence of a disparity;
blocking a model on it would make promotion a lottery at small group sizes. Such cases, and
cases whose interval is undefined, are returned as warnings for the auditor to read. A report
computed without intervals (``n_boot=0``) cannot pass a gate that requires them.
"""

from __future__ import annotations

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
    ``attributes``: which audited attributes the rules apply to (None = all).
    """

    metrics: tuple[str, ...] = PRIMARY_METRICS
    ratio_band: tuple[float, float] = (0.8, 1.25)
    max_calibration_gap: float | None = 0.03
    require_significance: bool = True
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateVerdict:
    """``passed`` is True when there are no failures; warnings never block."""

    passed: bool
    failures: list[str]
    warnings: list[str] = field(default_factory=list)
    rules: GateRules = field(default_factory=GateRules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failures": list(self.failures),
            "warnings": list(self.warnings),
            "rules": self.rules.to_dict(),
        }


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

    low, high = rules.ratio_band
    for d in report.disparities:
        if d.attribute in attributes and d.metric in rules.metrics:
            _judge_disparity(d, low, high, rules.require_significance, failures, warnings)

    if rules.max_calibration_gap is not None:
        if report.settings.calibration_note and not report.calibration:
            warnings.append(f"Calibration was not checked: {report.settings.calibration_note}.")
        for gap in report.calibration_gaps:
            if gap.attribute in attributes:
                _judge_gap(
                    gap, rules.max_calibration_gap, rules.require_significance, failures, warnings
                )

    return GateVerdict(not failures, failures, warnings, rules)


def _interval_text(interval: tuple[float, float], fmt: str) -> str:
    pair = clean_interval(interval)
    if pair is None or pair[0] is None or pair[1] is None:
        return "interval not available"
    return f"95% interval {pair[0]:{fmt}} to {pair[1]:{fmt}}"


def _judge_disparity(
    d: Disparity,
    low: float,
    high: float,
    require_significance: bool,
    failures: list[str],
    warnings: list[str],
) -> None:
    name = METRIC_NAMES[d.metric]
    where = f"{d.attribute} = {d.group!r} (reference {d.reference!r})"
    if d.ratio != d.ratio:  # NaN: the reference value is 0, so no ratio exists
        if d.value > 0:
            text = (
                f"{where}: {meaning(d.metric, d.value)}, while the reference group's {name} is 0; "
                f"the difference is {_points(d.difference)} "
                f"({_interval_text(d.difference_ci, '.3f')})."
            )
            sig = _excludes(d.difference_ci, 0.0)
            (failures if sig or (sig is None and not require_significance) else warnings).append(
                text
            )
        return
    if low <= d.ratio <= high:
        return
    text = (
        f"{where}: {meaning(d.metric, d.value)}, against {percent(d.reference_value)} in the "
        f"reference group: {d.ratio:.2f} times ({_interval_text(d.ratio_ci, '.2f')}); "
        f"allowed {low:g} to {high:g} times."
    )
    if not require_significance or d.significant:
        failures.append(f"The {name} differs between groups. {text}")
    elif d.significant is None:
        warnings.append(f"The {name} may differ between groups (too few cases to tell). {text}")
    else:
        warnings.append(
            f"The {name} differs, but the interval includes equal rates, so it is not "
            f"counted. {text}"
        )


def _judge_gap(
    gap: CalibrationGap,
    limit: float,
    require_significance: bool,
    failures: list[str],
    warnings: list[str],
) -> None:
    if abs(gap.difference) <= limit:
        return
    direction = "over-state" if gap.difference > 0 else "under-state"
    text = (
        f"{gap.attribute} = {gap.group!r}: the scores {direction} this group's risk by "
        f"{_points(abs(gap.difference))} more than for the reference group {gap.reference!r} "
        f"({_interval_text(gap.ci, '.3f')}); allowed {_points(limit)}."
    )
    if not require_significance or gap.significant:
        failures.append(f"Calibration differs between groups. {text}")
    else:
        warnings.append(f"Calibration may differ between groups (not significant). {text}")


def _points(x: float) -> str:
    return f"{100 * x:.2f} percentage points"


def _excludes(interval: tuple[float, float], value: float) -> bool | None:
    pair = clean_interval(interval)
    if pair is None or pair[0] is None or pair[1] is None:
        return None
    return pair[0] > value or pair[1] < value
