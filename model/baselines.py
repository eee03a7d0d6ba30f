"""Baselines trained and evaluated on exactly the rows of the model.

- `ChecklistBaseline`: a DASH-like checklist, the count of yes-answers over risk indicators of
  the domain brief, each read from a registry feature (missing = no).
- `PoliceHistoryBaseline`: police signals of any kind in the last 12 months.
- `LogisticBaseline`: logistic regression on the model's own features (signed log1p of every
  value, so counts and day spans enter on a log scale; median imputation plus missing-value
  indicators; standardised).
All follow the scikit-learn contract: `fit(features, y)` returns self, `score(features)` returns
one number per row, higher = more at risk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

logger = logging.getLogger(__name__)

ID_COLUMNS = ("family_id", "as_of", "label", "district", "region")


@dataclass(frozen=True)
class Indicator:
    """One yes/no checklist item: `feature` compared with `threshold` (`>=`, or `<=` if below)."""

    question: str
    feature: str
    threshold: float
    below: bool = False

    def answer(self, frame: pl.DataFrame) -> np.ndarray:
        values = frame[self.feature].cast(pl.Float64).fill_nan(None).to_numpy()
        with np.errstate(invalid="ignore"):
            yes = values <= self.threshold if self.below else values >= self.threshold
        return np.asarray(np.nan_to_num(yes.astype(float), nan=0.0), dtype=float)


#: DASH-like risk indicators available from the three agencies' records.
DASH_INDICATORS: tuple[Indicator, ...] = (
    Indicator("police called about domestic abuse in the last year", "police_domestic_call_12m", 1),
    Indicator("repeated police calls in the last year (escalation)", "police_domestic_call_12m", 2),
    Indicator("a criminal offense in the last year", "police_criminal_offense_12m", 1),
    Indicator("a protective order was ever breached", "police_order_violation_all", 1),
    Indicator("a weapon was ever present", "police_weapon_present_all", 1),
    Indicator("alcohol-related incidents in the last year", "police_alcohol_incident_12m", 1),
    Indicator("the abuser is on preventive registration", "police_preventive_registration_all", 1),
    Indicator("a protective order or court requirement is in force", "protection_active", 1),
    Indicator("a serious incident was recorded before", "serious_incidents_all", 1),
    Indicator("positive HITS screening (total above 10)", "hits_max", 11),
    Indicator("a lot of tension / great difficulty in arguments (WAST)", "wast_max", 3),
    Indicator("depressed (PHQ-2 of 3 or more)", "phq2_max", 3),
    Indicator("a positive clinic screening in the last year", "clinic_positive_12m", 1),
    Indicator("worrying school answers in the last year", "school_concerns_12m", 1),
    Indicator("a child feels unsafe at home (1-2 of 5)", "school_feels_safe_min", 2, below=True),
    Indicator("sexual violence was named in any record", "form_sexual_all", 1),
    Indicator("physical violence was named in the last year", "form_physical_12m", 1),
    Indicator("more than one agency signalled in the last year", "agencies_signalled_12m", 2),
)


class ChecklistBaseline:
    """Count of yes-answers over the indicators whose features exist in the data."""

    indicators_: tuple[Indicator, ...]

    def __init__(self, indicators: tuple[Indicator, ...] = DASH_INDICATORS) -> None:
        self.indicators = indicators

    def fit(self, features: pl.DataFrame, y: np.ndarray | None = None) -> ChecklistBaseline:
        """Keep the indicators whose feature is present (the checklist is not learned)."""
        self.indicators_ = tuple(i for i in self.indicators if i.feature in features.columns)
        skipped = [i.feature for i in self.indicators if i not in self.indicators_]
        if skipped:
            logger.warning("checklist: features not in the data, items skipped: %s", skipped)
        if not self.indicators_:
            raise ValueError("checklist: expected at least one indicator feature, found none")
        return self

    def score(self, features: pl.DataFrame) -> np.ndarray:
        """Number of yes-answers per row."""
        total = np.zeros(features.height)
        for indicator in self.indicators_:
            total += indicator.answer(features)
        return total


class PoliceHistoryBaseline:
    """Prior police signals in the last 12 months (history and counts beat questionnaires)."""

    def __init__(self, feature: str = "police_signals_12m") -> None:
        self.feature = feature

    def fit(self, features: pl.DataFrame, y: np.ndarray | None = None) -> PoliceHistoryBaseline:
        if self.feature not in features.columns:
            raise ValueError(f"police baseline: expected column {self.feature!r}, not found")
        return self

    def score(self, features: pl.DataFrame) -> np.ndarray:
        values = features[self.feature].cast(pl.Float64).fill_nan(None).fill_null(0.0)
        return values.to_numpy()


class LogisticBaseline:
    """Logistic regression on the same features as the model.

    With a held-out period (`valid`), the inverse regularisation strength is chosen there from
    `cs` by AUC, the same treatment the booster gets from early stopping.
    """

    feature_names_: list[str]
    pipeline_: Pipeline
    c_: float
    valid_auc_: dict[float, float]

    def __init__(
        self,
        *,
        c: float = 1.0,
        cs: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0),
        max_iter: int = 2000,
    ) -> None:
        self.c = c
        self.cs = cs
        self.max_iter = max_iter

    def fit(
        self,
        features: pl.DataFrame,
        y: np.ndarray,
        *,
        valid: tuple[pl.DataFrame, np.ndarray] | None = None,
    ) -> LogisticBaseline:
        self.feature_names_ = [c for c in features.columns if c not in ID_COLUMNS]
        x = self._matrix(features)
        labels = np.asarray(y, dtype=int)
        self.valid_auc_ = {}
        if valid is None:
            self.c_, self.pipeline_ = self.c, self._fit_one(x, labels, self.c)
            return self
        x_valid, y_valid = self._matrix(valid[0]), np.asarray(valid[1], dtype=int)
        best: tuple[float, float, Pipeline] | None = None
        for c in self.cs:
            pipeline = self._fit_one(x, labels, c)
            auc = float(roc_auc_score(y_valid, pipeline.predict_proba(x_valid)[:, 1]))
            self.valid_auc_[c] = auc
            if best is None or auc > best[0]:
                best = (auc, c, pipeline)
        assert best is not None
        _, self.c_, self.pipeline_ = best
        return self

    def _fit_one(self, x: np.ndarray, y: np.ndarray, c: float) -> Pipeline:
        return make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=c, max_iter=self.max_iter),
        ).fit(x, y)

    def _matrix(self, features: pl.DataFrame) -> np.ndarray:
        matrix = features.select(
            [pl.col(c).cast(pl.Float64) for c in self.feature_names_]
        ).to_numpy()
        # Counts and day spans are heavy-tailed and grow with the length of history: a log scale
        # keeps a linear model from extrapolating wildly between periods.
        return np.asarray(np.sign(matrix) * np.log1p(np.abs(matrix)), dtype=float)

    def score(self, features: pl.DataFrame) -> np.ndarray:
        """Probability of the label (the fitted logistic model's own, uncalibrated further)."""
        return np.asarray(self.pipeline_.predict_proba(self._matrix(features))[:, 1], dtype=float)
