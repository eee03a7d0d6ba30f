"""The fitted risk model as the rest of the project sees it (scoring and explanations).

INTERFACE DRAFT: the names and signatures below are the contract between `model` (which
implements them), `experiments` (which trains, tracks and loads them) and `service` (which
scores, explains and snapshots lists with them). The bodies are filled in by the model work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

Lang = Literal["kk", "ru", "en"]

#: Five bands; cut points are calibrated probabilities (configurable at training time).
BANDS = ("very_low", "low", "medium", "high", "very_high")


@dataclass(frozen=True)
class Scores:
    """Scores of a batch of families, in the order of the input frame."""

    family_id: list[str]
    raw_score: np.ndarray  # log-odds of the booster (before calibration)
    probability: np.ndarray  # calibrated probability of a recorded serious incident in 6 months
    band: list[str]  # one of BANDS


@dataclass(frozen=True)
class Explanation:
    """Native TreeSHAP (LightGBM pred_contrib) in log-odds; base + sum(contributions) == raw."""

    family_id: list[str]
    feature_names: list[str]
    base_value: float
    contributions: np.ndarray  # shape (n_families, n_features)
    values: np.ndarray  # the feature values explained, same shape (NaN where missing)
    raw_score: np.ndarray


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float | None
    contribution: float
    text: str  # rendered from the feature registry; never says "because"


class RiskModel:
    """A calibrated LightGBM risk model with its metadata.

    Attributes set by `fit`/`load`: `feature_names_`, `band_cuts_`, `trained_until_`,
    `horizon_months_`.
    """

    feature_names_: list[str]
    band_cuts_: tuple[float, float, float, float]
    trained_until_: dt.date
    horizon_months_: int

    def score(self, features: pl.DataFrame) -> Scores:
        """Score a frame from `features.pipeline.build_features` (family_id + feature columns).

        Raises `FeatureMismatchError` naming the missing and unexpected columns.
        """
        raise NotImplementedError

    def explain(self, features: pl.DataFrame) -> Explanation:
        raise NotImplementedError

    def reasons(self, explanation: Explanation, row: int, *, lang: Lang, top: int = 5) -> list[Reason]:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        raise NotImplementedError

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        raise NotImplementedError


class FeatureMismatchError(ValueError):
    """The data's feature columns differ from the model's feature list."""
