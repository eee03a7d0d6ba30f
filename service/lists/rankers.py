"""What orders a month's list: the champion model, or the transparent checklist before there is one.

A district that has just started has records but no model: training needs more than a year of
history and outcomes (docs/going-live.md). Until then its lists are ranked by the DASH-like
checklist the model is compared with (`model.baselines.ChecklistBaseline`): the count of
yes-answers over risk indicators read from the same point-in-time features. A checklist entry
has no calibrated probability and no band; its reasons are the checklist items answered yes,
each with the data behind it. Open orders, violations and alerts are listed whatever the rank,
on both kinds of list (`service.lists.generate`).

Both rankers return a `Ranked`: one row per family with what a snapshot stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import polars as pl

from model.baselines import ChecklistBaseline
from service.model_source import Champion

Ranker = Literal["model", "checklist"]

#: The model version a checklist list records (bumped when the checklist's items change).
CHECKLIST_VERSION: Final = "checklist-v1"
#: Ties in the checklist score (most families answer no to everything) are broken by the count
#: of police signals in the last 12 months, then by family id: history beats questionnaires.
CHECKLIST_TIEBREAK: Final = "police_signals_12m"


@dataclass(frozen=True)
class Ranked:
    """Scores of every family in `features`' row order, with their explanation.

    `order` sorts the families (higher first, ties by family id); `values` and
    `contributions` have one column per name in `feature_names`: for the model, every feature
    and its TreeSHAP contribution; for the checklist, every item's feature and 1.0 for a yes.
    """

    ranker: Ranker
    version: str
    family_id: list[str]
    probability: list[float | None]
    band: list[str | None]
    raw_score: np.ndarray
    order: tuple[np.ndarray, np.ndarray]
    base_value: float
    feature_names: list[str]
    values: np.ndarray
    contributions: np.ndarray
    #: The model's recalibration within groups: the attribute and each family's log-odds
    #: shift (`model.recalibration`); None without one, and on the checklist.
    recalibrated_within: str | None = None
    group_shift: np.ndarray | None = None


def rank_by_model(features: pl.DataFrame, champion: Champion, *, families: pl.DataFrame) -> Ranked:
    """The champion's calibrated probability, band, log-odds score and explanation.

    `families`: the registry's families; a model recalibrated within groups reads each family's
    group of its attribute there (`model.recalibration`)."""
    model = champion.model
    scores = model.score(features, families=families)
    recalibration = model.recalibration_
    explanation = model.explain(features)
    probability = np.asarray(scores.probability, dtype=np.float64)
    return Ranked(
        ranker="model",
        version=champion.version,
        family_id=list(scores.family_id),
        probability=[float(p) for p in probability],
        band=list(scores.band),
        raw_score=np.asarray(scores.raw_score, dtype=np.float64),
        # the model's own ordering: ties in the (step-wise) probability by the raw score
        order=(probability, np.asarray(scores.raw_score, dtype=np.float64)),
        base_value=float(explanation.base_value),
        feature_names=list(explanation.feature_names),
        values=np.ascontiguousarray(explanation.values, dtype=np.float64),
        contributions=np.ascontiguousarray(explanation.contributions, dtype=np.float64),
        recalibrated_within=None if recalibration is None else recalibration.attribute,
        group_shift=None if recalibration is None else scores.group_shift,
    )


def rank_by_checklist(features: pl.DataFrame) -> Ranked:
    """The count of checklist items answered yes; no probability, no band.

    Each item is one column of the explanation: the value of the feature it reads and 1.0 when
    the answer is yes, so `raw_score == sum(contributions)` as for the model (base value 0)."""
    checklist = ChecklistBaseline().fit(features)
    items = checklist.indicators_
    answers = np.column_stack([item.answer(features) for item in items])
    names = [item.feature for item in items]
    values = np.column_stack(
        [features[name].cast(pl.Float64).fill_nan(None).fill_null(np.nan) for name in names]
    )
    total = answers.sum(axis=1)
    tiebreak = (
        features[CHECKLIST_TIEBREAK].cast(pl.Float64).fill_null(0.0).to_numpy()
        if CHECKLIST_TIEBREAK in features.columns
        else np.zeros(features.height)
    )
    return Ranked(
        ranker="checklist",
        version=CHECKLIST_VERSION,
        family_id=features["family_id"].to_list(),
        probability=[None] * features.height,
        band=[None] * features.height,
        raw_score=np.asarray(total, dtype=np.float64),
        order=(np.asarray(total, dtype=np.float64), np.asarray(tiebreak, dtype=np.float64)),
        base_value=0.0,
        feature_names=names,
        values=np.ascontiguousarray(values, dtype=np.float64),
        contributions=np.ascontiguousarray(answers, dtype=np.float64),
    )


def checklist_size() -> int:
    """Items of the checklist (every one is computed by the feature pipeline)."""
    return len(ChecklistBaseline().indicators)
