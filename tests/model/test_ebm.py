"""The EBM candidate: its tables score as interpret does, contributions add up to its raw
score, shapes reproduce them, monotone constraints hold, saving loses nothing, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from interpret.glassbox import ExplainableBoostingClassifier
from sklearn.metrics import roc_auc_score

from model.ebm import EbmLearner, EbmParams, fit_ebm
from model.shapes import shapes
from tests.model.synthetic import FEATURES, synthetic_frame

SMALL = EbmParams(outer_bags=2, interactions=3, max_rounds=1000)
#: police calls, HITS and the school's concern items never lower the risk; the other two free
DIRECTIONS = [1, 1, 1, 0, 0]


def _matrix(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    frame, y = synthetic_frame(n, seed=seed)
    return frame.select(FEATURES).to_numpy().astype(np.float64), y


@pytest.fixture(scope="module")
def fitted() -> ExplainableBoostingClassifier:
    x, y = _matrix(4000, seed=1)
    return fit_ebm(x, y, feature_names=list(FEATURES), params=SMALL, monotone=DIRECTIONS)


def test_the_tables_score_as_interpret_does(fitted: ExplainableBoostingClassifier) -> None:
    x, _ = _matrix(500, seed=3)
    # values exactly on the cut points and far outside them
    x[:50] = np.asarray(EbmLearner.from_interpret(fitted).terms[0].cuts[0])[:1].repeat(5)
    x[50:60] = 1e9
    x[60:70] = np.nan
    learner = EbmLearner.from_interpret(fitted)
    terms = fitted.eval_terms(x)
    for j, term in enumerate(learner.terms):
        assert np.array_equal(term.lookup(x), terms[:, j]), term.features
    assert np.abs(learner.raw(x) - fitted.decision_function(x)).max() < 1e-9


def test_contributions_add_up_to_the_raw_score(fitted: ExplainableBoostingClassifier) -> None:
    x, _ = _matrix(500, seed=3)
    learner = EbmLearner.from_interpret(fitted)
    base, contributions = learner.contributions(x)
    assert contributions.shape == (500, len(FEATURES))
    assert np.abs(base + contributions.sum(axis=1) - fitted.decision_function(x)).max() < 1e-6


def test_a_saved_ebm_scores_the_same(fitted: ExplainableBoostingClassifier, tmp_path: Path) -> None:
    learner = EbmLearner.from_interpret(fitted)
    learner.save(tmp_path)
    loaded = EbmLearner.load(tmp_path)
    x, _ = _matrix(300, seed=8)
    assert np.array_equal(loaded.raw(x), learner.raw(x))
    assert loaded.feature_names == list(FEATURES)
    assert loaded.summary() == learner.summary()


def test_shapes_reproduce_the_main_terms(fitted: ExplainableBoostingClassifier) -> None:
    learner = EbmLearner.from_interpret(fitted)
    x, _ = _matrix(300, seed=4)
    terms = fitted.eval_terms(x)
    main = {t[0]: j for j, t in enumerate(fitted.term_features_) if len(t) == 1}
    for shape in shapes(learner, x):
        f = FEATURES.index(shape.feature)
        assert shape.steps
        # a step function through its points: every family's main term is the score of the
        # last point at or below its value
        values = x[:, f]
        at = np.searchsorted(shape.values, np.nan_to_num(values), "right") - 1
        expected = np.where(np.isnan(values), shape.missing, np.asarray(shape.scores)[at])
        assert np.allclose(terms[:, main[f]], expected), shape.feature


def test_constrained_features_never_lower_the_score(fitted: ExplainableBoostingClassifier) -> None:
    assert all(not any(DIRECTIONS[f] for f in t) for t in fitted.term_features_ if len(t) > 1)
    x, _ = _matrix(400, seed=5)
    for shape in shapes(EbmLearner.from_interpret(fitted), x):
        if DIRECTIONS[FEATURES.index(shape.feature)] == 1:
            assert np.all(np.diff(shape.scores) >= -1e-12), shape.feature
    base = fitted.decision_function(x)
    for f, direction in enumerate(DIRECTIONS):
        if direction:
            raised = x.copy()
            raised[:, f] = np.nan_to_num(raised[:, f]) + 3.0
            observed = ~np.isnan(x[:, f])
            lifted = fitted.decision_function(raised)[observed]
            assert np.all(lifted >= base[observed] - 1e-9), FEATURES[f]


def test_it_ranks_like_the_truth(fitted: ExplainableBoostingClassifier) -> None:
    frame, y = synthetic_frame(3000, seed=6)
    x = frame.select(FEATURES).to_numpy().astype(np.float64)
    truth = 0.9 * x[:, 0] + 0.15 * np.nan_to_num(x[:, 1] - 10.0) + 1.2 * x[:, 2] + 0.05 * x[:, 3]
    ebm_auc = roc_auc_score(y, fitted.decision_function(x))
    assert ebm_auc > roc_auc_score(y, truth) - 0.03


def test_bad_shapes_are_named() -> None:
    x, y = _matrix(50, seed=7)
    with pytest.raises(ValueError, match="feature_names: expected 5 names"):
        fit_ebm(x, y, feature_names=["a"], params=SMALL)
    with pytest.raises(ValueError, match="monotone: expected 5 directions, got 2"):
        fit_ebm(x, y, feature_names=list(FEATURES), params=SMALL, monotone=[1, 0])


def test_it_stops_early_on_the_held_out_rows_it_is_given() -> None:
    """With `valid`, interpret stops on those rows (a later period in training), not on a random
    share of the training rows: held-out labels without signal (the same rate, shuffled) stop
    it much earlier than the real ones."""
    x, y = _matrix(4000, seed=1)
    x_valid, y_valid = _matrix(2000, seed=2)
    real = fit_ebm(x, y, feature_names=list(FEATURES), params=SMALL, valid=(x_valid, y_valid))
    noise = np.random.default_rng(0).permutation(y_valid)
    stopped = fit_ebm(x, y, feature_names=list(FEATURES), params=SMALL, valid=(x_valid, noise))
    rounds_real = int(np.max(real.best_iteration_[0]))
    rounds_noise = int(np.max(stopped.best_iteration_[0]))
    assert rounds_noise < 0.8 * rounds_real, (rounds_noise, rounds_real)
    with pytest.raises(ValueError, match=r"valid: expected a matrix of 5 columns"):
        fit_ebm(x, y, feature_names=list(FEATURES), params=SMALL, valid=(x_valid[:, :2], y_valid))
