from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shap

from model.bands import BANDS
from model.monotone import against_direction
from model.reasons import as_value, listed
from model.risk_model import FeatureMismatchError, ModelFileError, RiskModel
from model.training import BoosterParams, fit_booster
from tests.model.synthetic import synthetic_frame


def test_score_returns_calibrated_probabilities_and_bands(fitted_model: RiskModel) -> None:
    frame, y = synthetic_frame(1500, seed=3)
    scores = fitted_model.score(frame)
    assert scores.family_id == frame["family_id"].to_list()
    assert scores.probability.shape == (1500,)
    assert np.all((scores.probability >= 0) & (scores.probability <= 1))
    assert set(scores.band) <= set(BANDS)
    # the calibrated mean tracks the observed rate on fresh data from the same process
    assert abs(scores.probability.mean() - y.mean()) < 0.03
    # the model ranks: positives score higher on average
    assert scores.raw_score[y == 1].mean() > scores.raw_score[y == 0].mean()


def test_feature_list_is_kept_in_order(fitted_model: RiskModel) -> None:
    assert fitted_model.feature_names_ == [
        "police_domestic_call_6m",
        "hits_max",
        "school_concern_items_max",
        "days_since_police_signal",
        "n_children",
    ]
    assert fitted_model.trained_until_ == dt.date(2025, 1, 1)
    assert fitted_model.horizon_months_ == 6


def test_contributions_plus_base_equal_raw_score(fitted_model: RiskModel) -> None:
    frame, _ = synthetic_frame(5000, seed=4)
    explanation = fitted_model.explain(frame)
    raw = fitted_model.score(frame).raw_score
    total = explanation.base_value + explanation.contributions.sum(axis=1)
    np.testing.assert_allclose(total, raw, atol=1e-6, rtol=0)
    np.testing.assert_allclose(explanation.raw_score, raw, atol=1e-6, rtol=0)
    assert explanation.contributions.shape == (5000, 5)
    # missing values are explained as missing
    assert np.isnan(explanation.values[:, 1]).any()


def test_contributions_match_the_shap_package(fitted_model: RiskModel) -> None:
    frame, _ = synthetic_frame(400, seed=5)
    explanation = fitted_model.explain(frame)
    explainer = shap.TreeExplainer(fitted_model.booster_)
    independent = np.asarray(explainer.shap_values(explanation.values))
    np.testing.assert_allclose(independent, explanation.contributions, atol=1e-5)
    assert float(np.ravel(explainer.expected_value)[0]) == pytest.approx(
        explanation.base_value, abs=1e-5
    )


def test_save_load_round_trips_exactly(fitted_model: RiskModel, tmp_path: Path) -> None:
    frame, _ = synthetic_frame(2000, seed=6)
    fitted_model.save(tmp_path / "m")
    fitted_model.save(tmp_path / "m")  # replacing an existing copy works too
    loaded = RiskModel.load(tmp_path / "m")
    a, b = fitted_model.score(frame), loaded.score(frame)
    assert np.array_equal(a.raw_score, b.raw_score)
    assert np.array_equal(a.probability, b.probability)
    assert a.band == b.band
    assert np.array_equal(
        fitted_model.explain(frame).contributions, loaded.explain(frame).contributions
    )
    assert loaded.feature_names_ == fitted_model.feature_names_
    assert loaded.band_cuts_ == fitted_model.band_cuts_
    assert loaded.trained_until_ == fitted_model.trained_until_
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temp directories left behind


def test_load_of_missing_directory_says_what_is_missing(
    fitted_model: RiskModel, tmp_path: Path
) -> None:
    with pytest.raises(ModelFileError, match=r"risk_model\.json, not found"):
        RiskModel.load(tmp_path / "nothing")
    fitted_model.save(tmp_path / "m")
    (tmp_path / "m" / "booster.txt").unlink()
    with pytest.raises(ModelFileError, match=r"booster\.txt, not found"):
        RiskModel.load(tmp_path / "m")


def test_feature_mismatch_names_missing_and_unexpected(fitted_model: RiskModel) -> None:
    frame, _ = synthetic_frame(50, seed=7)
    bad = frame.drop("n_children").with_columns(pl.lit(1.0).alias("clinic_screenings_12m"))
    with pytest.raises(
        FeatureMismatchError, match=r"missing \['n_children'\].*clinic_screenings_12m"
    ):
        fitted_model.score(bad)
    with pytest.raises(FeatureMismatchError, match="family_id"):
        fitted_model.score(frame.drop("family_id"))


def test_id_columns_are_ignored_and_column_order_does_not_matter(fitted_model: RiskModel) -> None:
    frame, _ = synthetic_frame(100, seed=8)
    extended = frame.with_columns(pl.lit("D01").alias("district"))
    shuffled = extended.select(list(reversed(extended.columns)))
    assert np.array_equal(
        fitted_model.score(frame).raw_score, fitted_model.score(shuffled).raw_score
    )


