"""`patronage backtest` and the `--dask` option of the model commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from experiments.cli import app
from features.pipeline.grid import build_grid
from features.simulator import Population
from model.risk_model import RiskModel
from model.training import BoosterParams

UNTIL = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def model_dir(small_population: Population, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quickly trained model saved as a directory (no registry needed)."""
    events = small_population.events
    dates = [dt.date(2024, m, 1) for m in (3, 4, 5)]
    grid = build_grid(events, as_of_dates=[*dates, dt.date(2024, 6, 1)], known_before=UNTIL)
    valid = grid["as_of"] == dt.date(2024, 6, 1)
    train_rows, valid_rows = grid.filter(~valid), grid.filter(valid)
    model = RiskModel(params=BoosterParams(num_boost_round=30, min_data_in_leaf=50)).fit(
        train_rows.drop("as_of", "label"),
        train_rows["label"].to_numpy(),
        valid_features=valid_rows.drop("as_of", "label"),
        y_valid=valid_rows["label"].to_numpy(),
        trained_until=UNTIL,
    )
    path = tmp_path_factory.mktemp("model") / "m"
    model.save(path)
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_backtest_writes_one_row_per_month(
    home: Path, population_dir: Path, model_dir: Path
) -> None:
    out = home / "backtest.csv"
    code, stdout, err = _run(
        "backtest", "--data", str(population_dir), "--model", str(model_dir),
        "--from", "2024-10", "--to", "2025-03", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    frame = pl.read_csv(out)
    assert frame["month"].to_list() == [
        "2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03",
    ]  # fmt: skip
    assert (frame["families"] == 3000).all()
    assert frame["auc"].is_between(0.5, 1.0).all()
    # the training cut-off is 2025-01-01: the earlier months were seen in training
    assert frame["in_training"].to_list() == [True, True, True, False, False, False]
    assert "backtest of" in stdout
    assert "2024-10" in stdout

    as_json = home / "backtest.json"
    code, _, err = _run(
        "backtest", "--data", str(population_dir), "--model", str(model_dir),
        "--from", "2025-01", "--to", "2025-01", "--out", str(as_json),
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(as_json.read_text())
    assert [m["month"] for m in payload["months"]] == ["2025-01"]
    assert payload["months"][0]["auc"] == pytest.approx(frame["auc"][3])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2025-03", "--to", "2025-01"), "--to: expected a month on or after"),
        (("--from", "2025-13", "--to", "2025-01"), "--from: expected a month YYYY-MM"),
        (("--from", "2025-01", "--to", "2025-02", "--out", "x.txt"), "--out: expected a file"),
    ],
)
def test_backtest_bad_input(
    home: Path, population_dir: Path, model_dir: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = _run("backtest", "--data", str(population_dir), "--model", str(model_dir), *args)
    assert code == 2
    assert message in err.replace("\n", " ")


def test_unreachable_scheduler_names_the_option(home: Path, population_dir: Path) -> None:
    code, _, err = _run(
        "train", "--data", str(population_dir), "--until", "2025-01-01", "--no-register",
        "--judging", "held-out", "--dask", "tcp://127.0.0.1:9",
    )  # fmt: skip
    assert code == 2
    text = " ".join(err.split())
    assert "--dask tcp://127.0.0.1:9: cannot reach the scheduler" in text
    assert not (home / "mlruns").exists() or not any((home / "mlruns").rglob("meta.yaml"))


def test_bad_dask_value_is_refused(home: Path, population_dir: Path, model_dir: Path) -> None:
    code, _, err = _run(
        "score", "--data", str(population_dir), "--as-of", "2025-01-01", "--model",
        str(model_dir), "--out", str(home / "s.csv"), "--dask", "local:0",
    )  # fmt: skip
    assert code == 2
    assert "--dask: expected local, local:N" in " ".join(err.split())
    assert not (home / "s.csv").exists()


def test_evaluate_and_lists_refuse_a_cluster_they_cannot_use(
    home: Path, population_dir: Path, model_dir: Path
) -> None:
    out = home / "e.json"
    code, _, err = _run(
        "evaluate", "--data", str(population_dir), "--as-of", "2025-01-01", "--model",
        str(model_dir), "--json", str(out), "--dask", "tcp://127.0.0.1:9",
    )  # fmt: skip
    assert code == 2
    assert "--dask tcp://127.0.0.1:9: cannot reach the scheduler" in " ".join(err.split())
    assert not out.exists()
    code, stdout, err = _run("lists", "--month", "2025-01", "--dask", "local:0")
    assert code == 2
    assert "--dask: expected local, local:N" in " ".join(err.split())
    assert "generated" not in stdout
