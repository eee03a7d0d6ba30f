"""What a glass-box model does with each feature, for the whole population: its shapes.

For the logistic regression and the EBM, a feature's main effect is a function of that
feature's value alone (log-odds added to the raw score): the logistic term (coefficient times
the standardised value, plus the missing-value indicator's term) or the EBM's shape. `shapes`
evaluates that function exactly, with the learner's own code, at every cut point the EBM uses
and at quantiles of the values the families actually have, and at a missing value. An auditor
reads from them what the whole model does, not only one family's explanation. A LightGBM
booster has no such function (a tree's contribution depends on the other features); its run
has the SHAP summary plot instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.ebm import EbmLearner
from model.learners import Learner, LinearLearner

#: Quantiles of the observed values a shape is evaluated at (with the EBM's cut points).
_QUANTILES = np.linspace(0.0, 1.0, 41)


@dataclass(frozen=True)
class Shape:
    """One feature's main effect: `scores[i]` log-odds at value `values[i]` (sorted), `missing`
    for a missing value; `steps` when the function is constant between consecutive values
    (an EBM) rather than a curve through them (a logistic term). `spread` is the mean absolute
    deviation of the effect over the families it was drawn from (how much the feature moves
    scores in this population)."""

    feature: str
    values: list[float]
    scores: list[float]
    missing: float
    steps: bool
    spread: float

    def to_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "values": self.values,
            "scores": self.scores,
            "missing": self.missing,
            "steps": self.steps,
            "spread": self.spread,
        }


def is_glass_box(learner: Learner) -> bool:
    return isinstance(learner, LinearLearner | EbmLearner)


def main_effect(learner: Learner, feature: int, values: np.ndarray) -> np.ndarray:
    """The learner's main effect of column `feature` at `values` (NaN = missing)."""
    if isinstance(learner, LinearLearner):
        x = np.full((len(values), len(learner.feature_names)), np.nan, dtype=np.float32)
        x[:, feature] = values
        return learner.contributions(x)[1][:, feature]
    if isinstance(learner, EbmLearner):
        x = np.full((len(values), len(learner.feature_names)), np.nan, dtype=np.float64)
        x[:, feature] = values
        for term in learner.terms:
            if term.features == (feature,):
                return term.lookup(x)
        return np.zeros(len(values))  # a feature the EBM left without a shape
    raise TypeError(f"learner: expected a glass-box family, got {learner.family}")


def shapes(learner: Learner, sample: np.ndarray) -> list[Shape]:
    """Every feature's shape, evaluated on the values of `sample` (rows of families, columns
    the learner's features), most influential first; [] for a learner that is not glass-box."""
    if not is_glass_box(learner):
        return []
    out = []
    for j, name in enumerate(learner.feature_names):
        observed = sample[:, j][~np.isnan(sample[:, j])].astype(np.float64)
        grid = np.quantile(observed, _QUANTILES) if observed.size else np.zeros(0)
        if isinstance(learner, EbmLearner) and observed.size:
            cuts = next((t.cuts[0] for t in learner.terms if t.features == (j,)), np.zeros(0))
            grid = np.concatenate([grid, cuts[(cuts > grid[0]) & (cuts <= grid[-1])]])
        grid = np.unique(grid)
        at_rows = main_effect(learner, j, sample[:, j].astype(np.float64))
        spread = float(np.mean(np.abs(at_rows - at_rows.mean()))) if len(at_rows) else 0.0
        missing = float(main_effect(learner, j, np.array([math.nan]))[0])
        out.append(
            Shape(
                feature=name,
                values=[float(v) for v in grid],
                scores=[float(s) for s in main_effect(learner, j, grid)],
                missing=missing,
                steps=isinstance(learner, EbmLearner),
                spread=spread,
            )
        )
    return sorted(out, key=lambda s: -s.spread)
