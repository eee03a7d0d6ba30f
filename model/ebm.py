"""The Explainable Boosting Machine candidate: interpret's glass-box model, additive per-feature
shapes plus a few pairwise interactions, with the same explanation contract as the booster.

An EBM's raw score (log-odds) is its intercept plus one score per term; a term is one feature
(its shape) or a pair. `EbmLearner.contributions` gives, like TreeSHAP for the booster, a base
value and one contribution per feature that add up to the raw score: a main term's score goes to
its feature, a pair's score is shared equally between its two features (the pair's own table
stays in the model). Missing values get their own bin, as the booster keeps them apart, so
"never screened" is not mistaken for a score of zero.

Its shapes (`model.shapes`) are the whole model as an auditor can read it: for every feature,
the score it adds over each range of its values. The model is stored as its tables in JSON;
there is no pickle, and scoring a saved model needs no interpret.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.learners import Family

if TYPE_CHECKING:
    from interpret.glassbox import ExplainableBoostingClassifier

_EBM_FILE = "ebm.json"


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
    valid: tuple[np.ndarray, np.ndarray] | None = None,
) -> ExplainableBoostingClassifier:
    """Fit an EBM on the matrix `x` (NaN where missing) and 0/1 labels `y`.

    `monotone`: per feature +1 (never lowers the score as the value grows), -1, or 0 (free).
    A pair term can break a main shape's direction, so with constraints no pair includes a
    constrained feature.
    `valid`: held-out rows (a later period) to stop early on, as the booster does. Without
    them interpret stops on a random 15% of the rows, which are the same families in the same
    months as the rest: it then learns families rather than risk, as the booster did on
    overlapping months (docs/model.md). With them every outer bag trains on its own 85% of
    `x` and stops on all of `valid` (interpret's `bags`).
    """
    if x.shape[1] != len(feature_names):
        raise ValueError(
            f"feature_names: expected {x.shape[1]} names (one per column), got {len(feature_names)}"
        )
    from interpret.glassbox import ExplainableBoostingClassifier

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
    bags = None
    if valid is not None:
        x_valid, y_valid = valid
        if x_valid.ndim != 2 or x_valid.shape[1] != x.shape[1] or len(x_valid) != len(y_valid):
            raise ValueError(
                f"valid: expected a matrix of {x.shape[1]} columns and one label per row, got "
                f"shape {x_valid.shape} and {len(y_valid)} labels"
            )
        rng = np.random.default_rng(model.random_state)
        n_bags = int(model.outer_bags)
        train = np.where(rng.random((len(x), n_bags)) < 0.85, 1, 0)
        bags = np.vstack([train, np.full((len(x_valid), n_bags), -1)]).astype(np.int8)
        # interpret bins the features on all the rows it is given, these included (their
        # values, not their labels): the cut points then span the held-out months too
        x, y = np.vstack([x, x_valid]), np.concatenate([y, y_valid])
    with warnings.catch_warnings():
        # "Missing values detected" is about interpret's plots; `shapes` keeps them apart.
        warnings.filterwarnings("ignore", message="Missing values detected", category=UserWarning)
        model.fit(x, y, bags=bags)
    return model


@dataclass(frozen=True)
class Term:
    """One term of an EBM: a feature (a shape) or a pair, its bin cuts per feature and its
    score table. The table's layout is interpret's: per axis, index 0 for a missing value, then
    one bin per range of values (`cuts` are their lower edges; a value on a cut belongs to the
    bin above), then one for a value the model never saw."""

    features: tuple[int, ...]
    cuts: tuple[np.ndarray, ...]
    scores: np.ndarray  # one axis per feature

    def lookup(self, x: np.ndarray) -> np.ndarray:
        index = []
        for f, cuts in zip(self.features, self.cuts, strict=True):
            values = np.asarray(x[:, f], dtype=np.float64)
            bins = np.searchsorted(cuts, values, side="right") + 1
            bins[np.isnan(values)] = 0
            index.append(bins)
        return np.asarray(self.scores[tuple(index)], dtype=np.float64)


@dataclass(frozen=True)
class EbmLearner:
    """An EBM as its tables (intercept and terms), read out of interpret's fitted model and
    evaluated here, so a saved model is plain JSON and loads without interpret or pickle; the
    scores are interpret's own (tested against `eval_terms`)."""

    feature_names: list[str]
    intercept: float
    terms: tuple[Term, ...]
    family: Family = "ebm"

    @classmethod
    def from_interpret(cls, model: ExplainableBoostingClassifier) -> EbmLearner:
        terms = []
        for features, scores in zip(model.term_features_, model.term_scores_, strict=True):
            cuts = []
            for f in features:
                levels = model.bins_[f]
                level = np.asarray(levels[min(len(levels), len(features)) - 1], dtype=np.float64)
                cuts.append(level)
            terms.append(
                Term(tuple(int(f) for f in features), tuple(cuts), np.asarray(scores, np.float64))
            )
        return cls(
            feature_names=[str(n) for n in model.feature_names_in_],
            intercept=float(np.asarray(model.intercept_).ravel()[0]),
            terms=tuple(terms),
        )

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A main term's score goes to its feature; a pair's is shared equally by its two."""
        out = np.zeros((x.shape[0], len(self.feature_names)), dtype=np.float64)
        for term in self.terms:
            share = term.lookup(x) / len(term.features)
            for f in term.features:
                out[:, f] += share
        return np.full(x.shape[0], self.intercept), out

    def raw(self, x: np.ndarray) -> np.ndarray:
        base, contrib = self.contributions(x)
        return np.asarray(base + contrib.sum(axis=1), dtype=np.float64)

    def summary(self) -> str:
        pairs = sum(len(t.features) > 1 for t in self.terms)
        return f"EBM, {len(self.terms) - pairs} shapes and {pairs} pairs"

    def save(self, directory: Path) -> None:
        data = {
            "feature_names": self.feature_names,
            "intercept": self.intercept,
            "terms": [
                {
                    "features": list(t.features),
                    "cuts": [c.tolist() for c in t.cuts],
                    "scores": t.scores.tolist(),
                }
                for t in self.terms
            ],
        }
        (directory / _EBM_FILE).write_text(json.dumps(data), "utf-8")

    @classmethod
    def load(cls, directory: Path) -> EbmLearner:
        path = directory / _EBM_FILE
        if not path.is_file():
            raise FileNotFoundError(f"expected file {_EBM_FILE}, not found")
        data = json.loads(path.read_text("utf-8"))
        terms = tuple(
            Term(
                tuple(int(f) for f in t["features"]),
                tuple(np.asarray(c, dtype=np.float64) for c in t["cuts"]),
                np.asarray(t["scores"], dtype=np.float64),
            )
            for t in data["terms"]
        )
        return cls(
            feature_names=list(data["feature_names"]),
            intercept=float(data["intercept"]),
            terms=terms,
        )
