"""What the fairness gate found, as facts: one `GateFinding` per failure, warning or note.

The gate (`fairness.gate.evaluate_gate`) decides; this module holds its findings and their only
rendering to English, `describe`. Readers that need the facts (the fairness page, the model
gate, tests) read the fields; the CLI, the HTML report and the model card show `describe(f)`.
`to_dict`/`from_dict` are the JSON form written to `verdict.json` and the run's `gate.json`
(nulls, never NaN).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

from fairness.wording import METRIC_NAMES, meaning, percent

#: The rule a finding is about.
#: - ``attribute_missing``: the rules name attributes the audit did not cover (failure);
#: - ``no_intervals``: significance is required but the audit ran without bootstrap (failure);
#: - ``calibration_not_checked``: the calibration rule could not be applied (warning);
#: - ``disparity``: a group's ratio to the reference group is outside the band, or the
#:   reference value is 0 while the group's is not (no ratio exists);
#: - ``calibration_gap``: the rule "calibration within groups": a group's calibration error
#:   (mean score minus observed rate) differs from the reference group's by more than the limit.
FairnessRule = Literal[
    "attribute_missing",
    "no_intervals",
    "calibration_not_checked",
    "disparity",
    "calibration_gap",
]
#: How a disparity or gap outside the rules stands with the Holm test:
#: ``not_required`` and ``significant`` fail the gate; ``not_significant`` and ``too_few``
#: (p-value undefined) are warnings; ``not_judged`` is a note on a metric or attribute the rules
#: do not cover (for reading only).
Significance = Literal["not_required", "significant", "not_significant", "too_few", "not_judged"]
BLOCKING: tuple[Significance, ...] = ("not_required", "significant")
#: What the calibration evidence says of a disparity (None: it says nothing). "Calibrated
#: reference": the ratio a ranking calibrated within groups would show at the same capacity.
#: - ``calibration``: the group's own calibration fails the rule "calibration within groups"
#:   (a blocking ``calibration_gap`` finding) and the calibrated reference is within the band:
#:   the scores state this group's risk differently, and that is the whole disparity;
#: - ``partly_calibration``: the group's calibration fails and the calibrated reference is
#:   nearer 1 than the raw ratio but still outside the band on the same side;
#: - ``not_calibration``: the calibrated reference is outside the band on the same side and
#:   calibration is not what moves it: the disparity comes from the groups' base rates at a
#:   fixed list size or from how the scores order families within the group (records that
#:   over-record a group do this); the audit alone cannot tell these two apart.
Cause = Literal["calibration", "partly_calibration", "not_calibration"]


@dataclass(frozen=True)
class GateFinding:
    """One finding of the fairness gate; fields that do not apply to its rule are None.

    For ``disparity``: ``metric``, ``value`` (the group's), ``reference_value``, ``ratio``
    (None when the reference value is 0), ``ratio_ci``, ``difference`` (group minus reference)
    and ``difference_ci``, ``band`` (the allowed ratios). For ``calibration_gap``:
    ``difference`` (group's calibration error minus the reference group's), ``difference_ci``
    and ``limit``. Both carry ``p_value`` (raw), ``adjusted_p`` (after Holm over ``comparisons``
    tests; None when undefined or not in the family) and ``significance``. A disparity also
    carries ``calibrated_ratio``, the ratio a ranking calibrated within groups would show at the
    same capacity (`fairness.group_calibration.calibrated_reference`), and ``cause`` (`Cause`):
    the raw ratio stays the finding, the cause says how to read it. Intervals are 95%
    intervals (MOVER-R / Newcombe from Wilson intervals for rates, bootstrap for calibration),
    None when not available.
    """

    rule: FairnessRule
    attribute: str | None = None
    group: str | None = None
    reference: str | None = None
    metric: str | None = None
    value: float | None = None
    reference_value: float | None = None
    ratio: float | None = None
    ratio_ci: tuple[float, float] | None = None
    difference: float | None = None
    difference_ci: tuple[float, float] | None = None
    band: tuple[float, float] | None = None
    limit: float | None = None
    p_value: float | None = None
    adjusted_p: float | None = None
    comparisons: int | None = None
    significance: Significance | None = None
    attributes: tuple[str, ...] = ()  # attribute_missing: the attributes not audited
    note: str | None = None  # calibration_not_checked: why
    calibrated_ratio: float | None = None  # disparity: under a ranking calibrated within groups
    cause: Cause | None = None  # disparity: what it follows from, when the gate can tell

    @property
    def blocks(self) -> bool:
        """True for a failure of the gate (warnings and notes never block)."""
        if self.rule in ("attribute_missing", "no_intervals"):
            return True
        return self.significance in BLOCKING

    def describe(self) -> str:
        """The finding as one English sentence (`describe`)."""
        return describe(self)

    def to_dict(self) -> dict[str, Any]:
        """The fields that apply, as JSON values (tuples become lists, None is left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateFinding:
        """The inverse of `to_dict`; refuses unknown rules and keys."""
        rule = data.get("rule")
        if rule not in get_args(FairnessRule):
            raise ValueError(
                f"rule: expected one of {', '.join(get_args(FairnessRule))}, got {rule!r}"
            )
        significance = data.get("significance")
        if significance is not None and significance not in get_args(Significance):
            raise ValueError(
                f"significance: expected one of {', '.join(get_args(Significance))}, "
                f"got {significance!r}"
            )
        cause = data.get("cause")
        if cause is not None and cause not in get_args(Cause):
            raise ValueError(f"cause: expected one of {', '.join(get_args(Cause))}, got {cause!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown keys of a fairness gate finding: {', '.join(unknown)}")
        values = dict(data)
        for name in ("ratio_ci", "difference_ci", "band"):
            if values.get(name) is not None:
                low, high = values[name]
                values[name] = (float(low), float(high))
        values["attributes"] = tuple(values.get("attributes") or ())
        return cls(**values)


def finite(value: float | None) -> float | None:
    """A finite float, or None for NaN, infinity and None (JSON has no NaN)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def finite_pair(interval: tuple[float, float] | None) -> tuple[float, float] | None:
    """Both ends finite, or None."""
    if interval is None:
        return None
    low, high = finite(interval[0]), finite(interval[1])
    return None if low is None or high is None else (low, high)


def describe(finding: GateFinding) -> str:
    """The English sentence of ``finding``: the one place the gate's findings become text."""
    if finding.rule == "attribute_missing":
        return (
            f"The gate asks for attribute(s) {', '.join(finding.attributes)}, "
            "which the audit did not cover."
        )
    if finding.rule == "no_intervals":
        return (
            "The audit has no confidence intervals (n_boot=0), so no disparity can be judged; "
            "re-run the audit with bootstrap resamples."
        )
    if finding.rule == "calibration_not_checked":
        return f"Calibration was not checked: {finding.note}."
    if finding.rule == "disparity":
        return _disparity_text(finding) + _significance_text(finding) + _cause_text(finding)
    return _gap_text(finding) + _significance_text(finding)


def _cause_text(f: GateFinding) -> str:
    if f.calibrated_ratio is None:
        return ""
    reference = (
        " A ranking calibrated within each group would show "
        f"{f.calibrated_ratio:.2f} times at the same capacity"
    )
    if f.cause == "calibration":
        return (
            reference + ": this disparity follows from the group's calibration, which fails the "
            "rule of calibration within groups (its own finding); fix the calibration first."
        )
    if f.cause == "partly_calibration":
        return (
            reference + ": the group's calibration, which fails the rule of calibration within "
            "groups (its own finding), explains part of this disparity, not all of it."
        )
    if f.cause == "not_calibration":
        return (
            reference + ": calibration within groups does not explain this disparity; it comes "
            "from the groups' different base rates at a fixed list size or from how the scores "
            "order this group's families (records that over- or under-record a group do this)."
        )
    return reference + "."


def _significance_text(finding: GateFinding) -> str:
    p, m = finding.adjusted_p, finding.comparisons
    if finding.significance == "significant":
        return f" Significant (p = {p:.3g} after Holm over {m})."
    if finding.significance == "not_significant":
        return f" Not significant (p = {p:.3g} after Holm over {m}); not counted."
    if finding.significance == "too_few":
        return " Too few cases to judge; not counted."
    if finding.significance == "not_judged":
        return " Not a gate metric; for reading only."
    return ""


def _interval_text(interval: tuple[float, float] | None, fmt: str) -> str:
    if interval is None:
        return "interval not available"
    return f"95% interval {interval[0]:{fmt}} to {interval[1]:{fmt}}"


def _points(x: float) -> str:
    return f"{100 * x:.2f} percentage points"


def _disparity_text(f: GateFinding) -> str:
    metric = f.metric or ""
    name = METRIC_NAMES[metric]
    where = f"{f.attribute} = {f.group!r} (reference {f.reference!r})"
    if f.ratio is None:  # the reference value is 0, so no ratio exists
        return (
            f"The {name} differs between groups. {where}: {meaning(metric, f.value)}, while "
            f"the reference group's {name} is 0; the difference is {_points(f.difference or 0.0)} "
            f"({_interval_text(f.difference_ci, '.3f')})."
        )
    low, high = f.band or (math.nan, math.nan)
    return (
        f"The {name} differs between groups. {where}: {meaning(metric, f.value)}, against "
        f"{percent(f.reference_value)} in the reference group: {f.ratio:.2f} times "
        f"({_interval_text(f.ratio_ci, '.2f')}); allowed {low:g} to {high:g} times."
    )


def _gap_text(f: GateFinding) -> str:
    difference = f.difference or 0.0
    direction = "over-state" if difference > 0 else "under-state"
    return (
        f"Calibration differs between groups. {f.attribute} = {f.group!r}: the scores "
        f"{direction} this group's risk by {_points(abs(difference))} more than for the "
        f"reference group {f.reference!r} ({_interval_text(f.difference_ci, '.3f')}); "
        f"allowed {_points(f.limit or 0.0)}."
    )
