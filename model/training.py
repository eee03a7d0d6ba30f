"""Fitting the LightGBM booster with early stopping on a held-out period."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np

from model.monotone import MONOTONE_METHOD, constraint_vector

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoosterParams:
    """LightGBM settings. Shallow trees keep TreeSHAP cheap (cost grows with depth)."""

    learning_rate: float = 0.1
    max_depth: int = 6
    num_leaves: int = 31
    min_data_in_leaf: int = 100
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    num_boost_round: int = 1000
    early_stopping_rounds: int = 50
    num_threads: int = 2
    seed: int = 0
    #: Constrain the features whose direction is not in doubt (`model.monotone`).
    monotone: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def lightgbm_params(self) -> dict[str, Any]:
        """The parameter dict passed to `lightgbm.train`."""
        if self.max_depth > 6 or self.max_depth < 1:
            logger.warning("max_depth=%d: explanations get slower beyond depth 6", self.max_depth)
        return {
            "objective": "binary",
            # Stop on ranking quality: calibration is fitted afterwards, and log loss on a later
            # period is dominated by shifts of the base rate that calibration corrects anyway.
            "metric": ["auc", "binary_logloss"],
            "first_metric_only": True,
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l2": self.lambda_l2,
            "num_threads": self.num_threads,
            "deterministic": True,
            "force_row_wise": True,
            "seed": self.seed,
            "verbosity": -1,
            **self.extra,
        }

    def monotone_params(self, feature_names: Sequence[str]) -> dict[str, Any]:
        """The monotone constraints for `feature_names` in order (empty when `monotone` is off).

        "basic" keeps every leaf left of a split on a constrained feature at or below every leaf
        right of it, so TreeSHAP contributions (not only predictions) rise with the value.
        """
        vector = constraint_vector(feature_names)
        if not self.monotone or not any(vector):
            return {}
        chosen = {"monotone_constraints": vector, "monotone_constraints_method": MONOTONE_METHOD}
        return {k: v for k, v in chosen.items() if k not in self.extra}  # `extra` has the last word

    def as_dict(self) -> dict[str, Any]:
        """Flat parameters for logging."""
        out = {k: v for k, v in self.__dict__.items() if k != "extra"}
        out.update(self.extra)
        return out


def fit_booster(
    x: np.ndarray,
    y: np.ndarray,
    *,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    feature_names: list[str],
    params: BoosterParams,
) -> lgb.Booster:
    """Train with early stopping on (x_valid, y_valid); return a booster cut at the best round.

    The returned booster holds only the best iteration's trees, so every later prediction,
    explanation and saved copy agree without passing `num_iteration` around.
    """
    train_set = lgb.Dataset(x, label=y, feature_name=feature_names, free_raw_data=True)
    valid_set = lgb.Dataset(x_valid, label=y_valid, reference=train_set)
    booster = lgb.train(
        {**params.lightgbm_params(), **params.monotone_params(feature_names)},
        train_set,
        num_boost_round=params.num_boost_round,
        valid_sets=[valid_set],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(params.early_stopping_rounds, verbose=False)],
    )
    best = booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration()
    logger.info("booster stopped at %d rounds", best)
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
