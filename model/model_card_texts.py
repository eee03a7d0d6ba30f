"""Every sentence and heading of the model card: English msgids, translated by the catalogue.

`EN` holds the English texts; they are the msgids of the gettext domain `model_card`
(`model/locales/<lang>/LC_MESSAGES/model_card.po`), and `card_texts(lang)` is the card's texts
in one language, read through that catalogue. Placeholders are `str.format` fields (marked
`python-brace-format` in the catalogue); figures, metric names, feature names and
fingerprints are filled in unchanged by `model.model_card`. None of the texts may use causal
wording (`model.reasons.CAUSAL_WORDS`): an explanation is an association, not a cause.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from features.i18n import Catalog, Lang, catalog, check_lang

LOCALES_DIR: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "model_card"
#: Data sources the card names in the reader's language; any other is shown by its own name.
SOURCE_NAMES: Final = (
    "police",
    "school",
    "clinic",
    "household",
    "multi_agency",
    "outcome",
    "other",
)
#: The fairness summary's verdict lines (`experiments.training`) shown in the reader's language.
VERDICTS: Final = ("gate passed", "gate failed")


@dataclass(frozen=True)
class CardTexts:
    """The texts of the card in one language; `h_*` fields are section headings."""

    title: str  # {name}
    h_intended_use: str
    intended_use: str  # {horizon}
    h_not_for: str
    not_for: tuple[str, ...]
    h_label: str
    label: str  # {horizon}
    h_data: str
    trained_until: str  # {date}
    train_dates: str  # {dates} {n}
    valid_dates: str  # {dates} {n}
    label_windows: str  # {date}
    inner_buffer: str
    no_inner_buffer: str
    fingerprint: str  # {fingerprint}
    features_by_source: str  # {counts}
    protected: str
    calibration: str  # {method} {cuts}
    date_range: str  # {first} {last} {n}
    no_dates: str
    h_metrics: str
    metrics_note: str
    ranker: str
    per_district: str  # {metric}
    oracle_note: str
    h_rests_on: str
    rests_on: str  # {shares}
    h_fairness: str
    fairness_missing: str
    h_gate: str
    gate_passed: str
    gate_failed: str
    #: Said before sentences the pipeline wrote in English (gate failures, fairness warnings).
    quoted_in_english: str
    h_family: str
    family_chosen: str  # {family} {summary} {candidates}
    judged_out_of_time: str  # {dates} {start}
    judged_held_out: str  # {dates}
    choice_rule: str  # {tolerance} {margin}
    family: str
    candidate_passes: str
    candidate_fails: str
    h_recalibration: str
    recalibration_off: str
    recalibration_on: str  # {attribute}
    recalibration_group: str  # {group} {shift} {rows} {positives}
    recalibration_not_fitted: str  # {group} {rows} {positives}
    h_limitations: str
    limitations: tuple[str, ...]
    #: Shown among the limitations only when the candidates were judged on the held-out months.
    limitation_held_out: str
    #: What the contributions are, per model family (shown among the limitations).
    explanations_lightgbm: str
    explanations_logistic: str
    explanations_ebm: str
    h_parameters: str
    #: Data source names as shown (`SOURCE_NAMES`); a source not listed is shown by its own name.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The fairness summary's verdict lines (`VERDICTS`) as shown.
    verdicts: Mapping[str, str] = field(default_factory=dict)

    @property
    def headings(self) -> tuple[str, ...]:
        """Every section heading, in the card's order."""
        return (
            self.h_intended_use,
            self.h_not_for,
            self.h_label,
            self.h_data,
            self.h_metrics,
            self.h_family,
            self.h_recalibration,
            self.h_rests_on,
            self.h_fairness,
            self.h_gate,
            self.h_limitations,
            self.h_parameters,
        )

    def all_texts(self) -> tuple[str, ...]:
        """Every fixed text of this language (for the checks on wording)."""
        out: list[str] = []
        for value in vars(self).values():
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(value)
            else:
                out.extend(value.values())
        return tuple(out)


