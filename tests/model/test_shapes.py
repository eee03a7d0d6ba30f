"""Shapes: a glass-box model's main effect per feature, exact at every family's value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.baselines import LogisticBaseline
from model.learners import LinearLearner
from model.plots import shape_plots
from model.risk_model import RiskModel
from model.shapes import main_effect, shapes
from tests.model.synthetic import FEATURES, synthetic_frame


@pytest.fixture(scope="module")
def linear() -> LinearLearner:
    frame, y = synthetic_frame(3000, seed=1)
    x = frame.select(FEATURES).to_numpy().astype(np.float32)
    return LinearLearner.from_baseline(
        LogisticBaseline().fit_matrix(x, y, feature_names=list(FEATURES))
    )


def _sample(seed: int) -> np.ndarray:
    frame, _ = synthetic_frame(500, seed=seed)
    return frame.select(FEATURES).to_numpy().astype(np.float64)


def test_a_logistic_shape_is_each_familys_contribution(linear: LinearLearner) -> None:
    x = _sample(2)
    _, contributions = linear.contributions(x.astype(np.float32))
    for j in range(len(FEATURES)):
        np.testing.assert_allclose(main_effect(linear, j, x[:, j]), contributions[:, j], atol=1e-9)
    got = shapes(linear, x)
    assert {s.feature for s in got} == set(FEATURES)
    assert [s.spread for s in got] == sorted((s.spread for s in got), reverse=True)
    calls = next(s for s in got if s.feature == "police_domestic_call_6m")
    assert not calls.steps
    assert calls.values == sorted(calls.values)
    assert calls.values[0] == x[:, 0].min()
    assert calls.values[-1] == x[:, 0].max()
    # more calls raise the score in this population (a positive coefficient on a monotone
    # transform): the curve rises
    assert np.all(np.diff(calls.scores) > 0)
    hits = next(s for s in got if s.feature == "hits_max")
    never = linear.contributions(np.full((1, len(FEATURES)), np.nan, dtype=np.float32))[1]
    assert hits.missing == pytest.approx(float(never[0, 1]))


def test_a_booster_has_no_shapes(fitted_model: RiskModel) -> None:
    assert shapes(fitted_model.learner_, _sample(3)) == []
    with pytest.raises(TypeError, match="learner: expected a glass-box family, got lightgbm"):
        main_effect(fitted_model.learner_, 0, np.zeros(3))


def test_the_shape_plot_is_written(linear: LinearLearner, tmp_path: Path) -> None:
    written = shape_plots(shapes(linear, _sample(4)), tmp_path / "shapes", top=4)
    assert [p.name for p in written] == ["shapes.png", "shapes.svg"]
    assert "police_domestic_call_6m" in (tmp_path / "shapes.svg").read_text("utf-8")
    with pytest.raises(ValueError, match="shapes: expected at least one shape, got none"):
        shape_plots([], tmp_path / "none")
