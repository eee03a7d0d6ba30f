"""The Explainable Boosting Machine candidate: interpret's glass-box model, additive per-feature
shapes plus a few pairwise interactions, with the same explanation contract as the booster.

An EBM's raw score (log-odds) is its intercept plus one score per term; a term is one feature
(its shape) or a pair. `contributions` gives, like TreeSHAP for the booster, a base value and
one contribution per feature that add up to the raw score: a main term's score goes to its
feature, a pair's score is shared equally between its two features (the pair's own shape stays
visible in `shapes`). Missing values get their own bin (`missing="separate"`), as the booster
keeps them apart, so "never screened" is not mistaken for a score of zero.

`shapes` is the whole model as an auditor can read it: for every feature, the score it adds
over each range of its values. The model is stored as interpret's own JSON (`to_json`) beside
these shapes; there is no pickle.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from interpret.glassbox import ExplainableBoostingClassifier


@dataclass(frozen=True)
class EbmParams:
    """interpret's settings, chosen for a few minutes on two cores at 20,000 families; the
    defaults of interpret (14 outer bags, 1024 bins) cost several times more for the same
    ranking on this data (docs/model.md)."""

    interactions: int = 10
    outer_bags: int = 4
    max_bins: int = 256
    learning_rate: float = 0.02
    max_rounds: int = 3000
    early_stopping_rounds: int = 50
    min_samples_leaf: int = 50
    n_jobs: int = 2
    seed: int = 0

    def as_kwargs(self) -> dict[str, Any]:
        kwargs = asdict(self)
        kwargs["random_state"] = kwargs.pop("seed")
        return kwargs


def fit_ebm(
    x: np.ndarray,
    y: np.ndarray,
    *,
    feature_names: Sequence[str],
    params: EbmParams | None = None,
    monotone: Sequence[int] | None = None,
) -> ExplainableBoostingClassifier:
    """Fit an EBM on the matrix `x` (NaN where missing) and 0/1 labels `y`.

    `monotone`: per feature +1 (never lowers the score as the value grows), -1, or 0 (free).
    A pair term can break a main shape's direction, so with constraints no pair includes a
    constrained feature.
    """
    if x.shape[1] != len(feature_names):
        raise ValueError(
            f"feature_names: expected {x.shape[1]} names (one per column), got {len(feature_names)}"
        )
    kwargs = (params or EbmParams()).as_kwargs()
    if monotone is not None:
        if len(monotone) != len(feature_names):
            raise ValueError(
                f"monotone: expected {len(feature_names)} directions, got {len(monotone)}"
            )
        constrained = [i for i, d in enumerate(monotone) if d != 0]
        kwargs["monotone_constraints"] = [int(d) for d in monotone]
        if constrained:
            pairs = {tuple(sorted((i, j))) for i in constrained for j in range(len(monotone))}
            kwargs["exclude"] = sorted(p for p in pairs if p[0] != p[1])
    model = ExplainableBoostingClassifier(
        feature_names=list(feature_names), feature_types=["continuous"] * len(feature_names),
        **kwargs,
    )  # fmt: skip
    with warnings.catch_warnings():
        # "Missing values detected" is about interpret's plots; `shapes` keeps them apart.
        warnings.filterwarnings("ignore", message="Missing values detected", category=UserWarning)
        model.fit(x, y)
    return model


@dataclass(frozen=True)
class Additive:
    """Base value plus one contribution per feature (log-odds); they add up to the raw score."""

    base_value: float
    contributions: np.ndarray  # (n_rows, n_features)

    @property
    def raw_score(self) -> np.ndarray:
        return np.asarray(self.base_value + self.contributions.sum(axis=1), dtype=np.float64)


def contributions(model: ExplainableBoostingClassifier, x: np.ndarray) -> Additive:
    """Per-feature contributions of every row of `x` (see the module docstring)."""
    terms = np.asarray(model.eval_terms(x), dtype=np.float64)
    out = np.zeros((x.shape[0], x.shape[1]), dtype=np.float64)
    for j, features in enumerate(model.term_features_):
        share = terms[:, j] / len(features)
        for f in features:
            out[:, f] += share
    return Additive(base_value=float(np.asarray(model.intercept_).ravel()[0]), contributions=out)


@dataclass(frozen=True)
class Shape:
    """What one feature adds to the log-odds over each range of its values.

    `cuts` are the bin edges: the first score is for values below `cuts[0]`, the last for values
    from `cuts[-1]` up; `missing` is the score of a missing value.
    """

    feature: str
    cuts: list[float]
    scores: list[float]
    missing: float


def shapes(model: ExplainableBoostingClassifier) -> list[Shape]:
    """The main-effect shape of every feature the model kept (pairs are not shapes)."""
    out = []
    names = list(model.feature_names_in_)
    for features, scores in zip(model.term_features_, model.term_scores_, strict=True):
        if len(features) != 1:
            continue
        f = features[0]
        cuts = [float(c) for c in np.asarray(model.bins_[f][0]).ravel()]
        values = np.asarray(scores, dtype=np.float64)
        # interpret's layout: [missing, bin 0 .. bin k, unseen]
        out.append(
            Shape(
                feature=names[f],
                cuts=cuts,
                scores=[float(v) for v in values[1:-1]],
                missing=float(values[0]),
            )
        )
    return out
