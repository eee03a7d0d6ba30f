"""Alembic migrations, run programmatically at start-up (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database of `engine` to `revision` (idempotent)."""
    config = alembic_config()
    with engine.connect() as conn:
        # Alembic manages its own transaction; on SQLite take the write lock up front.
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()
