"""The model card (`model_card.md`) of a training run, rendered from the run's facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CARD_METRICS = (
    ("auc", "AUC"),
    ("average_precision", "AP"),
    ("precision_at_5pct", "P@5%"),
    ("precision_at_5pct_district", "P@5% per district"),
    ("recall_at_5pct_district", "R@5% per district"),
    ("brier", "Brier"),
    ("ece", "ECE"),
)


@dataclass(frozen=True)
class ModelCardInfo:
    """Everything the card states; metrics map a ranker to its flat metrics."""

    model_name: str
    trained_until: dt.date
    horizon_months: int
    train_as_of: Sequence[dt.date]
    valid_as_of: Sequence[dt.date]
    n_train: int
    n_valid: int
    data_fingerprint: str
    features_by_source: Mapping[str, int]
    calibration: str
    band_cuts: Sequence[float]
    metrics: Mapping[str, Mapping[str, float]]
    gate_passed: bool
    gate_failures: Sequence[str]
    fairness_summary: Sequence[str] = ()
    source_shares: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    inner_buffer: bool = False


def _fmt(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.4f}"


def render_model_card(info: ModelCardInfo) -> str:
    """Markdown text of the card."""
    lines = [
        f"# Model card: {info.model_name}",
        "",
        "## Intended use",
        "Decision support for district interdepartmental prevention councils: a monthly list of "
        "families ranked by the calibrated probability of a *recorded* serious incident in the "
        f"next {info.horizon_months} months, with reasons, to prioritise offers of assistance "
        "(psychologist, social patronage, crisis centre, follow-up of protective orders). A "
        "person reviews every case and records the decision.",
        "",
        "## Not for",
        "- any sanction, benefit cut, custody decision or police action taken on the score;",
        "- closing a case that has open signals (open orders and recent violations are always "
        "shown, whatever the score);",
        "- populations or periods other than those it was validated on without re-validation "
        "(calibration does not travel between populations).",
        "",
        "## What the label measures and what it misses",
        f"Label = a criminal domestic-violence offense, a protective-order violation, a "
        f"hospital-treated injury or a child taken into care, *recorded* within "
        f"{info.horizon_months} months after the as-of date. Recorded is not the same as "
        "happened: most violence is never recorded, and recording differs by district and "
        "group. The model predicts what agencies will record, not violence itself; a low score "
        "is not evidence of safety.",
        "",
        "## Data and time ranges",
        f"- trained until (records known before): {info.trained_until.isoformat()}",
        f"- training as-of dates: {_range(info.train_as_of)} ({info.n_train:,} family-months)",
        f"- held-out as-of dates (early stopping, calibration, metrics below): "
        f"{_range(info.valid_as_of)} ({info.n_valid:,} family-months)",
        f"- no label window of any as-of date reaches past {info.trained_until.isoformat()}"
        + (
            "; training label windows end before the held-out period starts"
            if info.inner_buffer
            else "; training as-of dates end before the held-out period (their label windows "
            "may overlap it)"
        ),
        f"- data fingerprint: `{info.data_fingerprint}`",
        "- features by source: "
        + ", ".join(f"{k} {v}" for k, v in sorted(info.features_by_source.items())),
        "- protected attributes and region/district are never features",
        f"- calibration: {info.calibration}; bands cut at "
        + ", ".join(f"{c:g}" for c in info.band_cuts),
        "",
        "## Metrics on the held-out period",
        "Ranking figures use the raw score; Brier and ECE use out-of-fold calibrated "
        "probabilities. Precision@k is tie-aware (worst ordering).",
        "",
        "| ranker | " + " | ".join(label for _, label in CARD_METRICS) + " |",
        "|---" * (len(CARD_METRICS) + 1) + "|",
    ]
    for ranker, values in info.metrics.items():
        cells = " | ".join(_fmt(values.get(key)) for key, _ in CARD_METRICS)
        lines.append(f"| {ranker} | {cells} |")
    lines += ["", "Oracle figures (simulated truth) are reported but never gate promotion.", ""]
    if info.source_shares:
        lines += [
            "## What the scores rest on",
            "Share of the absolute contributions per data source (an association, not a "
            "cause): " + ", ".join(f"{k} {v:.0%}" for k, v in sorted(info.source_shares.items())),
            "",
        ]
    lines += ["## Fairness summary"]
    lines += [f"- {s}" for s in info.fairness_summary] or ["- not available for this run"]
    lines += ["", "## Gate", "passed" if info.gate_passed else "failed:"]
    lines += [f"- {f}" for f in info.gate_failures]
    lines += [
        "",
        "## Known limitations",
        "- Trained and validated on a synthetic population; real data needs local "
        "re-validation and re-calibration before any use.",
        "- Recording bias: families more visible to police or clinics get more signals; the "
        "fairness audit measures, but cannot remove, this bias.",
        "- The held-out period is also used for early stopping and calibration; the figures "
        "at a later date (`patronage evaluate`) are the honest ones.",
        "- Explanations are TreeSHAP contributions in log-odds: associations within the model, "
        "not causes.",
        "",
    ]
    if info.params:
        lines += ["## Parameters", ""]
        lines += [f"- {k}: {v}" for k, v in info.params.items()]
        lines.append("")
    return "\n".join(lines)


def _range(dates: Sequence[dt.date]) -> str:
    if not dates:
        return "none"
    return f"{min(dates).isoformat()} .. {max(dates).isoformat()} ({len(dates)} dates)"
