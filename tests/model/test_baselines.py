from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from model.baselines import (
    ChecklistBaseline,
    Indicator,
    LogisticBaseline,
    PoliceHistoryBaseline,
)
from tests.model.synthetic import synthetic_frame


def test_checklist_counts_yes_answers_and_treats_missing_as_no() -> None:
    frame = pl.DataFrame(
        {
            "family_id": ["a", "b", "c"],
            "police_domestic_call_12m": [0, 1, 3],
            "hits_max": [None, 12.0, 8.0],
            "school_feels_safe_min": [1.0, None, 5.0],
        }
    )
    checklist = ChecklistBaseline().fit(frame)
    assert {i.feature for i in checklist.indicators_} == {
        "police_domestic_call_12m",
        "hits_max",
        "school_feels_safe_min",
    }
    # a: feels unsafe (1); b: one call (1) + HITS 12 (1); c: repeated calls (2)
    assert checklist.score(frame).tolist() == [1.0, 2.0, 2.0]


def test_checklist_without_any_indicator_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="indicator"):
        ChecklistBaseline((Indicator("q", "absent_feature", 1),)).fit(pl.DataFrame({"x": [1]}))


def test_police_history_reads_the_12_month_count() -> None:
    frame = pl.DataFrame({"police_signals_12m": [0, 4, None]})
    assert PoliceHistoryBaseline().fit(frame).score(frame).tolist() == [0.0, 4.0, 0.0]
    with pytest.raises(ValueError, match="police_signals_12m"):
        PoliceHistoryBaseline().fit(pl.DataFrame({"x": [1]}))


def test_logistic_baseline_learns_the_synthetic_signal() -> None:
    train, y = synthetic_frame(3000, seed=20)
    test, y_test = synthetic_frame(2000, seed=21)
    model = LogisticBaseline().fit(train, y)
    assert "family_id" not in model.feature_names_
    score = model.score(test)
    assert np.all((score > 0) & (score < 1))
    assert score[y_test == 1].mean() > score[y_test == 0].mean() + 0.05


def test_standardiser_matches_scikit_learn_imputer_and_scaler() -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from model.baselines import Standardiser, signed_log1p

    rng = np.random.default_rng(5)
    x = rng.poisson(2.0, size=(4001, 4)).astype(np.float32) * np.array([1, -1, 3, 1], "f4")
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 3] = 7.0  # constant, never missing: no indicator, scale 1
    x[:, 1] = np.nan  # all missing: imputed 0, kept, with an indicator
    ours = Standardiser.fit(x)
    reference = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
    ).fit(np.sign(x.astype(float)) * np.log1p(np.abs(x.astype(float))))
    fresh = x[:500].copy()
    fresh[0, 3] = np.nan  # missing only at scoring: imputed, no indicator column
    expected = reference.transform(np.asarray(signed_log1p(fresh), dtype=float))
    got = ours.transform(fresh)
    assert got.dtype == np.float32
    assert got.shape == expected.shape == (500, 4 + 3)
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_stratified_sample_keeps_label_shares_and_is_reproducible() -> None:
    from model.baselines import stratified_sample

    y = np.r_[np.zeros(9000, int), np.ones(1000, int)]
    idx = stratified_sample(y, rows=2000, seed=1)
    assert len(idx) == 2000
    assert np.all(np.diff(idx) > 0)
    assert y[idx].mean() == pytest.approx(0.1)
    assert np.array_equal(idx, stratified_sample(y, rows=2000, seed=1))
    assert np.array_equal(stratified_sample(y, rows=20_000, seed=1), np.arange(10_000))


def test_logistic_c_chosen_on_a_sample_is_refitted_on_every_row() -> None:
    from model.baselines import feature_matrix

    train, y = synthetic_frame(6000, seed=22)
    valid, y_valid = synthetic_frame(2000, seed=23)
    full = LogisticBaseline(cs=(0.01, 1.0)).fit(train, y, valid=(valid, y_valid))
    sampled = LogisticBaseline(cs=(0.01, 1.0), search_rows=1500).fit(
        train, y, valid=(valid, y_valid)
    )
    assert set(full.valid_auc_) == set(sampled.valid_auc_) == {0.01, 1.0}
    assert full.c_ == max(full.valid_auc_, key=full.valid_auc_.__getitem__)
    # both searches pick C = 0.01 here; the chosen C's final fit uses every row, so it lands
    # on the full search's optimum (not on the sample's own fit)
    assert sampled.c_ == full.c_ == 0.01
    assert sampled.valid_auc_ != full.valid_auc_
    np.testing.assert_allclose(sampled.score(valid), full.score(valid), atol=1e-3)
    matrix = feature_matrix(valid, full.feature_names_)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(full.score_matrix(matrix), full.score(valid))
    with pytest.raises(ValueError, match="features: expected a matrix of"):
        LogisticBaseline().fit_matrix(matrix[:, :2], y_valid, feature_names=full.feature_names_)


def test_the_logistic_baseline_never_weighs_a_constrained_count_against_its_direction() -> None:
    # two windows of one count: the label rises with the recent one and falls with the longer
    # one at equal recent count (an unconstrained fit gives the 12-month window a negative
    # coefficient, "more police signals lower the risk")
    rng = np.random.default_rng(3)
    n = 6000
    recent = rng.poisson(1.0, n).astype(np.float32)
    older = rng.poisson(1.0, n).astype(np.float32)
    year = recent + older
    noise = rng.normal(size=n).astype(np.float32)
    logit = -2.5 + 1.2 * np.log1p(recent) - 0.8 * np.log1p(year) + 0.3 * noise
    noise[::9] = np.nan  # a missing-value indicator follows the features' columns
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    names = ["police_signals_6m", "police_signals_12m", "n_children"]
    x = np.column_stack([recent, year, noise])
    free = LogisticBaseline(monotone=False).fit_matrix(x, y, feature_names=names)
    assert free.estimator_.coef_[0, 1] < 0
    assert free.held_out_features_ == []
    constrained = LogisticBaseline().fit_matrix(x, y, feature_names=names)
    coef = constrained.estimator_.coef_[0]
    assert constrained.held_out_features_ == ["police_signals_12m"]
    assert coef[1] == 0.0
    assert coef[0] > 0
    # the free feature keeps whatever sign the data gives it
    assert coef[2] > 0
    # it ranks at least as well as the recent count alone (what the constraint leaves of the
    # signal), and the constraint's cost is the longer window's negative weight
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(y, constrained.score_matrix(x))
    assert auc >= roc_auc_score(y, recent) - 0.005
    assert auc < roc_auc_score(y, free.score_matrix(x))
