"""The audit report: frozen result objects and their JSON form (nulls, never NaN)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fairness.metrics import METRICS

Interval = tuple[float, float]
Side = Literal["assistive", "punitive", "context"]

#: Version of the JSON layout, bumped on incompatible changes.
SCHEMA_VERSION = 1


def clean(value: float | None) -> float | None:
    """A finite float, or None for NaN, infinity and None."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def clean_interval(interval: Interval | None) -> list[float | None] | None:
    if interval is None:
        return None
    low, high = clean(interval[0]), clean(interval[1])
    return None if low is None or high is None else [low, high]


@dataclass(frozen=True)
class GroupMetrics:
    """Confusion counts and metrics of one group of one attribute (all None when suppressed)."""

    attribute: str
    group: str
    suppressed: bool
    n: int | None
    tp: int | None
    fp: int | None
    tn: int | None
    fn: int | None
    metrics: Mapping[str, float] = field(default_factory=dict)  # NaN where undefined
    ci: Mapping[str, Interval] = field(default_factory=dict)  # NaN where undefined

    def value(self, metric: str) -> float | None:
        """The metric, or None when suppressed or undefined."""
        return clean(self.metrics.get(metric))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attribute": self.attribute,
            "group": self.group,
            "suppressed": self.suppressed,
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
        }
        for metric in METRICS:
            out[metric] = self.value(metric)
        out["ci"] = {m: clean_interval(self.ci.get(m)) for m in METRICS}
        return out


@dataclass(frozen=True)
class Disparity:
    """One metric of one group compared with the attribute's reference group."""

    attribute: str
    group: str
    reference: str
    metric: str
    side: Side
    value: float
    reference_value: float
    ratio: float  # NaN when the reference value is 0
    ratio_ci: Interval
    difference: float
    difference_ci: Interval
    #: ratio outside the band (None when the ratio is undefined)
    outside_band: bool | None
    #: p_value below 1 - level, before any multiple-comparison correction (None: undefined)
    significant: bool | None
    #: two-sided p-value of "no difference": for rates the inversion of the MOVER-R ratio
    #: interval (`fairness.intervals`: the interval excludes 1 exactly when p < 1 - level),
    #: bootstrap standard error for the share of the list; NaN when undefined or when the
    #: rate's own denominator is below the minimum size (too few to judge)
    p_value: float = float("nan")
    #: the ratio a ranking calibrated within groups would show at the same capacity
    #: (`fairness.group_calibration.calibrated_reference`); NaN when the scores are not
    #: probabilities or the reference value is 0
    calibrated_ratio: float = float("nan")

    @property
    def primary(self) -> bool:
        return self.side == "assistive"

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "group": self.group,
            "reference": self.reference,
            "metric": self.metric,
            "side": self.side,
            "primary": self.primary,
            "value": clean(self.value),
            "reference_value": clean(self.reference_value),
            "ratio": clean(self.ratio),
            "ratio_ci": clean_interval(self.ratio_ci),
            "difference": clean(self.difference),
            "difference_ci": clean_interval(self.difference_ci),
            "outside_band": self.outside_band,
            "significant": self.significant,
            "p_value": clean(self.p_value),
            "calibrated_ratio": clean(self.calibrated_ratio),
        }


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    n: int
    mean_score: float  # NaN when the bin is empty
    observed_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": clean(self.low),
            "high": clean(self.high),
            "n": self.n,
            "mean_score": clean(self.mean_score),
            "observed_rate": clean(self.observed_rate),
        }


@dataclass(frozen=True)
class GroupCalibration:
    """Calibration of one group: ECE, signed error (mean score - observed rate), bins."""

    attribute: str
    group: str
    suppressed: bool
    n: int | None
    ece: float | None
    ece_ci: Interval | None
    error: float | None
    error_ci: Interval | None
    mean_score: float | None
    observed_rate: float | None
    bins: tuple[CalibrationBin, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "group": self.group,
            "suppressed": self.suppressed,
            "n": self.n,
            "ece": clean(self.ece),
            "ece_ci": clean_interval(self.ece_ci),
            "error": clean(self.error),
            "error_ci": clean_interval(self.error_ci),
            "mean_score": clean(self.mean_score),
            "observed_rate": clean(self.observed_rate),
            "bins": [b.to_dict() for b in self.bins],
        }


