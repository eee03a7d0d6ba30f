"""The service's CLI commands: exit codes, messages on stderr, import and lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiments.cli import app
from service.settings import get_settings
from tests.service.conftest import IIN_KEY, TOKEN_KEY


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PATRONAGE_HOME", str(tmp_path))
    monkeypatch.setenv("PATRONAGE_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("PATRONAGE_IIN_HASH_KEY", IIN_KEY)
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
    lists = runner.invoke(app, ["lists", "--month", "2025-06"])
    assert lists.exit_code == 2
    assert "no champion" in lists.stderr


def test_import_of_a_missing_directory_fails_cleanly(env: Path) -> None:
    result = CliRunner().invoke(app, ["import", "--data", str(env / "nope")])
    assert result.exit_code == 2
    assert "error" in result.stderr
