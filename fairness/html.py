"""A self-contained HTML page of an audit report (Jinja2; plots embedded as base64 PNGs)."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from fairness.disparity import PRIMARY_METRICS, PUNITIVE_METRICS
from fairness.findings import describe
from fairness.flatten import sanitise
from fairness.metrics import METRICS
from fairness.plots import report_plots
from fairness.report import SCHEMA_VERSION, AuditReport, Interval, clean, clean_interval
from fairness.wording import METRIC_NAMES, meaning, percent

if TYPE_CHECKING:
    from fairness.gate import GateVerdict

DEFINITIONS = {
    "tpr": "share of the labelled families that were on the list",
    "fpr": "share of the families without the label that were put on the list",
    "fnr": "share of the labelled families that were left off the list (primary)",
    "tnr": "share of the families without the label that were left off the list",
    "precision": "share of the list that had the label",
    "fdr": "share of the list without the label (punitive side)",
    "for": "share of the families left off the list that had the label (primary)",
    "npv": "share of the families left off the list without the label",
    "pprev": "selection rate: share of the group that was put on the list",
    "ppr": "the group's share of the whole list",
    "prevalence": "share of the group with the label",
}

FORMULAS = {
    "tpr": "tp / (tp + fn)",
    "fpr": "fp / (fp + tn)",
    "fnr": "fn / (tp + fn)",
    "tnr": "tn / (fp + tn)",
    "precision": "tp / (tp + fp)",
    "fdr": "fp / (tp + fp)",
    "for": "fn / (fn + tn)",
    "npv": "tn / (fn + tn)",
    "pprev": "(tp + fp) / n",
    "ppr": "(tp + fp) / all flagged families",
    "prevalence": "(tp + fn) / n",
}

PLOT_TITLES = {
    "rates": "error rates by group",
    "disparities": "disparity ratios",
    "calibration": "calibration by group",
    "explanations": "data sources in the explanations",
}


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(
        loader=PackageLoader("fairness", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    return env.get_template("report.html.j2")


def _ci(interval: Interval | None, fmt: str = "pct") -> str:
    pair = clean_interval(interval)
    if pair is None or pair[0] is None or pair[1] is None:
        return ""
    if fmt == "pct":
        return f"{percent(pair[0])} – {percent(pair[1])}"
    return f"{pair[0]:.3f} – {pair[1]:.3f}"


def _num(value: float | None) -> str:
    v = clean(value)
    return "n/a" if v is None else f"{v:.3f}"


def findings(report: AuditReport) -> list[str]:
    """Sentences for every primary or punitive disparity outside the band, primary first."""
    out: list[str] = []
    for metric in (*PRIMARY_METRICS, *PUNITIVE_METRICS):
        for d in report.disparities:
            if d.metric != metric or not d.outside_band:
                continue
            side = "primary, assistive" if d.side == "assistive" else "punitive side"
            certainty = {
                True: f"unlikely to be chance alone (p = {d.p_value:.2g})",
                False: f"but this may be chance (p = {d.p_value:.2g})",
                None: "too few cases for an interval",
            }[d.significant]
            out.append(
                f"{d.attribute} = {d.group}: {meaning(d.metric, d.value)} against "
                f"{percent(d.reference_value)} for {d.reference} "
                f"({METRIC_NAMES[d.metric]}, {side}): {d.ratio:.2f} times, "
                f"interval {_ci(d.ratio_ci, 'num')}; {certainty}."
            )
    return out


def _attribute_view(report: AuditReport, attribute: str, plots: dict[str, bytes]) -> dict[str, Any]:
    reference = report.settings.references.get(attribute)
    flagged_groups = {
        d.group
        for d in report.disparities
        if d.attribute == attribute and d.primary and d.outside_band and d.significant
    }
    groups: list[dict[str, Any]] = []
    for g in report.groups:
        if g.attribute != attribute:
            continue
        row: dict[str, Any] = {
            "group": g.group,
            "suppressed": g.suppressed,
            "reference": g.group == reference,
            "flagged": g.group in flagged_groups,
            "n": g.n,
            "prevalence": percent(g.value("prevalence")),
            "pprev": percent(g.value("pprev")),
        }
        for m in METRICS:
            row[m] = {"value": percent(g.value(m)), "ci": _ci(g.ci.get(m))}
        groups.append(row)
    gaps = {c.group: c for c in report.calibration_gaps if c.attribute == attribute}
    calibration = [
        {
            "group": c.group,
            "suppressed": c.suppressed,
            "n": c.n,
            "mean_score": _num(c.mean_score),
            "observed_rate": _num(c.observed_rate),
            "error": _num(c.error),
            "error_ci": _ci(c.error_ci, "num"),
            "ece": _num(c.ece),
            "ece_ci": _ci(c.ece_ci, "num"),
            "gap": _num(gaps[c.group].difference) if c.group in gaps else "—",
            "gap_ci": _ci(gaps[c.group].ci, "num") if c.group in gaps else "",
        }
        for c in report.calibration
        if c.attribute == attribute
    ]
    explanations = [
        {
            "group": e.group,
            "scope": e.scope,
            "suppressed": e.suppressed,
            "n": e.n,
            "cells": {
                src: f"{_num(e.mean_abs.get(src))} ({percent(clean(e.share.get(src)), 0)})"
                for src in e.mean_abs
            },
        }
        for e in report.explanations
        if e.attribute == attribute
    ]
    suffix = f"_{sanitise(attribute)}.png"
    images = [
        (
            f"{attribute}: {title}",
            "data:image/png;base64," + base64.b64encode(plots[kind + suffix]).decode(),
        )
        for kind, title in PLOT_TITLES.items()
        if kind + suffix in plots
    ]
    return {
        "name": attribute,
        "groups": groups,
        "calibration": calibration,
        "explanations": explanations,
        "plots": images,
    }


def _verdict_view(verdict: GateVerdict) -> dict[str, Any]:
    """The verdict as the template shows it: its findings as sentences."""
    return {
        "passed": verdict.passed,
        "failures": [describe(f) for f in verdict.failures],
        "warnings": [describe(w) for w in verdict.warnings],
    }


def render_html(
    report: AuditReport,
    *,
    verdict: GateVerdict | None = None,
    plots: dict[str, bytes] | None = None,
) -> str:
    """The report as one HTML page with its plots inlined; nothing is loaded from the network.

    ``verdict`` adds the promotion gate's result; ``plots`` reuses already rendered PNGs.
    """
    plots = report_plots(report) if plots is None else plots
    sources = sorted({s for e in report.explanations for s in e.mean_abs}, key=str)
    if report.explanations:
        first = next((e for e in report.explanations if e.mean_abs), None)
        sources = list(first.mean_abs) if first else sources
    return _template().render(
        s=report.settings,
        verdict=None if verdict is None else _verdict_view(verdict),
        findings=findings(report),
        attributes=[_attribute_view(report, a, plots) for a in report.attributes],
        sources=sources,
        definitions=[
            {"key": m, "name": METRIC_NAMES[m], "formula": FORMULAS[m], "meaning": DEFINITIONS[m]}
            for m in METRICS
        ],
        schema_version=SCHEMA_VERSION,
    )
