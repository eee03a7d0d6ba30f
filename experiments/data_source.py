"""Where the commands read their events: a directory of the Parquet contract, or the service's
database.

`patronage train`, `evaluate`, `score`, `explain`, `features` and `labels` read `--data DIR`
when it is given (a `patronage simulate` or `patronage export` directory) and otherwise the
service's own database (`DATABASE_URL`, else `$PATRONAGE_HOME/patronage.db`), through
`service.records.export.load_contract`, the loader `patronage export` writes from. Both paths
validate with `features.loaders.validate_events`, so the same records give the same frames,
the same data fingerprint and the same model. The simulator's hidden truth exists only in a
simulator directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy.engine import make_url

from features.contracts import Events
from service.settings import Settings, get_settings


class DataSourceError(ValueError):
    """No usable source: the message says which and what to do."""


@dataclass(frozen=True)
class Source:
    events: Events
    truth: pl.DataFrame | None
    name: str  # for messages: the directory, or the database URL without its password


def database_name(settings: Settings) -> str:
    """The database URL as it may be shown (password hidden)."""
    return make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)


def load_database(settings: Settings | None = None) -> Events:
    """Every linked record of the service's database, migrated first (idempotent)."""
    from service.records.export import load_contract
    from service.storage.db import make_engine, read_connection
    from service.storage.migrate import upgrade

    settings = settings or get_settings()
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        raise DataSourceError(
            f"--data: not given, and there is no database at {url.database}: upload the "
            "district's records first (`patronage import`), set DATABASE_URL, or give "
            "--data DIR"
        )
    engine = make_engine(settings.sqlalchemy_url)
    try:
        upgrade(engine)
        with read_connection(engine) as conn:
            events = load_contract(conn)
    finally:
        engine.dispose()
    if events.families.height == 0:
        raise DataSourceError(
            f"--data: not given, and the database {database_name(settings)} holds no families: "
            "upload the register extract first (`patronage import FILE --kind families`)"
        )
    return events


def load_source(data: Path | None, *, truth: bool = False) -> Source:
    """`--data DIR` (with the simulator's truth when asked and present), else the database."""
    from features.loaders import load_events, load_truth

    if data is not None:
        events = load_events(data)
        truth_frame = load_truth(data) if truth and (data / "truth.parquet").is_file() else None
        return Source(events=events, truth=truth_frame, name=str(data))
    settings = get_settings()
    return Source(events=load_database(settings), truth=None, name=database_name(settings))
