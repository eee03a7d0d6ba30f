"""Recalibration within groups: each group's mean probability meets its observed rate, the order
inside a group is kept, small and unknown groups are left alone, and a model that has one
refuses to score without the families' attribute and round-trips exactly."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.recalibration import (
    MIN_POSITIVES,
    MIN_ROWS,
    GroupRecalibration,
    fit_group_recalibration,
)
from model.risk_model import RiskModel
from tests.model.synthetic import synthetic_frame


def _understated(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Probabilities right for `middle` and `high` and too low for `low` (the simulator's
    finding: the records reveal only part of low-income families' risk)."""
    rng = np.random.default_rng(seed)
    groups = rng.choice(["low", "middle", "high"], size=n, p=[0.3, 0.5, 0.2])
    p = rng.beta(1.2, 20.0, size=n)
    truth = np.where(groups == "low", np.minimum(1.0, p * 1.6), p)
    y = (rng.random(n) < truth).astype(int)
    return p, y, groups.tolist()


def test_each_group_mean_meets_its_observed_rate() -> None:
    p, y, groups = _understated(30_000, seed=1)
    fit = fit_group_recalibration(p, y, groups, attribute="income_group")
    after = fit.apply(p, groups)
    g = np.array(groups)
    for name in ("low", "middle", "high"):
        assert fit.groups[name].fitted
        assert after[g == name].mean() == pytest.approx(y[g == name].mean(), abs=1e-6)
    # the under-stated group is raised, the others barely move
    assert fit.groups["low"].shift > 0.3
    assert abs(fit.groups["middle"].shift) < fit.groups["low"].shift / 2


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_the_order_inside_a_group_is_kept(seed: int) -> None:
    p, y, groups = _understated(2_000, seed=seed)
    fit = fit_group_recalibration(p, y, groups, attribute="income_group")
    after = fit.apply(p, groups)
    g = np.array(groups)
    for name in set(groups):
        order = np.argsort(p[g == name], kind="stable")
        assert np.all(np.diff(after[g == name][order]) >= -1e-15)


def test_small_missing_and_unknown_groups_are_not_shifted() -> None:
    p, y, groups = _understated(20_000, seed=2)
    groups[:50] = ["tiny"] * 50  # fewer than MIN_ROWS
    groups[50:60] = [None] * 10  # type: ignore[list-item]
    fit = fit_group_recalibration(p, y, groups, attribute="income_group")
    assert MIN_ROWS > 50
    assert MIN_POSITIVES > 0
    assert not fit.groups["tiny"].fitted
    assert fit.groups["tiny"].shift == 0.0
    after = fit.apply(p[:70], [*groups[:60], *["never seen"] * 10])
    np.testing.assert_array_equal(after, p[:70])


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"recalibrate_within: expected one of ethnicity, .*"):
        fit_group_recalibration(np.zeros(3), np.zeros(3), ["a"] * 3, attribute="district")
    with pytest.raises(ValueError, match="expected equal lengths, got 3, 3 and 2"):
        fit_group_recalibration(np.zeros(3), np.zeros(3), ["a"] * 2, attribute="income_group")
    fit = fit_group_recalibration(np.zeros(3), np.zeros(3), ["a"] * 3, attribute="income_group")
    with pytest.raises(ValueError, match=r"income_group: expected one group per family \(3\)"):
        fit.apply(np.zeros(3), ["a"])


def _recalibrated(model: RiskModel, n: int) -> tuple[RiskModel, pl.DataFrame, pl.DataFrame]:
    features, y = synthetic_frame(n, seed=5)
    groups = np.where(np.arange(n) % 3 == 0, "low", "middle")
    probability = model.score(features).probability
    out = copy.copy(model)
    out.recalibration_ = fit_group_recalibration(
        probability, y, groups.tolist(), attribute="income_group"
    )
    families = pl.DataFrame({"family_id": features["family_id"], "income_group": groups})
    return out, features, families


def test_a_recalibrated_model_scores_with_the_families_and_round_trips(
    fitted_model: RiskModel, tmp_path: Path
) -> None:
    model, features, families = _recalibrated(fitted_model, 3000)
    with pytest.raises(ValueError, match=r"recalibrated within income_group .* expected the fam"):
        model.score(features)
    scores = model.score(features, families=families)
    plain = fitted_model.score(features)
    assert scores.group_shift is not None
    assert set(np.unique(scores.group_shift)) == {
        fit.shift
        for fit in model.recalibration_.groups.values()  # type: ignore[union-attr]
    }
    moved = scores.group_shift != 0
    assert moved.any()
    assert np.all((scores.probability > plain.probability)[scores.group_shift > 0])
    np.testing.assert_array_equal(scores.raw_score, plain.raw_score)  # the learner is untouched
    model.save(tmp_path / "m")
    loaded = RiskModel.load(tmp_path / "m")
    assert loaded.recalibration_ == model.recalibration_
    again = loaded.score(features, families=families)
    np.testing.assert_array_equal(again.probability, scores.probability)
    assert again.band == scores.band
    # a model without one says so in its file and scores as before
    fitted_model.save(tmp_path / "plain")
    assert RiskModel.load(tmp_path / "plain").recalibration_ is None


def test_serialised_form_is_plain_json_and_round_trips() -> None:
    p, y, groups = _understated(5_000, seed=3)
    fit = fit_group_recalibration(p, y, groups, attribute="income_group")
    assert GroupRecalibration.from_dict(fit.to_dict()) == fit
    assert fit.to_dict()["attribute"] == "income_group"