@pytest.mark.parametrize("column", ["ethnicity", "district", "income_group"])
def test_protected_attributes_and_geography_are_refused(column: str) -> None:
    frame, y = synthetic_frame(200, seed=9)
    if column == "district":
        # district is an id column: carried along, never a feature
        model = RiskModel(params=BoosterParams(num_boost_round=5, min_data_in_leaf=5))
        model.fit(
            frame.with_columns(pl.lit("D1").alias(column)),
            y,
            valid_features=frame,
            y_valid=y,
            trained_until=dt.date(2025, 1, 1),
        )
        assert column not in model.feature_names_
        return
    with pytest.raises(ValueError, match=column):
        RiskModel().fit(
            frame.with_columns(pl.lit(1).alias(column)),
            y,
            valid_features=frame,
            y_valid=y,
            trained_until=dt.date(2025, 1, 1),
        )


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_reasons_are_top_absolute_contributions(fitted_model: RiskModel, lang: str) -> None:
    frame, _ = synthetic_frame(300, seed=10)
    explanation = fitted_model.explain(frame)
    for row in range(0, 300, 37):
        reasons = fitted_model.reasons(explanation, row, lang=lang, top=3)  # type: ignore[arg-type]
        assert 1 <= len(reasons) <= 3
        magnitudes = [abs(r.contribution) for r in reasons]
        assert magnitudes == sorted(magnitudes, reverse=True)
        # The largest contributions a reason may state (`listed`), in order: none skipped.
        shown = [
            abs(c)
            for name, v, c in zip(
                explanation.feature_names,
                explanation.values[row].tolist(),
                explanation.contributions[row].tolist(),
                strict=True,
            )
            if listed(name, as_value(v), c)
        ]
        assert magnitudes == sorted(shown, reverse=True)[:3]
        for r in reasons:
            j = explanation.feature_names.index(r.feature)
            assert r.contribution == explanation.contributions[row, j]
            assert "because" not in r.text.lower()
            assert r.text


def test_no_reason_reads_against_a_constrained_direction(fitted_model: RiskModel) -> None:
    """A reason never says that more police calls lowered the score; a call count of 0 may
    ("no call": below the families ranked higher) and the waterfall keeps every contribution."""
    frame, _ = synthetic_frame(300, seed=13)
    explanation = fitted_model.explain(frame)
    calls = explanation.feature_names.index("police_domestic_call_6m")
    assert against_direction("police_domestic_call_6m", -1.0)
    contributions = explanation.contributions.copy()
    contributions[:, calls] = -5.0  # larger than any other, against the direction
    planted = replace(explanation, contributions=contributions)
    with_calls = [r for r in range(300) if explanation.values[r, calls] > 0]
    without = [r for r in range(300) if explanation.values[r, calls] == 0]
    assert with_calls
    assert without
    for row in with_calls:
        reasons = fitted_model.reasons(planted, row, lang="en", top=3)
        assert "police_domestic_call_6m" not in [r.feature for r in reasons]
        assert len(reasons) == min(3, int(np.count_nonzero(contributions[row])) - 1)
    for row in without:
        first = fitted_model.reasons(planted, row, lang="en", top=1)[0]
        assert (first.feature, first.contribution) == ("police_domestic_call_6m", -5.0)


def test_reasons_reject_unknown_language_and_row(fitted_model: RiskModel) -> None:
    frame, _ = synthetic_frame(10, seed=11)
    explanation = fitted_model.explain(frame)
    with pytest.raises(ValueError, match="lang"):
        fitted_model.reasons(explanation, 0, lang="de")  # type: ignore[arg-type]
    with pytest.raises(IndexError, match="row"):
        fitted_model.reasons(explanation, 10, lang="en")


def test_reason_texts_differ_by_language_and_show_the_value(fitted_model: RiskModel) -> None:
    frame, _ = synthetic_frame(300, seed=12)
    explanation = fitted_model.explain(frame)
    texts = {
        lang: fitted_model.reasons(explanation, 0, lang=lang, top=1)[0].text
        for lang in ("kk", "ru", "en")
    }
    assert len(set(texts.values())) == 3
    assert not any("\u0400" <= ch <= "\u04ff" for ch in texts["en"])
    assert any("\u0400" <= ch <= "\u04ff" for ch in texts["ru"])
    assert any("\u0400" <= ch <= "\u04ff" for ch in texts["kk"])


def test_fit_on_shared_float32_matrices_equals_fit_on_frames(fitted_model: RiskModel) -> None:
    train, y = synthetic_frame(4000, seed=1)
    valid, y_valid = synthetic_frame(2000, seed=2)
    names = fitted_model.feature_names_
    x = train.select(names).cast(pl.Float32).to_numpy(order="c")
    x_valid = valid.select(names).cast(pl.Float32).to_numpy(order="c")
    params = BoosterParams(num_boost_round=120, early_stopping_rounds=20, min_data_in_leaf=40)
    model = RiskModel(params=params).fit_matrix(
        x,
        y,
        x_valid=x_valid,
        y_valid=y_valid,
        feature_names=names,
        trained_until=dt.date(2025, 1, 1),
    )
    assert model.booster_.model_to_string() == fitted_model.booster_.model_to_string()
    np.testing.assert_array_equal(model.raw_matrix(x_valid), fitted_model.score(valid).raw_score)
    # float32 changes nothing the booster learns: the float64 fit scores the same
    as64 = fit_booster(
        train.select(names).cast(pl.Float64).to_numpy(),
        y.astype(float),
        x_valid=valid.select(names).cast(pl.Float64).to_numpy(),
        y_valid=y_valid.astype(float),
        feature_names=names,
        params=params,
    )
    np.testing.assert_array_equal(
        as64.predict(x_valid.astype(float), raw_score=True), model.raw_matrix(x_valid)
    )
    with pytest.raises(FeatureMismatchError, match="held-out matrix: expected 5 feature columns"):
        RiskModel(params=params).fit_matrix(
            x,
            y,
            x_valid=x_valid[:, :3],
            y_valid=y_valid,
            feature_names=names,
            trained_until=dt.date(2025, 1, 1),
        )
