"""The learner inside a `RiskModel`: what turns a feature matrix into a raw score (log-odds) and
splits that score into a base value plus one contribution per feature.

Three model families, among which the gate chooses the champion (`experiments.training`):
- ``lightgbm`` (`BoosterLearner`): the LightGBM booster; contributions are its native TreeSHAP
  (`pred_contrib`).
- ``logistic`` (`LinearLearner`): the tuned logistic regression of `model.baselines`. A
  feature's contribution is its coefficient times its standardised value, plus the term of its
  missing-value indicator; the base value is the intercept. The standardised values have mean 0
  on the training rows, so this is the linear model's SHAP value (features independent).
- ``ebm`` (`model.ebm.EbmLearner`): an Explainable Boosting Machine's lookup tables.

Every learner's contributions add up to its raw score (to float rounding; tested at 1e-6), and
every learner is saved as plain files (LightGBM's text format or JSON): no pickle is ever read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, get_args

import lightgbm as lgb
import numpy as np

from model.baselines import LogisticBaseline, Standardiser

Family = Literal["lightgbm", "logistic", "ebm"]
#: Simplest first: when candidates rank within sampling error of each other, the gate prefers
#: the earlier one (`experiments.selection`).
FAMILIES: tuple[Family, ...] = ("logistic", "ebm", "lightgbm")

_BOOSTER_FILE = "booster.txt"
_LINEAR_FILE = "linear.json"


class Learner(Protocol):
    """What a `RiskModel` asks of its learner."""

    @property
    def family(self) -> Family: ...

    @property
    def feature_names(self) -> list[str]: ...

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds, float64) of the rows of `x` (columns `feature_names`)."""
        ...

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the base value (n,) and one contribution per feature (n, features)."""
        ...

    def summary(self) -> str:
        """A few words on the fitted model's size, for progress lines and the model card."""
        ...

    def save(self, directory: Path) -> None: ...


def check_family(family: str) -> Family:
    if family not in get_args(Family):
        raise ValueError(f"family: expected one of {', '.join(FAMILIES)}, got {family!r}")
    return family  # type: ignore[return-value]


@dataclass(frozen=True)
class BoosterLearner:
    """A LightGBM booster, cut at the round it keeps."""

    booster: lgb.Booster
    family: Family = "lightgbm"

    @property
    def feature_names(self) -> list[str]:
        return list(self.booster.feature_name())

    @property
    def trees(self) -> int:
        return int(self.booster.current_iteration())

    def raw(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(x, raw_score=True, num_threads=2), dtype=float)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        contrib = np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=2), dtype=float)
        return contrib[:, -1], contrib[:, :-1]

    def summary(self) -> str:
        return f"LightGBM, {self.trees} trees"

    def save(self, directory: Path) -> None:
        self.booster.save_model(str(directory / _BOOSTER_FILE))

    @classmethod
    def load(cls, directory: Path) -> BoosterLearner:
        return cls(lgb.Booster(model_file=str(_required(directory / _BOOSTER_FILE))))


@dataclass(frozen=True)
class LinearLearner:
    """A logistic regression on standardised features (`model.baselines.Standardiser`)."""

    feature_names: list[str]
    standardiser: Standardiser
    coef: np.ndarray  # (features + indicators,) float64
    intercept: float
    c: float
    family: Family = "logistic"

    @classmethod
    def from_baseline(cls, fitted: LogisticBaseline) -> LinearLearner:
        """The fitted logistic baseline as a learner (the same coefficients, no refit)."""
        return cls(
            feature_names=list(fitted.feature_names_),
            standardiser=fitted.standardiser_,
            coef=np.asarray(fitted.estimator_.coef_, dtype=np.float64).ravel(),
            intercept=float(np.asarray(fitted.estimator_.intercept_).ravel()[0]),
            c=float(fitted.c_),
        )

    def _terms(self, x: np.ndarray) -> np.ndarray:
        terms: np.ndarray = np.asarray(self.standardiser.transform(x), dtype=np.float64) * self.coef
        return terms

    def raw(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._terms(x).sum(axis=1) + self.intercept, dtype=np.float64)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        terms = self._terms(x)
        p = len(self.feature_names)
        out = terms[:, :p].copy()
        out[:, self.standardiser.indicators] += terms[:, p:]  # one indicator per feature at most
        return np.full(x.shape[0], self.intercept), out

    def summary(self) -> str:
        return (
            f"logistic regression, C={self.c:g}, {len(self.feature_names)} features and "
            f"{len(self.standardiser.indicators)} missing-value indicators"
        )

    def save(self, directory: Path) -> None:
        s = self.standardiser
        data = {
            "feature_names": self.feature_names,
            "medians": s.medians.tolist(),
            "indicators": s.indicators.tolist(),
            "mean": s.mean.tolist(),
            "scale": s.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "c": self.c,
        }
        (directory / _LINEAR_FILE).write_text(json.dumps(data), "utf-8")

    @classmethod
    def load(cls, directory: Path) -> LinearLearner:
        data = json.loads(_required(directory / _LINEAR_FILE).read_text("utf-8"))
        standardiser = Standardiser(
            medians=np.asarray(data["medians"], dtype=np.float32),
            indicators=np.asarray(data["indicators"], dtype=np.int64),
            mean=np.asarray(data["mean"], dtype=np.float32),
            scale=np.asarray(data["scale"], dtype=np.float32),
        )
        return cls(
            feature_names=list(data["feature_names"]),
            standardiser=standardiser,
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            c=float(data["c"]),
        )


def load_learner(family: str, directory: Path) -> Learner:
    """The learner of `family` saved in `directory` by its `save`."""
    from model.ebm import EbmLearner

    family = check_family(family)
    if family == "lightgbm":
        return BoosterLearner.load(directory)
    if family == "logistic":
        return LinearLearner.load(directory)
    return EbmLearner.load(directory)


def _required(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"expected file {path.name}, not found")
    return path
