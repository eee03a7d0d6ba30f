from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import pytest

from experiments.evaluation import evaluate
from experiments.selection import pairwise_standard_errors
from experiments.time_split import drop_agency, known_before, time_split
from experiments.training import BASELINES, TrainingConfig, TrainingResult, train
from features.contracts import PROTECTED_ATTRIBUTES
from features.fingerprint import events_fingerprint
from features.months import months_after
from features.simulator import Population
from model.bands import order_key
from model.gates import GateFailure
from model.metrics import inclusion_weights
from model.training import BoosterParams

UNTIL = dt.date(2025, 1, 1)
FAST = BoosterParams(num_boost_round=60, early_stopping_rounds=15, min_data_in_leaf=50)


#: Judged out of time, the candidates need about two label horizons and two held-out periods
#: more history than the run's own split: on the 36 months of `small_population` from 2023-01
#: the first cut-off that allows it is about 2025-06.
JUDGED_UNTIL = dt.date(2025, 7, 1)


def _config(**kw: Any) -> TrainingConfig:
    base = TrainingConfig(
        until=UNTIL, params=FAST, max_train_months=4, fairness=False, judging="held_out"
    )
    return replace(base, **kw)


@pytest.fixture(scope="module")
def trained(small_population: Population) -> TrainingResult:
    return train(small_population.events, config=_config(), truth=small_population.truth)


@pytest.fixture(scope="module")
def judged(small_population: Population) -> TrainingResult:
    """The default judging: out of time."""
    config = _config(until=JUDGED_UNTIL, judging="out_of_time")
    return train(small_population.events, config=config, truth=small_population.truth)


@pytest.mark.parametrize(
    "until", [dt.date(2025, 1, 1), dt.date(2025, 1, 17), dt.date(2024, 12, 31)]
)
@pytest.mark.parametrize("horizon", [3, 6])
@pytest.mark.parametrize("inner", [False, True])
def test_no_label_window_reaches_past_until(until: dt.date, horizon: int, inner: bool) -> None:
    split = time_split(
        dt.date(2023, 1, 1), until=until, horizon_months=horizon, valid_months=3, inner_buffer=inner
    )
    for as_of, end in split.label_window_ends().items():
        assert end <= until, as_of
    if inner:  # training label windows end before the held-out period begins
        assert all(months_after(d, horizon) <= split.valid_as_of[0] for d in split.train_as_of)
    else:  # training runs up to the month before the held-out period
        assert months_after(split.train_as_of[-1], 1) == split.valid_as_of[0]
    assert len(split.valid_as_of) == 3
    assert max(split.train_as_of) < min(split.valid_as_of)
    # the held-out period is the last possible one: one month later would cross the buffer
    assert months_after(months_after(split.valid_as_of[-1], 1), horizon) > until


def test_too_early_until_says_what_is_needed() -> None:
    with pytest.raises(ValueError, match="--until 2023-09-01: expected at least 6 months"):
        time_split(dt.date(2023, 1, 1), until=dt.date(2023, 9, 1))


@pytest.mark.parametrize("run", ["trained", "judged"])
def test_records_known_after_until_do_not_change_the_model(
    small_population: Population, run: str, request: pytest.FixtureRequest
) -> None:
    trained: TrainingResult = request.getfixturevalue(run)
    cutoff = trained.config.until
    events = small_population.events
    # Rewrite every record known on or after the cut-off: a model that read them would change.
    future_outcomes = events.outcomes.with_columns(
        pl.when(pl.col("knowledge_date") >= cutoff)
        .then(pl.col("event_date") - dt.timedelta(days=200))
        .otherwise(pl.col("event_date"))
        .alias("event_date")
    )
    police = events.police_signals
    extra = police.filter(pl.col("knowledge_date") >= cutoff).with_columns(
        pl.col("record_id") + "-dup"
    )
    tampered = replace(events, outcomes=future_outcomes, police_signals=pl.concat([police, extra]))
    assert extra.height > 0
    assert events_fingerprint(known_before(tampered, cutoff)) == trained.data_fingerprint
    again = train(tampered, config=trained.config)
    assert again.model.family == trained.model.family
    assert again.selection is not None
    assert trained.selection is not None
    assert again.selection.choice == trained.selection.choice
    sample = trained.explanation_sample
    np.testing.assert_array_equal(
        again.model.raw_matrix(sample.values), trained.model.raw_matrix(sample.values)
    )


