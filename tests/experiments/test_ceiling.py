"""The records ceiling beside the oracle: lift shares, the leakage check, evaluate and train."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from experiments.ceiling import (
    above_ceiling,
    ceiling_frame,
    lift_share,
    lift_shares,
    simulation_config,
)
from experiments.evaluation import evaluate
from experiments.time_split import known_before
from experiments.training import TrainingConfig, TrainingResult, train
from features.simulator import Population
from model.training import BoosterParams

UNTIL = dt.date(2025, 1, 1)
AS_OF = dt.date(2025, 1, 1)
FAST = BoosterParams(num_boost_round=60, early_stopping_rounds=15, min_data_in_leaf=50)


def test_lift_share_is_the_share_of_the_reference_lift() -> None:
    # docs/simulator.md: booster 0.1894, ceiling 0.2000, base rate 0.0263 -> 94%
    assert lift_share(0.1894, 0.2000, 0.0263) == pytest.approx(0.1631 / 0.1737)
    assert lift_share(0.0263, 0.2000, 0.0263) == 0.0
    assert lift_share(0.2100, 0.2000, 0.0263) > 1.0  # above the reference: more than all
    assert np.isnan(lift_share(0.1, 0.02, 0.03))  # a reference without lift has no share


def test_lift_shares_use_the_expected_precision_for_every_ranker() -> None:
    def m(p5: float, p5d: float, worst: float) -> dict[str, float]:
        return {
            "base_rate": 0.05,
            "precision_at_5pct": worst,
            "precision_at_5pct_expected": p5,
            "precision_at_5pct_district_expected": p5d,
        }

    metrics = {
        "model": m(0.20, 0.18, 0.20),
        "police_12m": m(0.15, 0.14, 0.05),  # many ties: the worst ordering is far lower
        "ceiling": m(0.25, 0.22, 0.25),
        "oracle": m(0.45, 0.41, 0.45),
    }
    shares = lift_shares(metrics)
    assert shares["model"] == pytest.approx(
        {
            "oracle_lift_share_at_5pct": 0.15 / 0.40,
            "oracle_lift_share_at_5pct_district": 0.13 / 0.36,
            "ceiling_lift_share_at_5pct": 0.15 / 0.20,
            "ceiling_lift_share_at_5pct_district": 0.13 / 0.17,
        }
    )
    assert shares["police_12m"]["ceiling_lift_share_at_5pct"] == pytest.approx(0.10 / 0.20)
    assert set(shares["oracle"]) == {
        "ceiling_lift_share_at_5pct",
        "ceiling_lift_share_at_5pct_district",
    }
    assert lift_shares({"model": metrics["model"]}) == {}  # real data: no reference, no share


def _null_world(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    ceiling = rng.beta(0.5, 12.0, n)  # mean ~4%, a long right tail like the simulator's
    y = (rng.random(n) < ceiling).astype(int)
    return ceiling, y, rng


def test_a_records_based_ranker_does_not_raise_the_alarm() -> None:
    for seed in range(5):
        ceiling, y, rng = _null_world(20_000, seed)
        noisy = ceiling * np.exp(rng.normal(0, 0.3, len(y)))  # a worse view of the same records
        for name, score in (("noisy", noisy), ("itself", ceiling)):
            check = above_ceiling(name, y, score, ceiling, seed=seed)
            assert not check.alarm, check
        assert above_ceiling("noisy", y, noisy, ceiling).auc_excess < 0.01


def test_the_null_z_is_calibrated() -> None:
    # a ranker equal to the ceiling up to tiny noise: z is roughly standard normal over worlds
    zs = []
    for seed in range(40):
        ceiling, y, rng = _null_world(4000, 100 + seed)
        score = ceiling + rng.normal(0, 1e-4, len(y))
        zs.append(above_ceiling("r", y, score, ceiling, n_draws=200, seed=seed).auc_z)
    assert abs(float(np.mean(zs))) < 0.6
    assert 0.5 < float(np.std(zs)) < 1.6


def test_a_ranker_that_saw_the_labels_raises_the_alarm() -> None:
    ceiling, y, rng = _null_world(20_000, 9)
    leaky = ceiling + 0.05 * y * rng.random(len(y))  # the future nudges some positives up
    check = above_ceiling("leaky", y, leaky, ceiling)
    assert check.alarm
    assert check.auc_excess > 0
    assert check.auc_z > 3
    assert "leakage" in check.describe()


def test_clusters_couple_the_rows_of_one_family() -> None:
    # the same families at three months: coupling widens the null, so the z shrinks
    ceiling, y, rng = _null_world(5000, 3)
    c3, y3 = np.tile(ceiling, 3), np.tile(y, 3)
    leaky = c3 + 0.02 * y3 * np.tile(rng.random(len(y)), 3)
    family = np.tile(np.arange(len(y)), 3)
    rows = above_ceiling("r", y3, leaky, c3, seed=1)
    families = above_ceiling("r", y3, leaky, c3, clusters=family, seed=1)
    assert families.auc_z < rows.auc_z
    assert families.precision_excess == rows.precision_excess  # exact: no draw involved


def test_bad_input_names_the_fields() -> None:
    with pytest.raises(ValueError, match="y, score, ceiling"):
        above_ceiling("r", [0, 1], [0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        above_ceiling("r", [0, 1], [0.1, np.nan], [0.1, 0.2])


def test_simulation_config_only_for_a_simulator_directory(
    population_dir: Path, tmp_path: Path
) -> None:
    config = simulation_config(population_dir)
    assert config is not None
    assert config.families == 3000
    assert simulation_config(None) is None  # the database: no ceiling
    (tmp_path / "config.json").write_text((population_dir / "config.json").read_text())
    assert simulation_config(tmp_path) is None  # no truth.parquet: not a simulator directory
    (tmp_path / "truth.parquet").write_bytes(b"")
    (tmp_path / "config.json").write_text('{"families": "many"}')
    with pytest.raises(ValueError, match=r"config\.json"):
        simulation_config(tmp_path)


class _OracleRanker:
    """A 'baseline' that reads the simulator's hidden truth: a real leak to catch."""

    def __init__(self, truth: pl.DataFrame, as_of: dt.date) -> None:
        self.p = truth.filter(pl.col("month") == as_of).select("family_id", "p_incident_6m")

    def score(self, grid: pl.DataFrame) -> np.ndarray:
        joined = grid.select("family_id").join(
            self.p, on="family_id", how="left", maintain_order="left"
        )
        return joined["p_incident_6m"].to_numpy()


