"""Flat metric names for experiment tracking: ``fairness.<attribute>.<group>.<metric>``.

The tracking module (the only one that talks to MLflow) logs this dict as it is. Attribute and
group names are sanitised to letters, digits, ``_`` and ``-`` (dots separate the parts, and
MLflow rejects most punctuation); names that collide after sanitising get ``_2``, ``_3``, ...
"""

from __future__ import annotations

import math
import re

from fairness.metrics import METRICS
from fairness.report import AuditReport

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def sanitise(name: str) -> str:
    """``"ethnicity x urban"`` -> ``"ethnicity_x_urban"``; never empty."""
    return _UNSAFE.sub("_", name).strip("_") or "_"


def _unique(name: str, taken: set[str]) -> str:
    candidate, i = name, 2
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    taken.add(candidate)
    return candidate


def fairness_metrics(report: AuditReport) -> dict[str, float]:
    """Every defined figure of the non-suppressed groups as ``fairness.<attr>.<group>.<metric>``.

    Metrics: ``n``, the confusion cells, the group metrics, ``<metric>_ratio`` and
    ``<metric>_diff`` against the reference group, ``ece``, ``calibration_error`` and
    ``calibration_gap``. Undefined figures are left out (MLflow has no null).
    """
    attr_names: dict[str, str] = {}
    taken_attrs: set[str] = set()
    group_names: dict[tuple[str, str], str] = {}
    taken_groups: dict[str, set[str]] = {}

    def key(attribute: str, group: str) -> str:
        if attribute not in attr_names:
            attr_names[attribute] = _unique(sanitise(attribute), taken_attrs)
        if (attribute, group) not in group_names:
            taken = taken_groups.setdefault(attribute, set())
            group_names[attribute, group] = _unique(sanitise(group), taken)
        return f"fairness.{attr_names[attribute]}.{group_names[attribute, group]}"

    out: dict[str, float] = {}

    def put(name: str, value: float | int | None) -> None:
        if value is not None and math.isfinite(float(value)):
            out[name] = float(value)

    for g in report.groups:
        prefix = key(g.attribute, g.group)  # registered even when suppressed: stable names
        if g.suppressed:
            continue
        for cell in ("n", "tp", "fp", "tn", "fn"):
            put(f"{prefix}.{cell}", getattr(g, cell))
        for metric in METRICS:
            put(f"{prefix}.{metric}", g.metrics.get(metric))
    for d in report.disparities:
        prefix = key(d.attribute, d.group)
        put(f"{prefix}.{d.metric}_ratio", d.ratio)
        put(f"{prefix}.{d.metric}_diff", d.difference)
    for c in report.calibration:
        if not c.suppressed:
            prefix = key(c.attribute, c.group)
            put(f"{prefix}.ece", c.ece)
            put(f"{prefix}.calibration_error", c.error)
    for gap in report.calibration_gaps:
        put(f"{key(gap.attribute, gap.group)}.calibration_gap", gap.difference)
    return out
