"""Baselines trained and evaluated on exactly the rows of the model.

- `ChecklistBaseline`: a DASH-like checklist, the count of yes-answers over risk indicators of
  the domain brief, each read from a registry feature (missing = no).
- `PoliceHistoryBaseline`: police signals of any kind in the last 12 months.
- `LogisticBaseline`: logistic regression on the model's own features (signed log1p of every
  value, so counts and day spans enter on a log scale; median imputation plus missing-value
  indicators; standardised), on float32 matrices without a copy per step or per value of C;
  monotone in the directions of `model.monotone` (a constrained count whose coefficient would
  point against its direction is left out and the rest refitted).
All follow the scikit-learn contract: `fit(features, y)` returns self, `score(features)` returns
one number per row, higher = more at risk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from model.monotone import constraint_vector

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


#: Rows of the training period the logistic baseline's choice of C is made on (stratified by
#: label); the chosen C is then refitted on every row. Above about 200,000 rows the validation
#: AUC of each C no longer moves in the third decimal, while each fit costs time in the rows.
SEARCH_ROWS = 250_000
#: Rows standardised at a time (bounds the temporaries of the preprocessing).
_BLOCK = 65_536


def feature_matrix(features: pl.DataFrame, names: list[str]) -> np.ndarray:
    """The float32 matrix (rows x `names`, C order) a polars frame's features make."""
    return features.select([pl.col(c).cast(pl.Float32) for c in names]).to_numpy(order="c")


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """sign(x) * log1p(|x|) as float32 (NaN stays NaN)."""
    out = np.log1p(np.abs(x, dtype=np.float32))
    return np.asarray(np.copysign(out, x, out=out), dtype=np.float32)


@dataclass(frozen=True)
class Standardiser:
    """Signed log1p, median imputation, missing-value indicators and standardisation: the
    preprocessing of scikit-learn's `SimpleImputer(strategy="median", add_indicator=True,
    keep_empty_features=True)` then `StandardScaler()`, written into one float32 matrix
    instead of a float64 copy per step."""

    medians: np.ndarray  # per feature, on the log scale (0 where a column is all missing)
    indicators: np.ndarray  # feature indices that had a missing value in training
    mean: np.ndarray  # of the imputed features then the indicators
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardiser:
        n, p = x.shape
        medians = np.zeros(p)
        means = np.zeros(p)
        scales = np.ones(p)
        missing_share = np.zeros(p)
        for j in range(p):
            col = signed_log1p(x[:, j])
            missing = np.isnan(col)
            n_missing = int(missing.sum())
            if n_missing < n:
                medians[j] = float(np.median(col[~missing])) if n_missing else float(np.median(col))
            col[missing] = medians[j]
            means[j] = float(col.mean(dtype=np.float64))
            std = float(col.std(dtype=np.float64))
            scales[j] = std if std > 0 else 1.0
            missing_share[j] = n_missing / n
        indicators = np.flatnonzero(missing_share > 0)
        share = missing_share[indicators]
        std_ind = np.sqrt(share * (1 - share))
        return cls(
            medians=medians.astype(np.float32),
            indicators=indicators,
            mean=np.concatenate([means, share]).astype(np.float32),
            scale=np.concatenate([scales, np.where(std_ind > 0, std_ind, 1.0)]).astype(np.float32),
        )

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(rows, features + indicators) float32, standardised; built in blocks of rows."""
        n, p = x.shape
        out = np.empty((n, p + len(self.indicators)), dtype=np.float32)
        for start in range(0, n, _BLOCK):
            block = slice(start, min(n, start + _BLOCK))
            values = signed_log1p(x[block])
            missing = np.isnan(values)
            np.copyto(values, np.broadcast_to(self.medians, values.shape), where=missing)
            out[block, :p] = values
            out[block, p:] = missing[:, self.indicators]
            out[block] -= self.mean
            out[block] /= self.scale
        return out


def stratified_sample(y: np.ndarray, *, rows: int, seed: int) -> np.ndarray:
    """Sorted indices of about `rows` rows keeping each label's share (all rows if fewer)."""
    if len(y) <= rows:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    keep = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        take = max(1, round(rows * len(idx) / len(y)))
        keep.append(rng.choice(idx, size=min(take, len(idx)), replace=False))
    return np.sort(np.concatenate(keep))


