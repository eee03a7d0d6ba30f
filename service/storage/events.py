"""Load `features.contracts.Events` from the database: the DB loader of the feature pipeline.

The frames are checked with `features.loaders.validate_events`, the same validation the Parquet
loader applies. Only records linked to a family are loaded (unlinked ones wait for the admin).
Persons are loaded without names and without IINs: the scoring path is pseudonymous
(guardrail 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, select

from features.contracts import TABLES, Events, empty_table
from features.loaders import validate_events
from service.storage.tables import (
    Family,
    MedicalScreeningRow,
    OutcomeRow,
    Person,
    PoliceSignalRow,
    SchoolSurveyRow,
)

_ROWS: dict[str, Any] = {
    "school_surveys": SchoolSurveyRow,
    "medical_screenings": MedicalScreeningRow,
    "police_signals": PoliceSignalRow,
    "outcomes": OutcomeRow,
}
_NOT_LOADED = {"persons": ("full_name", "iin")}


def _query(table: str, family_ids: Sequence[str] | None) -> Select[Any]:
    columns = [c for c in TABLES[table] if c not in _NOT_LOADED.get(table, ())]
    source: Any = {"families": Family, "persons": Person, **_ROWS}[table]
    query = select(*(getattr(source, c) for c in columns))
    if table in _ROWS and table != "outcomes":
        query = query.where(source.family_id.is_not(None))
    if family_ids is not None:
        query = query.where(source.family_id.in_(list(family_ids)))
    return query


def _frame(conn: Connection, table: str, family_ids: Sequence[str] | None) -> pl.DataFrame:
    schema = TABLES[table]
    result = conn.execute(_query(table, family_ids))
    names = list(result.keys())
    rows = result.all()
    if not rows:
        return empty_table(table)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    loaded_schema = {name: (pl.String() if name == "forms" else schema[name]) for name in names}
    frame = pl.DataFrame(columns, schema=loaded_schema)
    if "forms" in frame.columns:
        frame = frame.with_columns(
            pl.when(pl.col("forms") == "")
            .then(pl.lit([], dtype=pl.List(pl.String())))
            .otherwise(pl.col("forms").str.split(","))
            .alias("forms")
        )
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=schema[c]).alias(c) for c in missing)
    return frame.select(list(schema))


def load_events(conn: Connection, *, family_ids: Sequence[str] | None = None) -> Events:
    """All event tables (or those of `family_ids`) as frames with the contract schemas."""
    frames = {
        table: _frame(conn, table, family_ids)
        for table in (
            "families",
            "persons",
            "school_surveys",
            "medical_screenings",
            "police_signals",
            "outcomes",
        )
    }
    return validate_events(Events(**frames))
