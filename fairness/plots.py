"""PNG plots of an audit report (matplotlib, no pyplot: figures render on the Agg canvas).

One plot of each kind per attribute: error rates with intervals, disparity ratios against the
band, calibration curves, and the share of each data source in the explanations.
"""

from __future__ import annotations

import io
import math

# Figure without pyplot: no global backend state, and savefig renders PNGs on the Agg canvas.
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fairness.disparity import PRIMARY_METRICS, PUNITIVE_METRICS
from fairness.flatten import sanitise
from fairness.report import AuditReport, clean
from fairness.wording import METRIC_NAMES

RATE_METRICS = (*PRIMARY_METRICS, *PUNITIVE_METRICS)
SOURCE_COLOURS = ("#4C72B0", "#55A868", "#C44E52", "#8172B2", "#CCB974", "#64B5CD")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _height(n_groups: int) -> float:
    return max(2.2, 0.45 * n_groups + 1.2)


def rates_plot(report: AuditReport, attribute: str) -> bytes | None:
    """Primary and punitive error rates of each group, with their intervals."""
    groups = [g for g in report.groups if g.attribute == attribute and not g.suppressed]
    if not groups:
        return None
    reference = report.settings.references.get(attribute, "")
    fig = Figure(
        figsize=(3.0 * len(RATE_METRICS), _height(len(groups)) + 0.4), layout="constrained"
    )
    axes = fig.subplots(1, len(RATE_METRICS), sharey=True)
    labels = [g.group + (" (ref.)" if g.group == reference else "") for g in groups]
    for ax, metric in zip(axes, RATE_METRICS, strict=True):
        for y, g in enumerate(groups):
            value = g.value(metric)
            if value is None:
                continue
            low, high = g.ci.get(metric, (math.nan, math.nan))
            colour = "#C44E52" if metric in PRIMARY_METRICS else "#4C72B0"
            if math.isfinite(low) and math.isfinite(high):
                ax.plot([low, high], [y, y], color=colour, alpha=0.5, linewidth=3)
            ax.plot([value], [y], "o", color=colour)
        side = "assistive (primary)" if metric in PRIMARY_METRICS else "punitive"
        ax.set_title(f"{METRIC_NAMES[metric]}\n{side}", fontsize=9)
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(groups)), labels)
    axes[0].invert_yaxis()
    fig.suptitle(
        f"{attribute}: error rates by group (dot = estimate, bar = 95% interval)", fontsize=10
    )
    return _png(fig)


def disparity_plot(report: AuditReport, attribute: str) -> bytes | None:
    """Ratios to the reference group on a log axis, with the allowed band shaded."""
    entries = [
        d
        for d in report.disparities
        if d.attribute == attribute and d.metric in RATE_METRICS and math.isfinite(d.ratio)
    ]
    if not entries:
        return None
    low_band, high_band = report.settings.band
    fig = Figure(figsize=(7.5, _height(len(entries)) * 0.75 + 1))
    ax: Axes = fig.subplots()
    ax.axvspan(low_band, high_band, color="#55A868", alpha=0.15, label="allowed band")
    ax.axvline(1.0, color="grey", linewidth=1)
    for y, d in enumerate(entries):
        colour = "#C44E52" if d.outside_band else "#333333"
        low, high = d.ratio_ci
        if math.isfinite(low) and math.isfinite(high) and low > 0:
            ax.plot([low, high], [y, y], color=colour, alpha=0.5, linewidth=3)
        ax.plot([d.ratio], [y], "o", color=colour)
    ax.set_xscale("log")
    ax.set_yticks(
        range(len(entries)), [f"{d.group} · {METRIC_NAMES[d.metric]}" for d in entries], fontsize=8
    )
    ax.invert_yaxis()
    ax.set_xlabel("ratio to the reference group (log scale; red = outside the band)")
    ax.set_title(f"{attribute}: disparities against the reference group", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def calibration_plot(report: AuditReport, attribute: str) -> bytes | None:
    """Observed rate against mean score per bin, one line per group, with the diagonal."""
    entries = [c for c in report.calibration if c.attribute == attribute and not c.suppressed]
    if not entries:
        return None
    fig = Figure(figsize=(5.5, 4.5))
    ax: Axes = fig.subplots()
    top = 0.0
    for c in entries:
        points = [
            (b.mean_score, b.observed_rate)
            for b in c.bins
            if clean(b.mean_score) is not None and clean(b.observed_rate) is not None
        ]
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        top = max(top, *xs, *ys)
        ax.plot(xs, ys, "o-", markersize=3, label=f"{c.group} (ECE {c.ece:.3f})")
    top = min(1.0, top * 1.05) or 1.0
    ax.plot([0, top], [0, top], "--", color="grey", label="perfect calibration")
    ax.set_xlabel("mean score in the bin")
    ax.set_ylabel("observed rate of recorded incidents")
    ax.set_title(f"{attribute}: calibration by group", fontsize=10)
    ax.legend(fontsize=7)
    return _png(fig)


def explanation_plot(report: AuditReport, attribute: str) -> bytes | None:
    """Share of each data source in the mean |contribution|, per group, all and flagged rows."""
    entries = [
        e for e in report.explanations if e.attribute == attribute and not e.suppressed and e.share
    ]
    if not entries:
        return None
    sources = list(entries[0].share)
    fig = Figure(figsize=(7.0, _height(len(entries))))
    ax: Axes = fig.subplots()
    for y, e in enumerate(entries):
        left = 0.0
        for i, source in enumerate(sources):
            width = clean(e.share.get(source)) or 0.0
            ax.barh(
                y,
                width,
                left=left,
                color=SOURCE_COLOURS[i % len(SOURCE_COLOURS)],
                label=source if y == 0 else None,
            )
            left += width
    ax.set_yticks(range(len(entries)), [f"{e.group} ({e.scope})" for e in entries], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the mean absolute contribution")
    ax.set_title(f"{attribute}: which data source drives the score", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def report_plots(report: AuditReport) -> dict[str, bytes]:
    """File name -> PNG bytes for every plot the report supports."""
    out: dict[str, bytes] = {}
    makers = {
        "rates": rates_plot,
        "disparities": disparity_plot,
        "calibration": calibration_plot,
        "explanations": explanation_plot,
    }
    for attribute in report.attributes:
        for kind, maker in makers.items():
            png = maker(report, attribute)
            if png is not None:
                out[f"{kind}_{sanitise(attribute)}.png"] = png
    return out