#: The English texts: the msgids of the catalogue.
EN: Final = CardTexts(
    title="Model card: {name}",
    h_intended_use="Intended use",
    intended_use=(
        "Decision support for district interdepartmental prevention councils: a monthly list of "
        "families ranked by the calibrated probability of a *recorded* serious incident in the "
        "next {horizon} months, with reasons, to prioritise offers of assistance "
        "(psychologist, social patronage, crisis centre, follow-up of protective orders). A "
        "person reviews every case and records the decision."
    ),
    h_not_for="Not for",
    not_for=(
        "any sanction, benefit cut, custody decision or police action taken on the score;",
        "closing a case that has open signals (open orders and recent violations are always "
        "shown, whatever the score);",
        "populations or periods other than those it was validated on without re-validation "
        "(calibration does not travel between populations).",
    ),
    h_label="What the label measures and what it misses",
    label=(
        "Label = a criminal domestic-violence offense, a protective-order violation, a "
        "hospital-treated injury or a child taken into care, *recorded* within "
        "{horizon} months after the as-of date. Recorded is not the same as "
        "happened: most violence is never recorded, and recording differs by district and "
        "group. The model predicts what agencies will record, not violence itself; a low score "
        "is not evidence of safety."
    ),
    h_data="Data and time ranges",
    trained_until="trained until (records known before): {date}",
    train_dates="training as-of dates: {dates} ({n} family-months)",
    valid_dates=(
        "held-out as-of dates (early stopping, calibration, metrics below): "
        "{dates} ({n} family-months)"
    ),
    label_windows="no label window of any as-of date reaches past {date}",
    inner_buffer="; training label windows end before the held-out period starts",
    no_inner_buffer=(
        "; training as-of dates end before the held-out period (their label windows may overlap it)"
    ),
    fingerprint="data fingerprint: `{fingerprint}`",
    features_by_source="features by source: {counts}",
    protected="protected attributes and region/district are never features",
    calibration="calibration: {method}; bands cut at {cuts}",
    date_range="{first} .. {last} ({n} dates)",
    no_dates="none",
    h_metrics="Metrics on the held-out period",
    metrics_note=(
        "Ranking figures use the raw score; Brier and ECE use out-of-fold calibrated "
        "probabilities. Precision@k is tie-aware: P@5% at the worst ordering of tied scores, "
        "E[P@5%] its expected value when ties are broken at random (the one the gate compares)."
    ),
    ranker="ranker",
    per_district="{metric} per district",
    oracle_note=(
        "Oracle figures (simulated truth) and the records ceiling (the best possible from the "
        "records, simulated data only) are reported but never gate promotion."
    ),
    h_rests_on="What the scores rest on",
    rests_on=(
        "Share of the absolute contributions per data source (an association, not a "
        "cause): {shares}"
    ),
    h_fairness="Fairness summary",
    fairness_missing="not available for this run",
    h_gate="Gate",
    gate_passed="passed",
    gate_failed="failed:",
    quoted_in_english=(
        "Sentences of the gate and the audit are quoted as the training pipeline wrote them "
        "(in English)."
    ),
    h_family="Model family",
    family_chosen="Champion: {family} ({summary}), chosen among {candidates}.",
    judged_out_of_time=(
        "Judged out of time on {dates}: every candidate was fitted on the records known before "
        "{start}, with its early stopping and calibration months ending one label horizon "
        "before it, so no candidate saw the judged months in any form. The champion was then "
        "refitted on everything up to the cut-off; the metrics, the gate and the fairness audit "
        "of this card are those of the judged candidate."
    ),
    judged_held_out=(
        "Judged on the held-out months {dates}, which the candidates also stopped early and "
        "were calibrated on (optimistic for flexible models)."
    ),
    choice_rule=(
        "Rule: among the candidates that pass the gate (all of them when none does), the one "
        "with the highest expected precision at 5% per district list is the best; the simplest "
        "family (logistic regression, then EBM, then LightGBM) within one standard error "
        "({tolerance}) of the best is the champion. Its margin over the next candidate: "
        "{margin}."
    ),
    family="family",
    candidate_passes="passes",
    candidate_fails="fails",
    h_recalibration="Recalibration within groups",
    recalibration_off=(
        "Off (the default): every family's probability is the model's calibrated probability "
        "whatever its group; no protected attribute is read at scoring time."
    ),
    recalibration_on=(
        "On, within the groups of {attribute}: the deployment chose to read each family's "
        "{attribute} at scoring time and to shift its calibrated probability in log-odds so that "
        "each group's mean probability equals the group's observed rate on the calibration "
        "months. This is a legal and policy choice of the deployment. The attribute is not a "
        "model feature: the reasons do not include it, and each family's page states the shift "
        "its probability got. Shifts (log-odds):"
    ),
    recalibration_group="{group}: {shift} ({rows} family-months, {positives} outcomes)",
    recalibration_not_fitted=(
        "{group}: not shifted, too few family-months or outcomes ({rows} family-months, "
        "{positives} outcomes)"
    ),
    h_limitations="Known limitations",
    limitations=(
        "Trained and validated on a synthetic population; real data needs local "
        "re-validation and re-calibration before any use.",
        "Recording bias: families more visible to police or clinics get more signals; the "
        "fairness audit measures, but cannot remove, this bias.",
    ),
    limitation_held_out=(
        "The held-out period is also used for early stopping and calibration; the figures "
        "at a later date (`patronage evaluate`) are the honest ones."
    ),
    explanations_lightgbm=(
        "Explanations are TreeSHAP contributions in log-odds: associations within the model, "
        "not causes."
    ),
    explanations_logistic=(
        "Explanations are the terms of the logistic regression in log-odds (coefficient times "
        "the standardised value, against the average family): associations within the model, "
        "not causes."
    ),
    explanations_ebm=(
        "Explanations are the EBM's term scores in log-odds (a pair's score shared equally "
        "between its two features): associations within the model, not causes."
    ),
    h_parameters="Parameters",
)


def _translated(value: object, catalogue: Catalog) -> object:
    if isinstance(value, str):
        return catalogue.gettext(value)
    if isinstance(value, tuple):
        return tuple(catalogue.gettext(item) for item in value)
    return value


@lru_cache(maxsize=3)
def card_texts(lang: Lang) -> CardTexts:
    """The texts of the card in `lang`, translated from `EN` through the `model_card` catalogue.

    The English card says nothing about quoting English (it is English already).
    """
    catalogue = catalog(LOCALES_DIR, DOMAIN, check_lang(lang))
    changes: dict[str, object] = {
        item.name: _translated(getattr(EN, item.name), catalogue)
        for item in dataclasses.fields(CardTexts)
    }
    changes["sources"] = {name: catalogue.gettext(name) for name in SOURCE_NAMES}
    changes["verdicts"] = {verdict: catalogue.gettext(verdict) for verdict in VERDICTS}
    if lang == "en":
        changes["quoted_in_english"] = ""
    return dataclasses.replace(EN, **changes)  # type: ignore[arg-type]
