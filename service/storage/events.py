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
from sqlalchemy import Connection, Select, literal, select, union_all

from features.contracts import (
    EVENT_TABLES,
    OUTCOME_POLICE_KINDS,
    TABLES,
    Events,
    OutcomeKind,
    empty_table,
)
from features.loaders import validate_events
from service.storage.tables import (
    CarePlacementRow,
    Family,
    HospitalInjuryRow,
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


def _outcomes(family_ids: Sequence[str] | None) -> Select[Any]:
    """The label's recorded outcomes, each from the agency that knows it, each counted once.

    - the `outcomes` table: historical outcome rows (a contract directory's outcomes file);
    - police offenses and protective-order violations: the police signal is the outcome,
      unless an outcome row of the same family, kind and dates already stands for it (a
      directory brings both files for the same event);
    - hospital-treated injuries (clinics) and children taken into care (guardianship
      authorities): their records."""
    police_kinds = sorted(OUTCOME_POLICE_KINDS)
    signal = PoliceSignalRow
    covered = (
        select(OutcomeRow.record_id)
        .where(
            OutcomeRow.family_id == signal.family_id,
            OutcomeRow.kind == signal.kind,
            OutcomeRow.event_date == signal.event_date,
            OutcomeRow.knowledge_date == signal.knowledge_date,
        )
        .exists()
    )
    stored: Any = select(
        OutcomeRow.record_id, OutcomeRow.family_id, OutcomeRow.kind, OutcomeRow.event_date,
        OutcomeRow.knowledge_date,
    )  # fmt: skip
    signals: Any = select(
        signal.record_id, signal.family_id, signal.kind, signal.event_date, signal.knowledge_date
    ).where(signal.kind.in_(police_kinds), ~covered)
    parts: list[Any] = [stored, signals]
    for row, kind in (
        (HospitalInjuryRow, OutcomeKind.hospital_injury),
        (CarePlacementRow, OutcomeKind.guardianship_care),
    ):
        record: Any = select(
            row.record_id, row.family_id, literal(kind.value).label("kind"), row.event_date,
            row.knowledge_date,
        )  # fmt: skip
        parts.append(record)
    filtered = []
    for part in parts:
        family = part.selected_columns.family_id
        part = part.where(family.is_not(None))
        if family_ids is not None:
            part = part.where(family.in_(list(family_ids)))
        filtered.append(part)
    union = union_all(*filtered).subquery()
    return select(*(union.c[c] for c in TABLES["outcomes"]))


def _query(table: str, family_ids: Sequence[str] | None) -> Select[Any]:
    if table == "outcomes":
        return _outcomes(family_ids)
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
    frames = {table: _frame(conn, table, family_ids) for table in EVENT_TABLES}
    return validate_events(Events(**frames))
