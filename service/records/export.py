"""The records the service holds, as the Parquet contract `patronage simulate` writes.

`load_contract` is the database's side of `features.loaders.load_events`: the same frames
(`service.storage.events.load_events`, validated by the same `validate_events`), with the
persons' `iin` column holding the keyed hash the service stores (never an IIN) and no names
(the scoring path is pseudonymous, guardrail 6). `export_contract` writes them as
`<table>.parquet` files, without `truth` and `config.json` (the world's hidden state exists only
in a simulation), and logs the export, one access-log entry per table with its row count.

Training, evaluation, scoring and the feature commands read the database through
`load_contract` (`experiments.data_source`), so a model trained from the database and one
trained from an export of it see the same frames.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from features.atomic import replacing_dir
from features.contracts import EVENT_TABLES, TABLES, Events
from service.audit import access_log
from service.auth.roles import Principal
from service.storage.db import read_connection
from service.storage.events import load_events
from service.storage.tables import Person

#: The access-log action of an export (one entry per table: `export.<table> rows=<n>`).
EXPORT_ACTION: Final = "export"
#: Access-log action of a model command reading every family from the database.
READ_ACTION: Final = "read-records"


def _iin_hashes(conn: Connection) -> pl.DataFrame:
    rows = conn.execute(select(Person.person_id, Person.iin_hash)).all()
    return pl.DataFrame(
        {"person_id": [r[0] for r in rows], "iin": [r[1] for r in rows]},
        schema={"person_id": pl.String(), "iin": pl.String()},
    )


def load_contract(conn: Connection) -> Events:
    """Every linked record as the contract's frames; `persons.iin` is the keyed hash, names are
    null."""
    events = load_events(conn)
    persons = (
        events.persons.drop("iin")
        .join(_iin_hashes(conn), on="person_id", how="left", maintain_order="left")
        .select(list(TABLES["persons"]))
    )
    return replace(events, persons=persons)


def check_out_dir(out: Path) -> Path:
    """`out` must be new or an empty directory in an existing parent (`ValueError` otherwise),
    so an export never mixes with other files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: expected a directory, got an existing file: {out}")
    if out.is_dir() and any(out.iterdir()):
        raise ValueError(f"--out: expected a new or empty directory, {out} is not empty")
    if not out.resolve().parent.is_dir():
        raise ValueError(f"--out: the parent directory of {out} does not exist")
    return out


def export_contract(
    engine: Engine, session: Session, out: Path, *, user: Principal
) -> dict[str, int]:
    """Write every event table to `out/<table>.parquet` (all or nothing) and log who exported
    how many rows of each table; returns the row counts."""
    out = check_out_dir(out)
    with read_connection(engine) as conn:
        events = load_contract(conn)
    counts = {name: getattr(events, name).height for name in EVENT_TABLES}
    with replacing_dir(out) as tmp:
        for name in EVENT_TABLES:
            getattr(events, name).write_parquet(tmp / f"{name}.parquet")
        # Logged before the files appear: an export that is not in the log is never visible.
        for name, rows in counts.items():
            access_log.log_read(session, user=user, action=f"{EXPORT_ACTION}.{name} rows={rows}")
    return counts


def read_contract(engine: Engine, session: Session, *, user: Principal, purpose: str) -> Events:
    """Every linked record, as `load_contract` gives it, for a command that reads the whole
    database (`patronage train`, `score`, the demo's training): pseudonymous, but family data
    all the same, so the read is logged (who, which command, how many families) before the
    records are returned (guardrail 6)."""
    with read_connection(engine) as conn:
        events = load_contract(conn)
    action = f"{READ_ACTION}.{purpose} families={events.families.height}"
    access_log.log_read(session, user=user, action=action)
    return events
