"""The model card (`model_card.md`, `model_card.kk.md`, `model_card.ru.md`) of a training run,
rendered from the run's facts; the texts are gettext messages (`model.model_card_texts`, the
`model_card` catalogue). Figures are written the same way in every language (ISO dates,
`500,000`), so the three cards state identical figures (tested)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from features.i18n import Lang, check_lang
from model.gates import GateFailure, describe
from model.model_card_texts import CardTexts, card_texts

#: Columns of the metrics table: key in the run's flat metrics, label, per-district figure.
CARD_METRICS: tuple[tuple[str, str, bool], ...] = (
    ("auc", "AUC", False),
    ("average_precision", "AP", False),
    ("precision_at_5pct", "P@5%", False),
    ("precision_at_5pct_expected", "E[P@5%]", False),
    ("precision_at_5pct_district", "P@5%", True),
    ("recall_at_5pct_district", "R@5%", True),
    ("brier", "Brier", False),
    ("ece", "ECE", False),
)


def card_filename(lang: Lang) -> str:
    """File name of the card in `lang` among a run's artifacts: `model_card.md` for English
    (the name older runs and other tools rely on), `model_card.<lang>.md` otherwise."""
    check_lang(lang)
    return "model_card.md" if lang == "en" else f"model_card.{lang}.md"


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
    gate_failures: Sequence[GateFailure]
    fairness_summary: Sequence[str] = ()
    source_shares: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    inner_buffer: bool = False
    family: str = "lightgbm"
    #: `experiments.selection.Selection.to_dict()` of the run; None for a run without a choice.
    selection: Mapping[str, Any] | None = None
    #: `model.recalibration.GroupRecalibration.to_dict()`; None: no recalibration (default).
    recalibration: Mapping[str, Any] | None = None


def _fmt(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.4f}"


def render_model_card(info: ModelCardInfo, *, lang: Lang = "en") -> str:
    """Markdown text of the card in `lang` (one of `features.i18n.LANGS`).

    Every language states the same sections and the same figures; sentences the pipeline wrote
    (gate failures, fairness warnings) are quoted as written, in English, and said to be.
    """
    t = card_texts(check_lang(lang))
    trained_until = info.trained_until.isoformat()
    lines = [
        f"# {t.title.format(name=info.model_name)}",
        "",
        f"## {t.h_intended_use}",
        t.intended_use.format(horizon=info.horizon_months),
        "",
        f"## {t.h_not_for}",
        *(f"- {item}" for item in t.not_for),
        "",
        f"## {t.h_label}",
        t.label.format(horizon=info.horizon_months),
        "",
        f"## {t.h_data}",
        f"- {t.trained_until.format(date=trained_until)}",
        f"- {t.train_dates.format(dates=_range(info.train_as_of, t), n=f'{info.n_train:,}')}",
        f"- {t.valid_dates.format(dates=_range(info.valid_as_of, t), n=f'{info.n_valid:,}')}",
        f"- {t.label_windows.format(date=trained_until)}"
        + (t.inner_buffer if info.inner_buffer else t.no_inner_buffer),
        f"- {t.fingerprint.format(fingerprint=info.data_fingerprint)}",
        "- "
        + t.features_by_source.format(
            counts=", ".join(
                f"{t.sources.get(k, k)} {v}" for k, v in sorted(info.features_by_source.items())
            )
        ),
        f"- {t.protected}",
        "- "
        + t.calibration.format(
            method=info.calibration, cuts=", ".join(f"{c:g}" for c in info.band_cuts)
        ),
        "",
        f"## {t.h_metrics}",
        t.metrics_note,
        "",
        f"| {t.ranker} | "
        + " | ".join(
            t.per_district.format(metric=label) if per_district else label
            for _, label, per_district in CARD_METRICS
        )
        + " |",
        "|---" * (len(CARD_METRICS) + 1) + "|",
    ]
    for ranker, values in info.metrics.items():
        cells = " | ".join(_fmt(values.get(key)) for key, _, _ in CARD_METRICS)
        lines.append(f"| {ranker} | {cells} |")
    lines += ["", t.oracle_note, ""]
    if info.selection is not None:
        lines += [f"## {t.h_family}", *_family_lines(info.selection, t), ""]
    lines += [f"## {t.h_recalibration}", *_recalibration_lines(info.recalibration, t), ""]
    if info.source_shares:
        shares = ", ".join(
            f"{t.sources.get(k, k)} {v:.0%}" for k, v in sorted(info.source_shares.items())
        )
        lines += [f"## {t.h_rests_on}", t.rests_on.format(shares=shares), ""]
    lines += [f"## {t.h_fairness}"]
    summary = [t.verdicts.get(s, s) for s in info.fairness_summary]
    if any(s not in t.verdicts for s in info.fairness_summary):
        lines += _quoted_note(t)
    lines += [f"- {s}" for s in summary] or [f"- {t.fairness_missing}"]
    lines += ["", f"## {t.h_gate}"]
    if info.gate_failures:
        lines += _quoted_note(t)
    lines += [t.gate_passed if info.gate_passed else t.gate_failed]
    lines += [f"- {describe(f)}" for f in info.gate_failures]
    limitations = [*t.limitations, getattr(t, f"explanations_{info.family}")]
    if info.selection is None or info.selection["judging"] == "held_out":
        limitations.append(t.limitation_held_out)
    lines += ["", f"## {t.h_limitations}", *(f"- {item}" for item in limitations), ""]
    if info.params:
        lines += [f"## {t.h_parameters}", ""]
        lines += [f"- {k}: {v}" for k, v in info.params.items()]
        lines.append("")
    return "\n".join(lines)


def _family_lines(selection: Mapping[str, Any], t: CardTexts) -> list[str]:
    candidates = selection["candidates"]
    champion = next(c for c in candidates if c["family"] == selection["champion"])
    judged = [dt.date.fromisoformat(d) for d in selection["judged_as_of"]]
    if selection["judging"] == "out_of_time":
        judging = t.judged_out_of_time.format(
            dates=_range(judged, t), start=min(judged).isoformat()
        )
    else:
        judging = t.judged_held_out.format(dates=_range(judged, t))
    lines = [
        t.family_chosen.format(
            family=champion["family"],
            summary=champion["summary"],
            candidates=", ".join(c["family"] for c in candidates),
        ),
        "",
        judging,
        "",
        t.choice_rule.format(
            tolerance=_fmt(selection["tolerance"]), margin=_signed(selection["margin"])
        ),
        "",
        f"| {t.family} | AUC | E[P@5%] | {t.per_district.format(metric='E[P@5%]')} | ECE | "
        f"{t.h_gate} |",
        "|---" * 6 + "|",
    ]
    for c in candidates:
        m = c["metrics"]
        verdict = t.candidate_passes if c["gate_passed"] else t.candidate_fails
        lines.append(
            f"| {c['family']} | {_fmt(m.get('auc'))} | {_fmt(m.get('precision_at_5pct_expected'))}"
            f" | {_fmt(m.get('precision_at_5pct_district_expected'))} | {_fmt(m.get('ece'))} | "
            f"{verdict} |"
        )
    return lines


def _recalibration_lines(recalibration: Mapping[str, Any] | None, t: CardTexts) -> list[str]:
    if recalibration is None:
        return [t.recalibration_off]
    lines = [t.recalibration_on.format(attribute=recalibration["attribute"]), ""]
    for group, fit in recalibration["groups"].items():
        counts = {"group": group, "rows": f"{fit['rows']:,}", "positives": f"{fit['positives']:,}"}
        if fit["fitted"]:
            lines.append(f"- {t.recalibration_group.format(shift=_signed(fit['shift']), **counts)}")
        else:
            lines.append(f"- {t.recalibration_not_fitted.format(**counts)}")
    return lines


def _signed(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:+.4f}"


def _quoted_note(t: CardTexts) -> list[str]:
    return [f"*{t.quoted_in_english}*"] if t.quoted_in_english else []


def _range(dates: Sequence[dt.date], t: CardTexts) -> str:
    if not dates:
        return t.no_dates
    first, last = min(dates).isoformat(), max(dates).isoformat()
    return t.date_range.format(first=first, last=last, n=len(dates))
