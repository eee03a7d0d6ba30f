"""`patronage score --out x.csv` writes text a spreadsheet cannot run (OWASP CSV injection)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from experiments.cli import app
from features.loaders import load_events
from features.pipeline import build_features
from model.risk_model import RiskModel
from model.training import BoosterParams

FORMULA = '=HYPERLINK("http://x","y")'
AS_OF = dt.date(2025, 1, 1)


def test_score_csv_neutralises_a_district_that_is_a_formula(
    population_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "sim"
    shutil.copytree(population_dir, data)
    families = pl.read_parquet(data / "families.parquet")
    first = families["district"][0]
    families.with_columns(
        pl.when(pl.col("district") == first)
        .then(pl.lit(FORMULA))
        .otherwise(pl.col("district"))
        .alias("district")
    ).write_parquet(data / "families.parquet")
    # A tiny model on the population's own features (the CSV's text is the subject, not skill).
    features = build_features(load_events(data), as_of=AS_OF)
    rng = np.random.default_rng(3)
    y = (rng.random(features.height) < 0.3).astype(float)
    half = features.height // 2
    model = RiskModel(params=BoosterParams(num_boost_round=5, min_data_in_leaf=5)).fit(
        features[:half], y[:half], valid_features=features[half:], y_valid=y[half:],
        trained_until=dt.date(2024, 6, 1),
    )  # fmt: skip
    model.save(tmp_path / "model")
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        app,
        ["score", "--data", str(data), "--as-of", AS_OF.isoformat(), "--out", str(out),
         "--model", str(tmp_path / "model")],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "'" + FORMULA.replace('"', '""') in out.read_text()
    scores = pl.read_csv(out, schema_overrides={"family_id": pl.String, "district": pl.String})
    for column in ("family_id", "district", "band"):
        assert not scores[column].str.contains(r"^[=+\-@\t\r]").any(), column
    assert (scores["district"] == "'" + FORMULA).sum() == (families["district"] == first).sum()
    assert (scores["raw_score"] < 0).any()  # numbers stay numbers: a negative log-odds is -0.x