@dataclass(frozen=True)
class CalibrationGap:
    """Difference of calibration errors, group minus reference (0 = equally calibrated)."""

    attribute: str
    group: str
    reference: str
    difference: float
    ci: Interval
    significant: bool | None  # p_value below 1 - level (uncorrected)
    p_value: float = float("nan")  # of "no difference", before multiple-comparison correction

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "group": self.group,
            "reference": self.reference,
            "difference": clean(self.difference),
            "ci": clean_interval(self.ci),
            "significant": self.significant,
            "p_value": clean(self.p_value),
        }


@dataclass(frozen=True)
class GroupExplanation:
    """Mean absolute contribution by data source for one group (all rows or flagged rows)."""

    attribute: str
    group: str
    scope: Literal["all", "flagged"]
    suppressed: bool
    n: int | None
    mean_abs: Mapping[str, float] = field(default_factory=dict)
    share: Mapping[str, float] = field(default_factory=dict)  # of the sum over sources

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "group": self.group,
            "scope": self.scope,
            "suppressed": self.suppressed,
            "n": self.n,
            "mean_abs": {k: clean(v) for k, v in self.mean_abs.items()},
            "share": {k: clean(v) for k, v in self.share.items()},
        }


@dataclass(frozen=True)
class AuditSettings:
    """How the audit was run, so a report can be reproduced and read on its own."""

    score_col: str
    label_col: str
    attributes: tuple[str, ...]
    rule: str
    within: str | None
    references: Mapping[str, str]
    min_group_size: int
    n_boot: int
    seed: int
    level: float
    band: tuple[float, float]
    n_rows: int
    n_flagged: int
    n_labelled: int
    calibration_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "score_col": self.score_col,
            "label_col": self.label_col,
            "attributes": list(self.attributes),
            "rule": self.rule,
            "within": self.within,
            "references": dict(self.references),
            "min_group_size": self.min_group_size,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "level": self.level,
            "band": list(self.band),
            "n_rows": self.n_rows,
            "n_flagged": self.n_flagged,
            "n_labelled": self.n_labelled,
            "calibration_note": self.calibration_note,
        }


@dataclass(frozen=True)
class AuditReport:
    """Everything one audit found. Compute with `fairness.audit`; render with `render_html`."""

    settings: AuditSettings
    groups: tuple[GroupMetrics, ...]
    disparities: tuple[Disparity, ...]
    calibration: tuple[GroupCalibration, ...]
    calibration_gaps: tuple[CalibrationGap, ...]
    explanations: tuple[GroupExplanation, ...]

    @property
    def attributes(self) -> tuple[str, ...]:
        return self.settings.attributes

    def group(self, attribute: str, group: str) -> GroupMetrics:
        """The entry of one group; KeyError naming it when absent."""
        for g in self.groups:
            if g.attribute == attribute and g.group == group:
                return g
        raise KeyError(f"no group {group!r} of attribute {attribute!r} in the report")

    def flagged_disparities(self, *, side: Side | None = None) -> list[Disparity]:
        """Disparities outside the band, optionally only those of one side."""
        return [d for d in self.disparities if d.outside_band and (side is None or d.side == side)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: undefined figures are None, never NaN."""
        return {
            "schema_version": SCHEMA_VERSION,
            "settings": self.settings.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "disparities": [d.to_dict() for d in self.disparities],
            "calibration": [c.to_dict() for c in self.calibration],
            "calibration_gaps": [c.to_dict() for c in self.calibration_gaps],
            "explanations": [e.to_dict() for e in self.explanations],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
