"""Every model family serves the same contract inside a `RiskModel`: scores, contributions that
add up to the raw score, reasons, and a saved copy that scores the same."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from model.baselines import LogisticBaseline
from model.ebm import EbmLearner, EbmParams, fit_ebm
from model.learners import Learner, LinearLearner, check_family
from model.risk_model import FeatureMismatchError, ModelFileError, RiskModel
from tests.model.synthetic import FEATURES, synthetic_frame

SMALL_EBM = EbmParams(outer_bags=2, interactions=2, max_rounds=500)


def _x(frame_seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    frame, y = synthetic_frame(n, seed=frame_seed)
    return frame.select(FEATURES).to_numpy().astype(np.float32), y


@pytest.fixture(scope="module")
def logistic() -> LogisticBaseline:
    x, y = _x(1, 4000)
    xv, yv = _x(2, 2000)
    return LogisticBaseline().fit_matrix(x, y, feature_names=list(FEATURES), valid=(xv, yv))


@pytest.fixture(scope="module")
def learners(logistic: LogisticBaseline) -> dict[str, Learner]:
    x, y = _x(1, 4000)
    ebm = fit_ebm(x.astype(np.float64), y, feature_names=list(FEATURES), params=SMALL_EBM)
    return {
        "logistic": LinearLearner.from_baseline(logistic),
        "ebm": EbmLearner.from_interpret(ebm),
    }


def _adopted(learner: Learner) -> RiskModel:
    xv, yv = _x(2, 2000)
    return RiskModel().adopt(
        learner, x_valid=xv, y_valid=yv, feature_names=list(FEATURES),
        trained_until=dt.date(2025, 1, 1),
    )  # fmt: skip


def test_the_linear_learner_is_the_fitted_regression(logistic: LogisticBaseline) -> None:
    learner = LinearLearner.from_baseline(logistic)
    x, _ = _x(3, 1000)
    z = logistic.standardiser_.transform(x).astype(np.float64)
    np.testing.assert_allclose(
        learner.raw(x), logistic.estimator_.decision_function(z), atol=1e-9, rtol=0
    )
    # the same order as the baseline's probabilities
    assert np.array_equal(np.argsort(learner.raw(x)), np.argsort(logistic.score_matrix(x)))


@pytest.mark.parametrize("family", ["logistic", "ebm"])
def test_contributions_add_up_and_the_model_serves(
    learners: dict[str, Learner], family: str, tmp_path: Path
) -> None:
    model = _adopted(learners[family])
    assert model.family == family
    frame, y = synthetic_frame(1500, seed=4)
    scores = model.score(frame)
    explanation = model.explain(frame)
    total = explanation.base_value + explanation.contributions.sum(axis=1)
    np.testing.assert_allclose(total, scores.raw_score, atol=1e-6, rtol=0)
    assert explanation.base_value == pytest.approx(model.expected_value())
    assert scores.raw_score[y == 1].mean() > scores.raw_score[y == 0].mean()
    assert abs(scores.probability.mean() - y.mean()) < 0.03  # calibrated like the booster
    reasons = model.reasons(explanation, 0, lang="ru")
    assert reasons
    assert all(r.text for r in reasons)
    assert model.metadata_["learner"] == learners[family].summary()
    assert "params" not in model.metadata_  # the booster's parameters are not this model's

    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "risk_model.json").read_text("utf-8"))
    assert meta["family"] == family
    loaded = RiskModel.load(tmp_path / "m")
    assert loaded.family == family
    assert np.array_equal(loaded.score(frame).probability, scores.probability)
    assert np.array_equal(loaded.explain(frame).contributions, explanation.contributions)


def test_a_missing_value_counts_through_its_indicator(learners: dict[str, Learner]) -> None:
    learner = learners["logistic"]
    assert isinstance(learner, LinearLearner)
    hits = FEATURES.index("hits_max")
    assert hits in learner.standardiser.indicators.tolist()
    x, _ = _x(5, 200)
    x[:, hits] = np.nan
    base, contributions = learner.contributions(x)
    np.testing.assert_allclose(base + contributions.sum(axis=1), learner.raw(x), atol=1e-9)
    assert np.all(contributions[:, hits] != 0.0)  # "never screened" is a reason like any other


def test_adopt_refuses_a_learner_of_other_features(learners: dict[str, Learner]) -> None:
    xv, yv = _x(2, 100)
    with pytest.raises(FeatureMismatchError, match="learner"):
        RiskModel().adopt(
            learners["logistic"], x_valid=xv, y_valid=yv, feature_names=list(reversed(FEATURES)),
            trained_until=dt.date(2025, 1, 1),
        )  # fmt: skip


def test_load_names_the_missing_learner_file(learners: dict[str, Learner], tmp_path: Path) -> None:
    _adopted(learners["ebm"]).save(tmp_path / "m")
    (tmp_path / "m" / "ebm.json").unlink()
    with pytest.raises(ModelFileError, match=r"ebm\.json, not found"):
        RiskModel.load(tmp_path / "m")


def test_an_unknown_family_is_named() -> None:
    expected = "family: expected one of logistic, ebm, lightgbm, got 'svm'"
    with pytest.raises(ValueError, match=expected):
        check_family("svm")


def test_no_constrained_feature_contributes_against_its_direction(
    learners: dict[str, Learner],
) -> None:
    from model.monotone import against_direction

    for learner in learners.values():
        x, _ = _x(6, 1500)
        _, contributions = learner.contributions(x)
        calls = FEATURES.index("police_domestic_call_6m")
        raised = x.copy()
        raised[:, calls] += 2.0
        _, more = learner.contributions(raised)
        # more calls never lower the feature's contribution (monotone in the value)
        assert np.all(more[:, calls] >= contributions[:, calls] - 1e-12), learner.family
        present = x[:, calls] > 0
        # a family with calls never gets a "calls lower the score" contribution unless the
        # model holds calls below what it treats as usual; the linear model's is never negative
        # once calls are above their mean
        if learner.family == "logistic":
            above = x[:, calls] >= np.nanmean(x[:, calls])
            assert not any(
                against_direction("police_domestic_call_6m", float(c))
                for c in contributions[above & present, calls]
            )
