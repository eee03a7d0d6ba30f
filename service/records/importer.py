"""Upload a directory of the Parquet contract (`patronage simulate --out DIR`, `patronage
export --out DIR`) as the admin's historical files, through the bulk intake path.

Every table goes through `service.imports.run.run_import` (the same row validation and per-row
keys as `POST /v1/imports`), all of them in one transaction: the directory is stored whole or
not at all. Rows already stored are counted, not stored again, so re-running an import (as
`patronage demo` does) adds only what is new. IINs are replaced by their keyed hash on the way
in and never stored. The uploads run as the local `cli-import` user (it cannot log in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from features.contracts import Events
from features.loaders import load_events
from service.auth.roles import Principal, UserRole
from service.imports.kinds import ImportKind
from service.imports.readers import RowSource, frame_rows
from service.imports.run import run_import
from service.storage.db import make_sessionmaker
from service.storage.tables import User

#: Import order respects foreign keys: families, then persons, then records.
_TABLES: Final[tuple[tuple[str, ImportKind], ...]] = (
    ("families", ImportKind.families),
    ("persons", ImportKind.persons),
    ("school_surveys", ImportKind.school_surveys),
    ("medical_screenings", ImportKind.medical_screenings),
    ("police_signals", ImportKind.police_signals),
    ("outcomes", ImportKind.outcomes),
)
CLI_USER: Final = "cli-import"

Progress = Callable[[str, int, int], None]  # table, rows done, rows in table


@dataclass(frozen=True)
class ImportResult:
    inserted: dict[str, int]
    skipped: dict[str, int]


def cli_principal(session: Session, username: str = CLI_USER) -> Principal:
    """The local user the command line and the demo run as (`cli-import` for uploads,
    `cli-model` for the model commands' reads; created inactive, so nobody can log in as it;
    what it does is in the access log under its name)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash="!", role=UserRole.admin.value, active=False)
        session.add(user)
        session.commit()
    return Principal.of(user)


def import_events(
    engine: Engine, events: Events, *, iin_key: bytes, progress: Progress | None = None
) -> ImportResult:
    """Upload every table of `events` as historical files, in one transaction."""
    inserted: dict[str, int] = {}
    skipped: dict[str, int] = {}
    with make_sessionmaker(engine)() as session:
        principal = cli_principal(session)
        try:
            for table, kind in _TABLES:
                frame: pl.DataFrame = getattr(events, table)
                total = frame.height
                if total == 0:
                    inserted[table] = skipped[table] = 0
                    continue

                def report(done: int, table: str = table, total: int = total) -> None:
                    if progress is not None:
                        progress(table, done, total)

                source = RowSource("parquet", list(frame.columns), frame_rows(frame))
                result = run_import(
                    session, source, principal=principal, kind=kind, historical=True,
                    iin_key=iin_key, progress=report, commit=False,
                )  # fmt: skip
                if not result.ok:
                    first = result.errors[0]
                    raise ValueError(
                        f"{table}: {len(result.errors) + result.more_errors} invalid rows "
                        f"(row {first.row}, {first.column}: expected {first.expected}, got "
                        f"{first.got}); nothing was imported"
                    )
                inserted[table] = result.stored + result.updated
                skipped[table] = result.already_stored
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return ImportResult(inserted=inserted, skipped=skipped)


def import_directory(
    engine: Engine, directory: Path, *, iin_key: bytes, progress: Progress | None = None
) -> ImportResult:
    """Validate the contract tables in `directory` (all of them, before writing anything) and
    upload them as historical files."""
    events = load_events(Path(directory))
    return import_events(engine, events, iin_key=iin_key, progress=progress)
