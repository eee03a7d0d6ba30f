"""The service's CLI commands: exit codes, messages on stderr, import and lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from experiments.cli import app
from service.settings import get_settings
from tests.service.checkpoint_key import checkpoint_key_file
from tests.service.conftest import IIN_KEY, TOKEN_KEY


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PATRONAGE_HOME", str(tmp_path))
    monkeypatch.setenv("PATRONAGE_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("PATRONAGE_IIN_HASH_KEY", IIN_KEY)
    monkeypatch.setenv("PATRONAGE_CHECKPOINT_KEY_FILE", str(checkpoint_key_file(tmp_path)))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PATRONAGE_DEMO", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_serve_refuses_missing_secrets(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATRONAGE_TOKEN_KEY")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "PATRONAGE_TOKEN_KEY" in result.stderr
    assert IIN_KEY not in result.stderr


def test_import_then_lists_without_model(env: Path, population_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["import", "--data", str(population_dir)])
    assert result.exit_code == 0, result.stderr
    assert "families: 3,000 imported" in result.stdout
    again = runner.invoke(app, ["import", "--data", str(population_dir)])
    assert "families: 0 imported, 3,000 already stored" in again.stdout
    # Without a champion the lists are the interim ones, ranked by the checklist, and say so.
    lists = runner.invoke(app, ["lists", "--month", "2025-06"])
    assert lists.exit_code == 0, lists.output + lists.stderr
    out = " ".join(lists.stdout.split())
    assert (
        "no champion model yet: the lists are interim, ranked by the transparent checklist" in out
    )
    districts = pl.read_parquet(population_dir / "families.parquet")["district"].unique()
    for district in districts:
        assert f"{district} 2025-06:" in out
    assert out.count("ranked by the checklist, generated") == districts.len()
    again = runner.invoke(app, ["lists", "--month", "2025-06"])
    assert " ".join(again.stdout.split()).count("ranked by the checklist, already stored") == (
        districts.len()
    )


def test_import_of_a_missing_directory_fails_cleanly(env: Path) -> None:
    result = CliRunner().invoke(app, ["import", "--data", str(env / "nope")])
    assert result.exit_code == 2
    assert "error" in result.stderr


def test_import_of_a_file_runs_the_bulk_intake(env: Path, population_dir: Path) -> None:
    """`patronage import FILE --kind K`: the same code as POST /v1/imports, all or nothing."""
    runner = CliRunner()
    assert runner.invoke(app, ["import", "--data", str(population_dir)]).exit_code == 0
    iin = pl.read_parquet(population_dir / "persons.parquet")["iin"][0]
    header = "subject_iin,event_date,kind,forms,valid_until,knowledge_date"
    good = env / "police.csv"
    good.write_text(f"{header}\n{iin},2024-03-02,domestic_call,physical,,2024-03-04\n")
    result = runner.invoke(app, ["import", str(good), "--kind", "police_signal", "--historical"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "1 stored, 0 already stored" in " ".join(result.stdout.split())
    again = runner.invoke(app, ["import", str(good), "--kind", "police_signal", "--historical"])
    assert "0 stored, 1 already stored" in " ".join(again.stdout.split())
    bad = env / "bad.csv"
    bad.write_text(f"{header}\n{iin},2024-03-02,a_kind_of_its_own,,,2024-03-04\n")
    refused = runner.invoke(app, ["import", str(bad), "--kind", "police_signal", "--historical"])
    assert refused.exit_code == 2
    assert "row 2, kind: expected" in " ".join(refused.stdout.split())
    assert iin not in refused.stdout + refused.stderr
    neither = runner.invoke(app, ["import"])
    assert neither.exit_code == 2
    assert "--data" in neither.stderr