def test_metrics_cover_model_baselines_and_oracle_on_the_same_rows(trained: TrainingResult) -> None:
    assert trained.selection is not None
    others = {f"candidate_{c.family}" for c in trained.selection.candidates}
    others.discard(f"candidate_{trained.model.family}")  # the champion is "model"
    assert set(trained.metrics) == {"model", *BASELINES, "oracle", *others}
    n = {m["n"] for m in trained.metrics.values()}
    assert n == {float(trained.n_valid)}
    model, oracle = trained.metrics["model"], trained.metrics["oracle"]
    assert 0.5 < model["auc"] < oracle["auc"]  # above chance, below the truth (no leakage)
    assert model["precision_at_5pct"] <= oracle["precision_at_5pct_best"]
    assert model["ece"] < 0.03
    assert "ece" not in trained.metrics["checklist"]  # a count is not a probability
    # split is by time, never by rows
    assert trained.scored.rows["as_of"].unique().sort().to_list() == trained.split.valid_as_of


def test_the_champion_is_chosen_among_families_judged_out_of_time(
    judged: TrainingResult,
) -> None:
    trained = judged
    selection = trained.selection
    assert selection is not None
    assert [c.family for c in selection.candidates] == ["logistic", "lightgbm"]
    assert selection.judging == "out_of_time"
    assert selection.refit
    champion = selection.champion
    assert trained.model.family == champion.family
    assert trained.metrics["model"] == champion.metrics
    assert trained.gate == champion.gate
    # the judged months are the run's held-out months; nothing the candidates were fitted on
    # has a label window reaching into them (a buffer of one label horizon)
    assert selection.judged_as_of == trained.split.valid_as_of
    horizon = trained.config.horizon_months
    assert all(
        months_after(d, horizon) <= selection.judged_as_of[0] for d in selection.fitted_as_of
    )
    # the registered model is the refit on the run's own split, up to the cut-off
    assert trained.model.trained_until_ == JUDGED_UNTIL
    # both the candidates and the refit keep their training labels out of the months they
    # stop early and calibrate on (the buffer inside the split)
    assert trained.config.inner_buffer
    valid_from = dt.date.fromisoformat(trained.model.metadata_["valid_as_of"][0])
    assert all(
        months_after(dt.date.fromisoformat(d), horizon) <= valid_from
        for d in trained.model.metadata_["train_as_of"]
    )
    assert trained.model.metadata_["valid_as_of"] == [
        d.isoformat() for d in trained.split.valid_as_of
    ]
    # the choice follows its rule: no passing candidate, so among all; the champion is the
    # simplest within one standard error of the best
    best = max(c.metrics["precision_at_5pct_district_expected"] for c in selection.candidates)
    assert champion.metrics["precision_at_5pct_district_expected"] >= (
        best - selection.choice.tolerance
    )
    # the standard error is the paired one, over the same rows the metric is computed on
    weights = inclusion_weights(
        trained.scored.ranking["model"], pct=5.0, groups=trained.scored.rows["list_key"].to_numpy()
    )
    labels = trained.scored.rows["label"].to_numpy()
    assert (weights * labels).sum() / weights.sum() == pytest.approx(
        champion.metrics["precision_at_5pct_district_expected"]
    )
    others = [c.family for c in selection.candidates if c.family != champion.family]
    rows = trained.scored.rows
    paired = pairwise_standard_errors(
        labels,
        {
            champion.family: weights,
            others[0]: inclusion_weights(
                trained.scored.ranking[f"candidate_{others[0]}"], pct=5.0,
                groups=rows["list_key"].to_numpy(),
            ),
        },
        clusters=rows["family_id"].to_numpy(),
        seed=trained.config.params.seed,
    )  # fmt: skip
    assert selection.choice.tolerance == pytest.approx(next(iter(paired.values())))
    payload = selection.to_dict()
    assert payload["champion"] == champion.family
    assert {c["family"] for c in payload["candidates"]} == {"logistic", "lightgbm"}


