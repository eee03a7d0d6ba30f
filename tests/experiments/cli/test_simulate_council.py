"""`patronage simulate --council-share`: the simulated council's measures are written beside the
agencies' tables; bad council options exit 2 naming the option."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from experiments.cli import app
from features.contracts import ASSISTANCE_SCHEMA

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["simulate", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_simulate_with_a_council_writes_its_measures(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    code, text = _run(
        "--families", "400", "--months", "18", "--start", "2024-01", "--seed", "2",
        "--council-share", "0.02", "--council-from", "2024-07", "--out", str(out),
    )  # fmt: skip
    assert code == 0, text
    assistance = pl.read_parquet(out / "assistance.parquet")
    assert assistance.schema == pl.Schema(ASSISTANCE_SCHEMA)
    assert assistance.height > 0
    assert "council measures" in text
    assert '"council_share": 0.02' in (out / "config.json").read_text()


def test_without_a_council_the_table_is_empty(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    code, text = _run("--families", "60", "--months", "8", "--out", str(out))
    assert code == 0, text
    assert pl.read_parquet(out / "assistance.parquet").height == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--council-share", "0.5"], "--council-share"),
        (["--council-share", "0.01", "--council-from", "2019-01"], "council_from"),
        (["--council-share", "0.01", "--council-from", "June"], "--council-from"),
    ],
)
def test_bad_council_options_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    out = tmp_path / "sim"
    code, text = _run("--families", "60", "--months", "8", "--out", str(out), *args)
    assert code == 2
    assert fragment in text
    assert not out.exists()
