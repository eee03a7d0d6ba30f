"""The promotion gate: configurable rules over an `AuditReport`, and a verdict of findings.

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
cases), are returned as warnings for the auditor to read; they never block. Disparities outside
the band on metrics or attributes the rules do not cover are returned as notes, for reading. A
report computed without bootstrap resamples (``n_boot=0``) cannot pass a gate that requires
significance. Each finding is a `fairness.findings.GateFinding` (facts); `describe` renders it.

Calibration within groups is a rule of its own, and the gate names it as the cause (decided,
documented in docs/fairness.md). At a fixed list size the false omission and false negative
rates move with each group's base rate and with how the scores state each group's risk; the
second is the model's to fix, the first is not. So every judged disparity carries the ratio a
ranking calibrated within groups would show at the same capacity (``calibrated_ratio``), and a
``cause`` (`fairness.findings.Cause`): ``calibration`` when the group's own calibration fails
the rule and recalibrating within groups brings the ratio into the band, ``partly_calibration``
when it moves the ratio towards 1 but not into the band, ``not_calibration`` when the
calibrated ranking shows the disparity too and calibration is not what moves it (base rates
at a fixed list size, or how the scores order the group's families: the audit cannot tell
which, so such a disparity still fails). Calibration failures come first in the verdict; the
raw disparities stay failures, with their own figures, so an auditor sees every one of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from fairness.disparity import DISPARITY_METRICS, PRIMARY_METRICS
from fairness.findings import Cause, GateFinding, Significance, describe, finite, finite_pair
from fairness.report import AuditReport, CalibrationGap, Disparity

__all__ = [
    "GateFinding",
    "GateRules",
    "GateVerdict",
    "describe",
    "disparity_cause",
    "evaluate_gate",
    "holm_adjust",
]


@dataclass(frozen=True)
class GateRules:
    """What a model must satisfy to become champion.

    ``metrics``: disparity metrics whose ratio must stay within ``ratio_band`` for every
    non-suppressed group (default: the assistive-side primary metrics FNR and FOR).
    ``max_calibration_gap``: the rule "calibration within groups": largest allowed difference
    between a group's calibration error (mean score - observed rate) and the reference group's,
    in probability (0.005 is half a percentage point, about a seventh of a 3.5% base rate);
    None switches the rule off.
    ``require_significance``/``alpha``: see the module docstring.
    ``attributes``: which audited attributes the rules apply to (None = all).
    """

    metrics: tuple[str, ...] = PRIMARY_METRICS
    ratio_band: tuple[float, float] = (0.8, 1.25)
    max_calibration_gap: float | None = 0.005
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
    """``passed`` is True when there are no failures; warnings and notes never block.

    ``notes`` are the disparities outside the band on metrics or attributes the rules do not
    judge: the auditor reads them, the gate does not count them.
    """

    passed: bool
    failures: list[GateFinding]
    warnings: list[GateFinding] = field(default_factory=list)
    rules: GateRules = field(default_factory=GateRules)
    comparisons: int = 0  # tests in the Holm family
    notes: list[GateFinding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failures": [f.to_dict() for f in self.failures],
            "warnings": [w.to_dict() for w in self.warnings],
            "notes": [n.to_dict() for n in self.notes],
            "rules": self.rules.to_dict(),
            "comparisons": self.comparisons,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateVerdict:
        """The inverse of `to_dict` (as written to `verdict.json`)."""
        rules = dict(data.get("rules") or {})
        for name in ("metrics", "ratio_band", "attributes"):
            if rules.get(name) is not None:
                rules[name] = tuple(rules[name])
        return cls(
            passed=bool(data["passed"]),
            failures=[GateFinding.from_dict(f) for f in data.get("failures") or ()],
            warnings=[GateFinding.from_dict(w) for w in data.get("warnings") or ()],
            rules=GateRules(**rules),
            comparisons=int(data.get("comparisons") or 0),
            notes=[GateFinding.from_dict(n) for n in data.get("notes") or ()],
        )


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
    """Apply ``rules`` (default `GateRules()`) to ``report``; each finding is a `GateFinding`."""
    rules = rules or GateRules()
    failures: list[GateFinding] = []
    warnings: list[GateFinding] = []
    attributes = report.attributes if rules.attributes is None else rules.attributes
    missing = [a for a in attributes if a not in report.attributes]
    if missing:
        failures.append(GateFinding("attribute_missing", attributes=tuple(missing)))
    if rules.require_significance and report.settings.n_boot == 0:
        failures.append(GateFinding("no_intervals"))
        return GateVerdict(False, failures, warnings, rules)

    disparities = [
        d for d in report.disparities if d.attribute in attributes and d.metric in rules.metrics
    ]
    gaps: list[CalibrationGap] = []
    if rules.max_calibration_gap is not None:
        if report.settings.calibration_note and not report.calibration:
            warnings.append(
                GateFinding("calibration_not_checked", note=report.settings.calibration_note)
            )
        gaps = [g for g in report.calibration_gaps if g.attribute in attributes]
    adjusted = holm_adjust([d.p_value for d in disparities] + [g.p_value for g in gaps])
    comparisons = sum(not math.isnan(p) for p in adjusted)

    # calibration within groups first: a disparity it explains names it as its cause
    miscalibrated: set[tuple[str, str]] = set()
    if rules.max_calibration_gap is not None:
        limit = rules.max_calibration_gap
        for gap, p in zip(gaps, adjusted[len(disparities) :], strict=True):
            if abs(gap.difference) > limit:
                finding = _gap(gap, limit, _significance(p, rules), p, comparisons)
                (failures if finding.blocks else warnings).append(finding)
                if finding.blocks:
                    miscalibrated.add((gap.attribute, gap.group))
    for d, p in zip(disparities, adjusted[: len(disparities)], strict=True):
        if _outside(d, rules.ratio_band):
            finding = _disparity(d, rules, _significance(p, rules), p, comparisons)
            finding = replace(
                finding, cause=disparity_cause(d, rules=rules, miscalibrated=miscalibrated)
            )
            (failures if finding.blocks else warnings).append(finding)
    judged = {id(d) for d in disparities}
    notes = [
        _disparity(d, rules, "not_judged", math.nan, None)
        for d in report.disparities
        if id(d) not in judged and _outside(d, rules.ratio_band)
    ]
    return GateVerdict(not failures, failures, warnings, rules, comparisons, notes)


def disparity_cause(
    d: Disparity, *, rules: GateRules, miscalibrated: set[tuple[str, str]]
) -> Cause | None:
    """What disparity ``d`` follows from (`fairness.findings.Cause`), or None.

    ``miscalibrated``: the (attribute, group) pairs that fail calibration within groups.
    """
    calibrated, raw = d.calibrated_ratio, d.ratio
    if math.isnan(calibrated) or math.isnan(raw) or raw <= 0 or calibrated <= 0:
        return None
    low, high = rules.ratio_band
    inside = low <= calibrated <= high
    same_side = (calibrated > high and raw > high) or (calibrated < low and raw < low)
    nearer = abs(math.log(calibrated)) < abs(math.log(raw))
    if (d.attribute, d.group) in miscalibrated and nearer:
        if inside:
            return "calibration"
        if same_side:
            return "partly_calibration"
    return "not_calibration" if same_side else None


def _significance(adjusted_p: float, rules: GateRules) -> Significance:
    """How a finding outside the rules stands, by its corrected p-value."""
    if not rules.require_significance:
        return "not_required"
    if math.isnan(adjusted_p):
        return "too_few"
    return "significant" if adjusted_p <= rules.alpha else "not_significant"


def _outside(d: Disparity, band: tuple[float, float]) -> bool:
    """Ratio outside the band, or no ratio (the reference value is 0) while the value is above
    0."""
    if math.isnan(d.ratio):
        return d.value > 0
    return not band[0] <= d.ratio <= band[1]


def _disparity(
    d: Disparity,
    rules: GateRules,
    significance: Significance,
    adjusted_p: float,
    comparisons: int | None,
) -> GateFinding:
    return GateFinding(
        "disparity",
        attribute=d.attribute,
        group=d.group,
        reference=d.reference,
        metric=d.metric,
        value=finite(d.value),
        reference_value=finite(d.reference_value),
        ratio=finite(d.ratio),
        ratio_ci=finite_pair(d.ratio_ci),
        difference=finite(d.difference),
        difference_ci=finite_pair(d.difference_ci),
        band=rules.ratio_band,
        p_value=finite(d.p_value),
        adjusted_p=finite(adjusted_p),
        comparisons=comparisons,
        significance=significance,
        calibrated_ratio=finite(d.calibrated_ratio),
    )


def _gap(
    gap: CalibrationGap,
    limit: float,
    significance: Significance,
    adjusted_p: float,
    comparisons: int,
) -> GateFinding:
    return GateFinding(
        "calibration_gap",
        attribute=gap.attribute,
        group=gap.group,
        reference=gap.reference,
        difference=finite(gap.difference),
        difference_ci=finite_pair(gap.ci),
        limit=limit,
        p_value=finite(gap.p_value),
        adjusted_p=finite(adjusted_p),
        comparisons=comparisons,
        significance=significance,
    )