def test_judged_on_the_held_out_months_the_candidate_is_not_refitted(
    small_population: Population,
) -> None:
    result = train(
        small_population.events, config=_config(judging="held_out", candidates=("lightgbm",))
    )
    assert result.selection is not None
    assert not result.selection.refit
    assert result.model.family == "lightgbm"
    assert result.selection.fitted_as_of == [*result.split.train_as_of, *result.split.valid_as_of]
    assert set(result.metrics) == {"model", *BASELINES}


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        (("svm",), "family: expected one of logistic, ebm, lightgbm, got 'svm'"),
        (("lightgbm", "lightgbm"), "candidates: expected one or more distinct families"),
        ((), "candidates: expected one or more distinct families .* got none"),
    ],
)
def test_bad_candidates_are_named(
    small_population: Population, candidates: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        train(small_population.events, config=_config(candidates=candidates))


def test_protected_attributes_never_reach_the_model(trained: TrainingResult) -> None:
    assert not set(trained.model.feature_names_) & {*PROTECTED_ATTRIBUTES, "district", "region"}


def test_without_fairness_verdict_the_gate_fails(trained: TrainingResult) -> None:
    assert not trained.gate.passed
    assert GateFailure("no_fairness_verdict") in trained.gate.failures


def test_fairness_hook_runs_and_feeds_the_gate(small_population: Population) -> None:
    result = train(
        small_population.events,
        config=_config(fairness=True, fairness_boot=20, max_train_months=2),
    )
    assert result.fairness_report is not None
    assert result.fairness_metrics
    assert not any(f.rule == "no_fairness_verdict" for f in result.gate.failures)
    assert result.fairness_summary[0] in {"gate passed", "gate failed"}
    verdict = result.fairness_verdict
    assert verdict is not None
    # the fairness gate's failures reach the model gate as they are, one failure each
    fairness = [f.fairness for f in result.gate.failures if f.rule == "fairness"]
    assert fairness == (list(verdict.failures) or ([None] if not verdict.passed else []))
    assert result.fairness_summary[1:] == [
        f.describe() for f in (*verdict.failures, *verdict.warnings[:10])
    ]
    # one row per family: the audit uses the last held-out month only, so rows are not
    # repeated across monthly lists (repeated rows would make the intervals too narrow)
    last = result.scored.rows.filter(pl.col("as_of") == result.split.valid_as_of[-1])
    settings = result.fairness_report.settings
    assert settings.n_rows == last.height == last["family_id"].n_unique()
    assert settings.n_rows < result.scored.rows.height
    assert settings.n_labelled == int(last["label"].sum())


def test_dropping_an_agency_empties_its_features(small_population: Population) -> None:
    events = drop_agency(small_population.events, "police")
    assert events.police_signals.height == 0
    with pytest.raises(ValueError, match="agency"):
        drop_agency(small_population.events, "court")


def test_evaluate_later_date_reports_oracle_share(
    small_population: Population, trained: TrainingResult
) -> None:
    as_of = dt.date(2025, 1, 1)
    result = evaluate(
        small_population.events, model=trained.model, as_of=as_of, truth=small_population.truth
    )
    assert result.n == small_population.events.families.height
    assert set(result.metrics) == {"model", *BASELINES, "oracle"}
    assert not result.leakage_suspected
    share = result.comparison["oracle_lift_share_at_5pct"]
    assert share < 1.0
    payload = result.to_json()
    assert payload["as_of"] == "2025-01-01"
    assert "precision_at_1pct_district" in payload["metrics"]["model"]
    with pytest.raises(ValueError, match="after the data ends"):
        evaluate(small_population.events, model=trained.model, as_of=dt.date(2025, 9, 1))


def test_grid_on_district_partitions_in_float32_equals_the_grid(
    small_population: Population,
) -> None:
    from features.pipeline.grid import KEY_COLUMNS, build_grid

    dates = [dt.date(2024, 3, 1), dt.date(2024, 6, 1)]
    whole = build_grid(small_population.events, as_of_dates=dates, known_before=UNTIL)
    lean = build_grid(
        small_population.events, as_of_dates=dates, known_before=UNTIL, parts=3, float32=True
    )
    features = [c for c in whole.columns if c not in KEY_COLUMNS]
    assert all(lean.schema[c] == pl.Float32 for c in features)
    # same rows in the same order, every value exact in float32 (counts, days, small scores)
    assert lean.equals(whole.with_columns(pl.col(features).cast(pl.Float32)))
    with pytest.raises(ValueError, match="parts: expected a whole number >= 1, got 0"):
        build_grid(small_population.events, as_of_dates=dates, parts=0)


def test_training_shares_one_float32_matrix(small_population: Population) -> None:
    from experiments.training import training_matrices
    from features.pipeline.grid import build_grid

    split_dates = [dt.date(2024, 3, 1), dt.date(2024, 6, 1), dt.date(2024, 9, 1)]
    grid = build_grid(small_population.events, as_of_dates=split_dates, float32=True)
    data = training_matrices(grid, valid_as_of=[dt.date(2024, 6, 1)])
    # held-out rows are moved after the training rows; labels follow their rows
    assert data.x.dtype == np.float32
    assert data.x.flags["C_CONTIGUOUS"]
    assert data.valid_rows["as_of"].unique().to_list() == [dt.date(2024, 6, 1)]
    assert data.n_train == grid.height - data.valid_rows.height
    valid_grid = grid.filter(pl.col("as_of") == dt.date(2024, 6, 1))
    np.testing.assert_array_equal(data.y_valid, valid_grid["label"].to_numpy())
    np.testing.assert_array_equal(
        data.x_valid, valid_grid.select(data.feature_names).to_numpy().astype(np.float32)
    )
    assert data.x_train.base is data.x  # views, not copies
    rest = data.without_training_rows()
    assert rest.x_train.shape[0] == 0
    assert np.array_equal(rest.x_valid, data.x_valid, equal_nan=True)


def test_too_little_history_to_judge_out_of_time_says_what_to_do(
    small_population: Population,
) -> None:
    # enough history for the run's own split, not for the candidates' split one judged
    # period earlier
    with pytest.raises(ValueError, match=r"judged out of time.*--judging held-out"):
        train(
            small_population.events,
            config=_config(until=dt.date(2025, 1, 1), judging="out_of_time"),
        )
    held_out = train(small_population.events, config=_config(until=dt.date(2025, 1, 1)))
    assert held_out.selection is not None
    assert held_out.selection.judging == "held_out"


def test_recalibration_within_groups_is_off_by_default(trained: TrainingResult) -> None:
    assert trained.config.recalibrate_within is None
    assert trained.model.recalibration_ is None


@pytest.fixture(scope="module")
def recalibrated(small_population: Population) -> TrainingResult:
    config = _config(recalibrate_within="income_group")
    return train(small_population.events, config=config, truth=small_population.truth)


def test_recalibration_within_groups_is_what_the_gate_judges(
    small_population: Population, trained: TrainingResult, recalibrated: TrainingResult
) -> None:
    result = recalibrated
    recalibration = result.model.recalibration_
    assert recalibration is not None
    assert recalibration.attribute == "income_group"
    assert set(recalibration.groups) == set(small_population.events.families["income_group"])
    assert all(fit.fitted for fit in recalibration.groups.values())
    # the same learner and calibrator as the run without it (same data, same seed); the judged
    # probabilities are its probabilities shifted by each family's group, and the list ranks
    # by them
    family = result.model.family
    name = "model" if trained.model.family == family else f"candidate_{family}"
    plain, plain_raw = trained.scored.probability[name], trained.scored.ranking[name]
    groups = result.model.groups_of(
        result.scored.rows["family_id"].to_list(), small_population.events.families
    )
    expected = recalibration.apply(plain, groups)
    np.testing.assert_allclose(result.scored.probability["model"], expected, rtol=1e-12)
    # ranked as the lists rank: the shifted probability, ties by the learner's raw score
    np.testing.assert_array_equal(result.scored.ranking["model"], order_key(expected, plain_raw))
    assert result.config.as_params()["recalibrate_within"] == "income_group"


def test_a_recalibrated_model_is_evaluated_with_the_families(
    small_population: Population, recalibrated: TrainingResult
) -> None:
    """`patronage evaluate` scores without a shared matrix: the families reach the model."""
    result = evaluate(small_population.events, model=recalibrated.model, as_of=dt.date(2025, 1, 1))
    assert result.n == small_population.events.families.height
    assert 0.5 < result.metrics["model"]["auc"] < 1.0


def test_recalibration_within_a_feature_or_geography_is_refused(
    small_population: Population,
) -> None:
    with pytest.raises(ValueError, match="recalibrate_within: expected one of ethnicity"):
        train(small_population.events, config=_config(recalibrate_within="district"))


def test_an_ebm_candidate_is_trained_stopped_on_the_held_out_months_and_explained(
    small_population: Population,
) -> None:
    from model.ebm import EbmParams

    params = EbmParams(outer_bags=2, interactions=2, max_rounds=300)
    result = train(small_population.events, config=_config(candidates=("ebm",), ebm=params))
    assert result.model.family == "ebm"
    sample = result.explanation_sample
    total = sample.base_value + sample.contributions.sum(axis=1)
    np.testing.assert_allclose(total, sample.raw_score, atol=1e-6)
    assert result.metrics["model"]["auc"] > 0.6
