from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import pytest
from mlflow import MlflowClient

from experiments import tracking, tracking_records
from model.gates import GateFailure
from model.recalibration import fit_group_recalibration
from model.risk_model import RiskModel
from model.training import BoosterParams
from service.settings import Settings
from tests.model.synthetic import synthetic_frame


@pytest.fixture(scope="module")
def small_model() -> RiskModel:
    train, y = synthetic_frame(2000, seed=30)
    valid, y_valid = synthetic_frame(1000, seed=31)
    return RiskModel(params=BoosterParams(num_boost_round=30, min_data_in_leaf=30)).fit(
        train, y, valid_features=valid, y_valid=y_valid, trained_until=dt.date(2025, 6, 1)
    )


BELOW_LOGISTIC = GateFailure(
    "below_baseline", metric="auc", value=0.8, baseline="logistic", baseline_value=0.85
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", mlflow_tracking_uri=None)


def _log(
    model: RiskModel, settings: Settings, tmp_path: Path, *, passed: bool
) -> tracking.TrackedRun:
    art = tmp_path / f"art-{passed}"
    art.mkdir(exist_ok=True)
    (art / "model_card.md").write_text("# card\n", "utf-8")
    return tracking.log_training_run(
        model,
        params={"learning_rate": 0.05, "max_depth": 6},
        metrics={
            "model": {"auc": 0.8, "ece": 0.01},
            "checklist": {"auc": 0.7, "ece": float("nan")},
        },
        data_fingerprint="abc123",
        gate_passed=passed,
        gate_failures=[] if passed else [BELOW_LOGISTIC],
        artifact_dir=art,
        settings=settings,
    )


def test_failed_gate_stays_registered_without_champion_then_admin_override(
    small_model: RiskModel, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = _log(small_model, settings, tmp_path, passed=False)
    assert run.version == 1
    assert not run.promoted
    with pytest.raises(tracking.NoChampionError, match="patronage train --data DIR"):
        tracking.load_champion(settings)

    # run contents
    client = MlflowClient(tracking_uri=settings.tracking_uri)
    data = client.get_run(run.run_id).data
    assert data.params["data_fingerprint"] == "abc123"
    assert data.params["trained_until"] == "2025-06-01"
    assert data.metrics["model.auc"] == pytest.approx(0.8)
    assert "checklist.ece" not in data.metrics  # NaN is not logged
    names = {a.path for a in client.list_artifacts(run.run_id)}
    assert {"features.json", "gate.json", "model_card.md", "risk_model"} <= names
    features = mlflow.artifacts.load_dict(f"runs:/{run.run_id}/features.json")
    assert features["features"] == small_model.feature_names_
    assert settings.artifact_root.is_dir()
    assert not (tmp_path / "mlruns").exists()

    # a written reason is required
    with pytest.raises(tracking.PromotionError, match="reason"):
        tracking.promote(1, reason=" ", by="admin", settings=settings)
    with pytest.raises(tracking.PromotionError, match="version"):
        tracking.promote(7, reason="x", by="admin", settings=settings)
    event = tracking.promote(1, reason="council pilot needs a list", by="admin", settings=settings)
    assert event.override
    assert not event.gate_passed
    model, info = tracking.load_champion(settings)
    assert info.version == 1
    assert info.run_id == run.run_id
    assert info.data_fingerprint == "abc123"
    assert info.trained_until == dt.date(2025, 6, 1)
    frame, _ = synthetic_frame(500, seed=32)
    assert np.array_equal(model.score(frame).probability, small_model.score(frame).probability)
    # cached by version: the same object comes back
    assert tracking.load_champion(settings)[0] is model

    # a run that passes its gate moves the alias; the history records both moves
    second = _log(small_model, settings, tmp_path, passed=True)
    assert second.promoted
    assert tracking.load_champion(settings)[1].version == 2
    history = tracking.alias_history(settings)
    assert [(e.version, e.action) for e in history] == [(1, "set"), (1, "replaced"), (2, "set")]
    assert history[0].by == "admin"
    assert history[0].reason == "council pilot needs a list"
    assert history[2].by == "training-run"
    assert not history[2].override
    entries = {a.path for a in client.list_artifacts(run.run_id, "alias_history")}
    assert len(entries) == 2  # set and replaced, recorded in version 1's run
    mv = client.get_model_version(settings.model_name, "1")
    assert any(k.startswith("patronage.alias.champion.") for k in mv.tags)
    assert mv.tags["patronage.gate_passed"] == "false"
    # the failures as facts, in the tag and in gate.json
    assert json.loads(mv.tags["patronage.gate_failures"]) == [BELOW_LOGISTIC.to_dict()]
    assert mlflow.artifacts.load_dict(f"runs:/{run.run_id}/gate.json") == {
        "passed": False,
        "failures": [
            {
                "rule": "below_baseline",
                "metric": "auc",
                "value": 0.8,
                "baseline": "logistic",
                "baseline_value": 0.85,
            }
        ],
    }

    # the pyfunc returns probability, band and contributions
    pyfunc = mlflow.pyfunc.load_model(f"models:/{settings.model_name}/2")
    out = pyfunc.predict(frame.to_pandas())
    assert {"probability", "band", "raw_score", "base_value"} <= set(out.columns)
    contrib = out[[c for c in out.columns if c.startswith("contrib__")]].to_numpy()
    np.testing.assert_allclose(
        out["base_value"].to_numpy() + contrib.sum(axis=1), out["raw_score"].to_numpy(), atol=1e-6
    )

    # model URIs
    by_number, _ = tracking.load_model(f"models:/{settings.model_name}/1", settings)
    assert by_number.feature_names_ == small_model.feature_names_
    with pytest.raises(ValueError, match="models:/NAME"):
        tracking.load_model(f"models:/{settings.model_name}/latest", settings)


def test_long_gate_failures_stay_valid_json() -> None:
    text = tracking_records.json_list([f"failure number {i} " * 20 for i in range(100)], limit=4900)
    assert len(text) <= 4900
    parsed = json.loads(text)
    assert parsed[-1].endswith("more in gate.json")
    failures = [BELOW_LOGISTIC.to_dict()] * 100
    parsed = json.loads(tracking_records.json_list(failures, limit=4900))
    assert parsed[:-1] == failures[: len(parsed) - 1]
    assert parsed[-1] == f"... {100 - len(parsed) + 1} more in gate.json"


def test_the_pyfunc_of_a_recalibrated_model_reads_the_attribute_as_a_column(
    small_model: RiskModel,
) -> None:
    frame, y = synthetic_frame(600, seed=40)
    groups = np.where(np.arange(600) % 2 == 0, "low", "middle")
    model = copy.copy(small_model)
    model.recalibration_ = fit_group_recalibration(
        small_model.score(frame).probability, y, groups.tolist(), attribute="income_group"
    )
    pyfunc = tracking.RiskPyfunc()
    pyfunc.model = model
    with_column = frame.with_columns(income_group=pl.Series(groups))
    out = pyfunc.predict(None, with_column.to_pandas())  # type: ignore[arg-type]
    expected = model.score(frame, families=with_column.select("family_id", "income_group"))
    np.testing.assert_allclose(out["probability"].to_numpy(), expected.probability)
    assert not np.allclose(expected.probability, small_model.score(frame).probability)
    with pytest.raises(ValueError, match="recalibrated within income_group"):
        pyfunc.predict(None, frame.to_pandas())  # type: ignore[arg-type]
