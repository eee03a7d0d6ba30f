"""`patronage simulate`: writes every table, refuses bad arguments with exit code 2."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from experiments.cli import app
from features.contracts import TABLES

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["simulate", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_simulate_writes_every_table(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    code, text = _run(
        "--families", "150", "--months", "8", "--start", "2024-02", "--seed", "4",
        "--out", str(out), "--police-multiplier-by-group", '{"language": {"ru": 1.5}}',
    )  # fmt: skip
    assert code == 0, text
    for name, schema in TABLES.items():
        assert pl.read_parquet(out / f"{name}.parquet").schema == pl.Schema(schema)
    config = (out / "config.json").read_text()
    assert '"seed": 4' in config
    assert '"ru": 1.5' in config


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--families", "0"], "--families"),
        (["--months", "3"], "--months"),
        (["--start", "2024-13"], "--start"),
        (["--start", "January"], "YYYY-MM"),
        (["--police-multiplier-by-group", "{not json"], "expected JSON"),
        (["--police-multiplier-by-group", '{"religion": {"a": 2}}'], "religion"),
        (["--police-multiplier-by-district", '{"Nowhere": 2}'], "Nowhere"),
        (["--survey-coverage", '{"urban": 2, "rural": 0.5}'], "--survey-coverage"),
    ],
)
def test_bad_arguments_exit_2_without_output(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    out = tmp_path / "sim"
    code, text = _run("--families", "20", "--months", "7", "--out", str(out), *args)
    assert code == 2
    assert fragment in text
    assert list(tmp_path.iterdir()) == []


def test_unwritable_or_busy_out_exits_2(tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("keep")
    code, text = _run("--families", "20", "--months", "7", "--out", str(busy))
    assert code == 2
    assert "not empty" in text
    assert [p.name for p in busy.iterdir()] == ["x"]
    code, text = _run("--families", "20", "--months", "7", "--out", str(tmp_path / "a" / "b"))
    assert code == 2
    assert "parent directory does not exist" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]
