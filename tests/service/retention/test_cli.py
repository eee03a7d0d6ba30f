"""`patronage retention`: --dry-run reports, --apply destroys; bad settings and a non-admin get a
clear error (exit 2) and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from experiments.cli import app
from service.settings import get_settings
from service.storage import tables as t
from service.storage.db import make_engine, make_sessionmaker
from service.storage.migrate import upgrade
from tests.service.checkpoint_key import checkpoint_key_file
from tests.service.conftest import IIN_KEY, TOKEN_KEY
from tests.service.factory import seed_registry


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PATRONAGE_HOME", str(tmp_path))
    monkeypatch.setenv("PATRONAGE_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("PATRONAGE_IIN_HASH_KEY", IIN_KEY)
    monkeypatch.setenv("PATRONAGE_CHECKPOINT_KEY_FILE", str(checkpoint_key_file(tmp_path)))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PATRONAGE_DEMO", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'patronage.db'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        seed_registry(session, iin_key=IIN_KEY.encode(), families_per_district=3)
    engine.dispose()
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _families(home: Path) -> int:
    engine = make_engine(f"sqlite:///{home / 'patronage.db'}")
    with make_sessionmaker(engine)() as session:
        count = int(session.scalar(select(func.count()).select_from(t.Family)) or 0)
    engine.dispose()
    return count


def test_retention_command(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "--dry-run", "--by", "admin.all"])
    assert dry.exit_code == 0, dry.output + dry.stderr
    out = " ".join(dry.stdout.split())
    assert "past their period (nothing changed)" in out
    assert "families: 0" in out
    applied = runner.invoke(app, ["retention", "--apply", "--by", "admin.all"])
    assert applied.exit_code == 0, applied.stderr
    assert "tombstones written: 0" in " ".join(applied.stdout.split())
    assert _families(env) == 6

    for args in (["--by", "admin.all"], ["--dry-run", "--apply", "--by", "admin.all"]):
        both = runner.invoke(app, ["retention", *args])
        assert both.exit_code == 2
        assert "exactly one of --dry-run and --apply" in both.stderr
    council = runner.invoke(app, ["retention", "--apply", "--by", "council.almaly"])
    assert council.exit_code == 2
    assert "expected the username of an active admin" in " ".join(council.stderr.split())

    for value in ("0", "-2"):
        monkeypatch.setenv("PATRONAGE_RETENTION_FAMILY_YEARS", value)
        get_settings.cache_clear()
        bad = runner.invoke(app, ["retention", "--apply", "--by", "admin.all"])
        assert bad.exit_code == 2
        message = " ".join(bad.stderr.split())
        assert (
            f"PATRONAGE_RETENTION_FAMILY_YEARS: expected a whole number of at least 1, got {value}"
            in message
        )
        assert "nothing was changed" in message
    assert _families(env) == 6
