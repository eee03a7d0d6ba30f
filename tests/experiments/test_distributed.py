"""The pipeline on a local Dask cluster of 2 workers (`experiments.distributed`).

One cluster for the module (starting one takes a few seconds); the tests share it, and the
xdist group keeps two clusters from running at once on the test machine.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import replace

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from experiments.distributed import (
    Cluster,
    ClusterError,
    DaskSpec,
    best_round,
    connect,
    import_check,
    parse_spec,
)
from experiments.training import TrainingConfig, train
from features.pipeline import build_features
from features.pipeline.grid import build_grid
from features.simulator import Population
from model.risk_model import FeatureMismatchError, RiskModel
from model.training import BoosterParams

pytestmark = pytest.mark.xdist_group("dask")

UNTIL = dt.date(2025, 1, 1)
FAST = BoosterParams(num_boost_round=80, early_stopping_rounds=15, min_data_in_leaf=50)
CONFIG = TrainingConfig(
    until=UNTIL, params=FAST, max_train_months=4, fairness=False, baselines=False,
    candidates=("lightgbm",), judging="held_out",
)  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with connect("local:2") as c:
        yield c


def test_parse_spec() -> None:
    assert parse_spec("local") == DaskSpec(address=None, workers=2)
    assert parse_spec("local:3") == DaskSpec(address=None, workers=3)
    assert parse_spec("10.0.0.5:8786") == DaskSpec(address="tcp://10.0.0.5:8786")
    for bad in ("local:0", "local:x", "", "a b"):
        with pytest.raises(ClusterError, match="--dask: expected local"):
            parse_spec(bad)


def test_unreachable_scheduler_fails_fast_naming_the_address() -> None:
    start = time.perf_counter()
    with (
        pytest.raises(ClusterError, match=r"--dask tcp://127\.0\.0\.1:9: cannot reach") as err,
        connect("tcp://127.0.0.1:9", timeout=2),
    ):
        pass  # pragma: no cover (never reached)
    assert time.perf_counter() - start < 8
    assert "within 2 s" in str(err.value)


def test_import_check_names_missing_modules() -> None:
    assert import_check(["features", "no_such_module_xyz"]) == ["no_such_module_xyz"]


def test_missing_package_on_the_workers_is_reported(cluster: Cluster) -> None:
    cluster.check_packages()  # the real check passes on this cluster
    with pytest.raises(ClusterError, match="2 of 2 workers cannot import no_such_module_xyz"):
        cluster.check_packages(["features", "no_such_module_xyz"])


def test_lost_worker_becomes_a_cluster_error(cluster: Cluster) -> None:
    from distributed.comm.core import CommClosedError

    with (
        pytest.raises(ClusterError, match=r"failed while training the booster.*nothing was regis"),
        cluster._guard("training the booster"),
    ):
        raise CommClosedError("in <TCP (closed)>: Stream is closed")


def test_grid_and_features_on_the_workers_equal_one_machine(
    small_population: Population, cluster: Cluster
) -> None:
    events = small_population.events
    dates = [dt.date(2024, 6, 1), dt.date(2024, 7, 1)]
    expected = build_grid(events, as_of_dates=dates, horizon_months=6, known_before=UNTIL)
    got = cluster.grid(events, as_of_dates=dates, horizon_months=6, known_before=UNTIL)
    assert got.equals(expected)
    as_of = dt.date(2024, 9, 1)
    assert cluster.features(events, as_of=as_of).equals(build_features(events, as_of=as_of))


def test_best_round_matches_lightgbm_early_stopping() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 5))
    y = (x[:, 0] + rng.normal(scale=2.0, size=1000) > 1).astype(float)
    xv = rng.normal(size=(500, 5))
    yv = (xv[:, 0] + rng.normal(scale=2.0, size=500) > 1).astype(float)
    params = {"objective": "binary", "metric": "auc", "verbosity": -1, "num_leaves": 31,
              "min_data_in_leaf": 5, "learning_rate": 0.3, "num_threads": 1}  # fmt: skip
    train_set = lgb.Dataset(x, label=y)
    stopped = lgb.train(
        params, train_set, num_boost_round=150,
        valid_sets=[lgb.Dataset(xv, label=yv, reference=train_set)],
        callbacks=[lgb.early_stopping(10, verbose=False)],
    )  # fmt: skip
    full = lgb.train(params, lgb.Dataset(x, label=y), num_boost_round=150)
    assert stopped.best_iteration < 140  # the rule fired: the comparison is meaningful
    assert best_round(full, xv, yv, patience=10) == stopped.best_iteration


def test_judged_out_of_time_both_stages_train_on_the_cluster(
    small_population: Population, cluster: Cluster
) -> None:
    config = replace(CONFIG, until=dt.date(2025, 7, 1), judging="out_of_time")
    result = train(small_population.events, config=config, cluster=cluster)
    assert result.selection is not None
    assert result.selection.refit
    # the candidate judged and the refit registered were both boosted on the cluster
    assert result.model.metadata_["dask"]["workers"] == 2
    assert result.model.metadata_["valid_as_of"][-1] == result.split.valid_as_of[-1].isoformat()
    assert max(result.selection.fitted_as_of) < result.selection.judged_as_of[0]


def test_train_on_the_cluster_gives_an_ordinary_risk_model(
    small_population: Population, cluster: Cluster, tmp_path: object
) -> None:
    events = small_population.events
    result = train(events, config=CONFIG, cluster=cluster)
    single = train(events, config=CONFIG)
    model = result.model
    assert isinstance(model.booster_, lgb.Booster)
    dask_meta = model.metadata_["dask"]
    assert dask_meta["workers"] == 2
    assert model.best_iteration_ == dask_meta["best_round"] <= dask_meta["rounds_trained"]
    assert (result.n_train, result.n_valid) == (single.n_train, single.n_valid)
    # the same calibration code on the same held-out rows: probabilities rank like raw scores
    y_valid = result.scored.rows["label"].to_numpy()
    raw = result.scored.ranking["model"]
    assert roc_auc_score(y_valid, raw) == pytest.approx(result.metrics["model"]["auc"])
    # small population (3,000 families): distributed binning and bagging move the AUC a little;
    # the 20,000-family agreement and the single machine's own spread over bagging seeds are
    # measured in docs/scale.md
    assert abs(result.metrics["model"]["auc"] - single.metrics["model"]["auc"]) < 0.03
    # saving and loading need nothing of Dask
    path = tmp_path / "m"  # type: ignore[operator]
    model.save(path)
    loaded = RiskModel.load(path)
    frame = build_features(events, as_of=UNTIL)
    assert np.allclose(loaded.score(frame).probability, model.score(frame).probability)


def test_the_workers_get_the_float32_matrix_and_train_what_float64_would(
    cluster: Cluster,
) -> None:
    # train() hands the cluster its float32 matrices as they are (no float64 copy); float32
    # values widen to float64 exactly, so the bins and the trees must be the same
    rng = np.random.default_rng(1)
    x = rng.poisson(1.5, size=(3000, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] + rng.normal(scale=1.5, size=3000) > 3.5).astype(float)
    names = ["a", "b", "c", "d"]
    params = replace(FAST, num_boost_round=30, early_stopping_rounds=10, min_data_in_leaf=20)

    def fit(matrix: np.ndarray) -> RiskModel:
        return cluster.fit_matrix(
            RiskModel(params=params), matrix[:2000], y[:2000],
            x_valid=matrix[2000:], y_valid=y[2000:], feature_names=names,
            trained_until=UNTIL, horizon_months=6, metadata={},
        )  # fmt: skip

    single, wide = fit(x), fit(x.astype(np.float64))
    assert single.metadata_["dask"]["rounds_trained"] >= 30
    assert np.array_equal(single.raw_matrix(x), wide.raw_matrix(x))
    with pytest.raises(FeatureMismatchError, match="held-out matrix: expected 4 feature columns"):
        cluster.fit_matrix(
            RiskModel(params=params), x, y, x_valid=x[:, :3], y_valid=y, feature_names=names,
            trained_until=UNTIL, horizon_months=6, metadata={},
        )  # fmt: skip


def test_a_run_started_again_gives_the_same_booster(
    small_population: Population, cluster: Cluster
) -> None:
    config = replace(CONFIG, params=replace(FAST, num_boost_round=40))
    first = train(small_population.events, config=config, cluster=cluster).model
    again = train(small_population.events, config=config, cluster=cluster).model
    # The model comes back from one of the workers, which records its own rows' counts and
    # feature ranges in the trees' statistics; the splits and leaf values are the same.
    frame = build_features(small_population.events, as_of=UNTIL)
    assert first.best_iteration_ == again.best_iteration_
    assert np.array_equal(first.score(frame).raw_score, again.score(frame).raw_score)
    assert np.array_equal(first.score(frame).probability, again.score(frame).probability)


def test_evaluate_and_the_monthly_lists_on_the_cluster_equal_one_machine(
    small_population: Population, cluster: Cluster
) -> None:
    """`evaluate --dask` and `lists --dask` build their grids and features on the workers;
    every figure, rank and reason is the single machine's."""
    from experiments.evaluation import evaluate
    from service.lists.generate import compute_lists
    from service.model_source import Champion

    events = small_population.events
    config = replace(CONFIG, params=replace(FAST, num_boost_round=40))
    model = train(events, config=config).model
    as_of = dt.date(2025, 3, 1)
    here = evaluate(events, model=model, as_of=as_of)
    there = evaluate(events, model=model, as_of=as_of, grid=cluster.grid)
    assert (there.n, there.base_rate) == (here.n, here.base_rate)
    assert there.metrics == here.metrics  # the baselines too: refitted on the same grid

    champion = Champion(model=model, version="1")
    lists = compute_lists(events, champion, month="2025-03")
    on_workers = compute_lists(events, champion, month="2025-03", build=cluster.features)
    assert [d.district for d in on_workers] == [d.district for d in lists]
    for got, expected in zip(on_workers, lists, strict=True):
        assert got.data_fingerprint == expected.data_fingerprint
        assert got.families == expected.families
