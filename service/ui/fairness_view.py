"""What the fairness page shows, read from the files a training run logs.

`fairness.write_report` writes `report.json` (`AuditReport.to_dict`) into the run's `fairness/`
artifact directory and `experiments.tracking.log_training_run` writes `gate.json`
(`{"passed", "failures"}`) beside it. This module reads those real keys and sorts the
disparities outside the band exactly as `fairness.gate.evaluate_gate` does: a disparity counts
against the model only when its metric is a gate metric and its p-value, Holm-corrected over
every comparison the gate makes (gate metrics of every group, and calibration gaps), is at most
alpha. The training run uses the default `GateRules()`, so this does too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from fairness.gate import GateRules, holm_adjust

#: How a disparity outside the band stands with the gate.
Standing = Literal["counted", "chance", "too_few", "not_gate"]
#: Order of the rows: what blocks a model first.
_ORDER: Final[dict[str, int]] = {"counted": 0, "too_few": 1, "chance": 2, "not_gate": 3}


@dataclass(frozen=True)
class DisparityRow:
    """One disparity outside the band, with its standing under the gate."""

    attribute: str
    group: str
    reference: str
    metric: str
    primary: bool
    value: float | None
    reference_value: float | None
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    adjusted_p: float | None
    standing: Standing


@dataclass(frozen=True)
class GateFile:
    """The run's `gate.json`: the whole verdict (model and fairness), failures in sentences."""

    passed: bool
    failures: tuple[str, ...]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _p(value: object) -> float:
    number = _number(value)
    return math.nan if number is None else number


def _outside(d: Mapping[str, Any], low: float, high: float) -> bool:
    """The gate's test (`fairness.gate._disparity_text`): ratio outside the band, or no ratio
    (the reference value is 0) while the group's value is above 0."""
    ratio = _number(d.get("ratio"))
    if ratio is None:
        value = _number(d.get("value"))
        return value is not None and value > 0
    return not low <= ratio <= high


def outside_band(
    report: Mapping[str, Any], *, rules: GateRules | None = None
) -> list[DisparityRow]:
    """Disparities of `report` (the dict of `report.json`) outside the band, primary first,
    then by standing, attribute and group; each marked as the gate `rules` would mark it."""
    rules = rules or GateRules()
    settings = report.get("settings") or {}
    audited = tuple(settings.get("attributes") or ())
    attributes = audited if rules.attributes is None else rules.attributes
    disparities: Sequence[Mapping[str, Any]] = report.get("disparities") or []
    gated = [
        d for d in disparities if d["attribute"] in attributes and d["metric"] in rules.metrics
    ]
    gaps: list[Mapping[str, Any]] = []
    if rules.max_calibration_gap is not None:
        gaps = [g for g in report.get("calibration_gaps") or [] if g["attribute"] in attributes]
    adjusted = holm_adjust(
        [_p(d.get("p_value")) for d in gated] + [_p(g.get("p_value")) for g in gaps]
    )
    p_of = {id(d): p for d, p in zip(gated, adjusted, strict=False)}
    low, high = rules.ratio_band
    rows = []
    for d in disparities:
        if not _outside(d, low, high):
            continue
        p = p_of.get(id(d))
        standing: Standing
        if p is None:
            standing = "not_gate"
        elif math.isnan(p):
            standing = "too_few"
        elif not rules.require_significance or p <= rules.alpha:
            standing = "counted"
        else:
            standing = "chance"
        interval = d.get("ratio_ci") or [None, None]
        rows.append(
            DisparityRow(
                attribute=str(d["attribute"]),
                group=str(d["group"]),
                reference=str(d["reference"]),
                metric=str(d["metric"]),
                primary=bool(d.get("primary")),
                value=_number(d.get("value")),
                reference_value=_number(d.get("reference_value")),
                ratio=_number(d.get("ratio")),
                ratio_low=_number(interval[0]),
                ratio_high=_number(interval[1]),
                adjusted_p=None if p is None or math.isnan(p) else p,
                standing=standing,
            )
        )
    rows.sort(key=lambda r: (not r.primary, _ORDER[r.standing], r.attribute, r.group, r.metric))
    return rows


def read_report(directory: Path) -> dict[str, Any] | None:
    """`report.json` of a fairness artifact directory, or None when there is none."""
    path = directory / "report.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_gate(run_artifacts: Path) -> GateFile | None:
    """`gate.json` of a run's artifact directory, or None when there is none."""
    path = run_artifacts / "gate.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return GateFile(passed=bool(data["passed"]), failures=tuple(data.get("failures") or ()))