@pytest.fixture(scope="module")
def trained(small_population: Population) -> TrainingResult:
    config = TrainingConfig(
        until=UNTIL, params=FAST, max_train_months=2, fairness=False, judging="held_out"
    )
    return train(
        small_population.events,
        config=config,
        truth=small_population.truth,
        simulation=small_population.config,
    )


def test_training_reports_the_ceiling_beside_the_oracle(trained: TrainingResult) -> None:
    metrics = trained.metrics
    assert {"oracle", "ceiling"} <= set(metrics)
    ceiling, oracle, model = metrics["ceiling"], metrics["oracle"], metrics["model"]
    assert 0.5 < ceiling["auc"] < oracle["auc"]  # the records know less than the hidden state
    assert model["ceiling_lift_share_at_5pct"] == pytest.approx(
        lift_share(
            model["precision_at_5pct_expected"],
            ceiling["precision_at_5pct_expected"],
            model["base_rate"],
        )
    )
    # the check is logged with the model's metrics (MLflow), and does not gate
    assert model["above_ceiling_alarm"] == 0.0
    assert np.isfinite(model["above_ceiling_auc_z"])
    assert not trained.leakage_suspected
    assert "ceiling" not in {f.baseline for f in trained.gate.failures}
    assert trained.timings["ceiling_s"] > 0


def test_evaluate_reports_the_ceiling_and_catches_a_leaking_ranker(
    small_population: Population, trained: TrainingResult
) -> None:
    pop = small_population
    result = evaluate(
        pop.events,
        model=trained.model,
        as_of=AS_OF,
        truth=pop.truth,
        baselines={"leaky": _OracleRanker(pop.truth, AS_OF)},
        simulation=pop.config,
    )
    assert {"model", "leaky", "oracle", "ceiling"} == set(result.metrics)
    expected = ceiling_frame(pop.events, pop.config, as_of_dates=[AS_OF], horizon_months=6)
    assert result.metrics["ceiling"]["n"] == expected.height
    share = result.comparison["ceiling_lift_share_at_5pct"]
    assert share == result.comparison["lift_shares"]["model"]["ceiling_lift_share_at_5pct"]
    assert 0 < share < 1.5
    checks = {c.ranker: c for c in result.ceiling_checks}
    assert set(checks) == {"model", "leaky"}
    assert not checks["model"].alarm
    assert checks["leaky"].alarm  # the hidden state is above what any record allows
    assert result.leakage_suspected
    assert any(r.startswith("leaky is above the records ceiling") for r in result.leakage_reasons)
    payload = json.loads(json.dumps(result.to_json()))
    assert payload["ceiling_checks"][1]["alarm"] is True
    # without the simulation's configuration (real data) there is no ceiling and no check
    plain = evaluate(pop.events, model=trained.model, as_of=AS_OF, baselines={})
    assert "ceiling" not in plain.metrics
    assert plain.ceiling_checks == []
    assert "lift_shares" not in plain.comparison


def test_records_the_model_never_saw_do_not_move_the_ceiling(
    small_population: Population,
) -> None:
    """Training computes the ceiling from the records known before its cut-off only; the
    filter reads nothing later, so the figures are the same either way."""
    pop = small_population
    full = ceiling_frame(
        pop.events, pop.config, as_of_dates=[dt.date(2024, 6, 1)], horizon_months=6
    )
    cut = ceiling_frame(
        known_before(pop.events, dt.date(2024, 6, 1)),
        pop.config,
        as_of_dates=[dt.date(2024, 6, 1)],
        horizon_months=6,
    )
    np.testing.assert_allclose(full["p"].to_numpy(), cut["p"].to_numpy(), rtol=1e-9)
