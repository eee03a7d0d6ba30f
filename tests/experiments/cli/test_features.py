"""`patronage features` and `patronage labels` on a small Parquet directory."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from experiments.cli import app
from features.loaders import load_events
from features.pipeline import build_features
from features.registry import FEATURES
from tests.features.pipeline.builders import D, EventsBuilder


def data_dir(tmp_path: Path) -> Path:
    b = EventsBuilder().family("F1").family("F2")
    b.police("F1", "domestic_call", D(2024, 1, 5))
    b.outcome("F2", D(2024, 4, 1))
    events = b.build()
    directory = tmp_path / "data"
    directory.mkdir()
    for f in fields(events):
        getattr(events, f.name).write_parquet(directory / f"{f.name}.parquet")
    return directory


def test_features_command_writes_the_built_frame(tmp_path: Path) -> None:
    data = data_dir(tmp_path)
    out = tmp_path / "out" / "features.parquet"
    result = CliRunner().invoke(
        app, ["features", "--data", str(data), "--as-of", "2024-03-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    assert frame.columns == ["family_id", *FEATURES]
    assert frame.equals(build_features(load_events(data), as_of=D(2024, 3, 1)))


def test_labels_command(tmp_path: Path) -> None:
    data = data_dir(tmp_path)
    out = tmp_path / "labels.parquet"
    result = CliRunner().invoke(
        app, ["labels", "--data", str(data), "--as-of", "2024-03-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert dict(pl.read_parquet(out).iter_rows()) == {"F1": 0, "F2": 1}


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    data = data_dir(tmp_path)
    out = tmp_path / "features.parquet"
    bad = CliRunner().invoke(
        app, ["features", "--data", str(data), "--as-of", "2024-13-01", "--out", str(out)]
    )
    assert bad.exit_code == 2
    assert "--as-of" in bad.output
    pl.read_parquet(data / "outcomes.parquet").drop("kind").write_parquet(data / "outcomes.parquet")
    broken = CliRunner().invoke(
        app, ["features", "--data", str(data), "--as-of", "2024-03-01", "--out", str(out)]
    )
    assert broken.exit_code == 2
    assert "outcomes.kind" in broken.output
    assert not out.exists()
    assert list(tmp_path.glob("*.tmp")) == []
