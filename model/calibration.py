"""Calibration of the booster's raw score (log-odds) into a probability.

`Calibrator(method="auto")` compares isotonic regression and Platt scaling on the held-out
period by cross-validated Brier score and keeps the better one, refitted on the whole period.
The fitted state is a handful of floats, so it round-trips exactly through JSON.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

Method = Literal["auto", "isotonic", "platt"]


class Calibrator:
    """Map raw scores to calibrated probabilities (scikit-learn style: `fit` returns self)."""

    method_: Literal["isotonic", "platt"]
    cv_brier_: dict[str, float]
    x_: np.ndarray  # isotonic knots (raw score)
    y_: np.ndarray  # isotonic values (probability)
    coef_: float  # Platt slope
    intercept_: float  # Platt intercept

    def __init__(self, method: Method = "auto", *, folds: int = 3, seed: int = 0) -> None:
        self.method = method
        self.folds = folds
        self.seed = seed

    def fit(self, raw_score: np.ndarray, y: np.ndarray) -> Calibrator:
        """Fit on held-out raw scores and 0/1 labels."""
        raw = np.asarray(raw_score, dtype=float)
        labels = np.asarray(y, dtype=int)
        if raw.shape != labels.shape or raw.ndim != 1:
            raise ValueError(
                f"raw_score and y: expected two 1-d arrays of equal length, got {raw.shape} "
                f"and {labels.shape}"
            )
        if len(np.unique(labels)) < 2:
            raise ValueError("y: expected both classes in the calibration period, got one")
        self.cv_brier_ = {}
        if self.method == "auto":
            for candidate in ("isotonic", "platt"):
                self.cv_brier_[candidate] = self._cv_brier(candidate, raw, labels)
            self.method_ = min(("isotonic", "platt"), key=lambda m: self.cv_brier_[m])
        else:
            self.method_ = self.method
        self._fit_method(self.method_, raw, labels)
        return self

    def _cv_brier(
        self, method: Literal["isotonic", "platt"], raw: np.ndarray, y: np.ndarray
    ) -> float:
        n_splits = max(2, min(self.folds, int(np.bincount(y).min())))
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.seed)
        errors = []
        for train, test in splitter.split(raw.reshape(-1, 1), y):
            fold = Calibrator(method, seed=self.seed)._fit_method(method, raw[train], y[train])
            errors.append(float(np.mean((fold.predict(raw[test]) - y[test]) ** 2)))
        return float(np.mean(errors))

    def _fit_method(
        self, method: Literal["isotonic", "platt"], raw: np.ndarray, y: np.ndarray
    ) -> Calibrator:
        self.method_ = method
        if method == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
            self.x_ = np.asarray(iso.X_thresholds_, dtype=float)
            self.y_ = np.asarray(iso.y_thresholds_, dtype=float)
        else:
            # Near-unpenalised logistic fit on one feature: classic Platt scaling.
            lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
            self.coef_ = float(lr.coef_[0, 0])
            self.intercept_ = float(lr.intercept_[0])
        return self

    def predict(self, raw_score: np.ndarray) -> np.ndarray:
        """Calibrated probability of each raw score."""
        raw = np.asarray(raw_score, dtype=float)
        if self.method_ == "isotonic":
            return np.asarray(np.interp(raw, self.x_, self.y_), dtype=float)
        return 1.0 / (1.0 + np.exp(-(self.coef_ * raw + self.intercept_)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (floats are written with full precision by `json`)."""
        state: dict[str, Any] = {"method": self.method_, "cv_brier": self.cv_brier_}
        if self.method_ == "isotonic":
            state["x"] = self.x_.tolist()
            state["y"] = self.y_.tolist()
        else:
            state["coef"] = self.coef_
            state["intercept"] = self.intercept_
        return state

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Calibrator:
        """Rebuild a fitted calibrator from `to_dict` output."""
        method = state["method"]
        if method not in ("isotonic", "platt"):
            raise ValueError(f"calibration method: expected isotonic or platt, got {method!r}")
        cal = cls(method)
        cal.method_ = method
        cal.cv_brier_ = dict(state.get("cv_brier", {}))
        if method == "isotonic":
            cal.x_ = np.asarray(state["x"], dtype=float)
            cal.y_ = np.asarray(state["y"], dtype=float)
        else:
            cal.coef_ = float(state["coef"])
            cal.intercept_ = float(state["intercept"])
        return cal


def out_of_fold(calibrator: Calibrator, raw_score: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cross-fitted probabilities with the calibrator's chosen method.

    Each row is calibrated by a calibrator that never saw it, so Brier and ECE measured on the
    calibration period are not flattered by the calibration fit itself.
    """
    raw = np.asarray(raw_score, dtype=float)
    labels = np.asarray(y, dtype=int)
    n_splits = max(2, min(calibrator.folds, int(np.bincount(labels).min())))
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=calibrator.seed)
    out = np.empty(raw.shape, dtype=float)
    for train, test in splitter.split(raw.reshape(-1, 1), labels):
        fold = Calibrator(calibrator.method_)._fit_method(
            calibrator.method_, raw[train], labels[train]
        )
        out[test] = fold.predict(raw[test])
    return out