class LogisticBaseline:
    """Logistic regression on the same features as the model.

    With a held-out period (`valid`), the inverse regularisation strength is chosen there from
    `cs` by AUC, the same treatment the booster gets from early stopping. The search fits each
    C on a stratified sample of `search_rows` training rows (all of them if fewer); the chosen
    C is then refitted on every training row, starting from the sample's coefficients.
    The preprocessing (`Standardiser`) is computed once on all training rows, in float32.

    `monotone` (default): a feature whose direction is constrained (`model.monotone`) never
    gets a coefficient against it. Collinear windows of one count (the last 6 and 12 months)
    otherwise split into a positive and a negative coefficient, and "1 incident with a weapon
    in the last 12 months" would lower a family's score. Such a feature is held at its mean (its
    coefficient 0) and the model refitted, until no coefficient points against its direction;
    `held_out_features_` names them.
    """

    feature_names_: list[str]
    standardiser_: Standardiser
    estimator_: LogisticRegression
    c_: float
    valid_auc_: dict[float, float]
    held_out_features_: list[str]

    def __init__(
        self,
        *,
        c: float = 1.0,
        cs: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0),
        max_iter: int = 2000,
        search_rows: int = SEARCH_ROWS,
        seed: int = 0,
        monotone: bool = True,
    ) -> None:
        self.c = c
        self.cs = cs
        self.max_iter = max_iter
        self.search_rows = search_rows
        self.seed = seed
        self.monotone = monotone

    def fit(
        self,
        features: pl.DataFrame,
        y: np.ndarray,
        *,
        valid: tuple[pl.DataFrame, np.ndarray] | None = None,
    ) -> LogisticBaseline:
        names = [c for c in features.columns if c not in ID_COLUMNS]
        matrix_valid = None
        if valid is not None:
            matrix_valid = (feature_matrix(valid[0], names), valid[1])
        return self.fit_matrix(
            feature_matrix(features, names), y, feature_names=names, valid=matrix_valid
        )

    def fit_matrix(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        feature_names: list[str],
        valid: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> LogisticBaseline:
        """`fit` on a float32 matrix whose columns are `feature_names` (no copy of it is kept)."""
        if x.ndim != 2 or x.shape[1] != len(feature_names):
            raise ValueError(
                f"features: expected a matrix of {len(feature_names)} columns, got shape {x.shape}"
            )
        self.feature_names_ = list(feature_names)
        self.held_out_features_ = []
        labels = np.asarray(y, dtype=int)
        self.standardiser_ = Standardiser.fit(x)
        z = self.standardiser_.transform(x)
        self.valid_auc_ = {}
        if valid is None:
            self.c_ = self.c
            self.estimator_ = self._estimator(self.c).fit(z, labels)
            self._hold_out_against_direction(z, labels)
            return self
        z_valid, y_valid = self.standardiser_.transform(valid[0]), np.asarray(valid[1], dtype=int)
        sample = stratified_sample(labels, rows=self.search_rows, seed=self.seed)
        z_sample = z if len(sample) == len(labels) else z[sample]
        best: tuple[float, float, LogisticRegression] | None = None
        for c in self.cs:
            estimator = self._estimator(c).fit(z_sample, labels[sample])
            auc = float(roc_auc_score(y_valid, estimator.predict_proba(z_valid)[:, 1]))
            self.valid_auc_[c] = auc
            if best is None or auc > best[0]:
                best = (auc, c, estimator)
        assert best is not None
        _, self.c_, self.estimator_ = best
        del z_sample
        if len(sample) < len(labels):
            refit = self._estimator(self.c_, warm_start=True)
            refit.coef_, refit.intercept_ = self.estimator_.coef_, self.estimator_.intercept_
            self.estimator_ = refit.fit(z, labels)
        self._hold_out_against_direction(z, labels)
        return self

    def _hold_out_against_direction(self, z: np.ndarray, labels: np.ndarray) -> None:
        """Refit (warm) with every constrained feature whose coefficient points against its
        direction held at its mean (its standardised column 0 in `z`, changed in place), until
        none does; each round holds out at least one more feature, so it ends."""
        if not self.monotone:
            return
        directions = np.asarray(constraint_vector(self.feature_names_), dtype=np.float64)
        p = len(self.feature_names_)
        held = np.zeros(p, dtype=bool)
        while True:
            coef = np.asarray(self.estimator_.coef_, dtype=np.float64).ravel()
            against = (directions * coef[:p] < 0) & ~held
            if not against.any():
                break
            held |= against
            z[:, np.flatnonzero(held)] = 0.0  # the features' columns; indicators follow them
            refit = self._estimator(self.c_, warm_start=True)
            start = coef.copy()
            start[:p][held] = 0.0
            refit.coef_, refit.intercept_ = start.reshape(1, -1), self.estimator_.intercept_
            self.estimator_ = refit.fit(z, labels)
        self.estimator_.coef_[0, :p][held] = 0.0  # exactly: held features add nothing
        self.held_out_features_ = [n for n, h in zip(self.feature_names_, held, strict=True) if h]

    def _estimator(self, c: float, *, warm_start: bool = False) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=self.max_iter, warm_start=warm_start)

    def score(self, features: pl.DataFrame) -> np.ndarray:
        """Probability of the label (the fitted logistic model's own, uncalibrated further)."""
        return self.score_matrix(feature_matrix(features, self.feature_names_))

    def score_matrix(self, x: np.ndarray) -> np.ndarray:
        """`score` on a matrix whose columns are `feature_names_`."""
        z = self.standardiser_.transform(x)
        return np.asarray(self.estimator_.predict_proba(z)[:, 1], dtype=float)
