"""Bulk import of a simulator directory (`patronage simulate --out DIR`) into the database.

Rows whose id is already stored are skipped, so re-running an import (as `patronage demo` does)
adds only what is new. IINs are replaced by their keyed hash on the way in and never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl
from sqlalchemy import Engine, insert, select

from features.contracts import Events
from features.loaders import load_events
from service.auth.security import hash_iin
from service.storage.tables import (
    Base,
    Family,
    MedicalScreeningRow,
    OutcomeRow,
    Person,
    PoliceSignalRow,
    SchoolSurveyRow,
)

BATCH: Final = 5000
#: Import order respects foreign keys: families, then persons, then records.
_TABLES: Final[tuple[tuple[str, type[Base], str], ...]] = (
    ("families", Family, "family_id"),
    ("persons", Person, "person_id"),
    ("school_surveys", SchoolSurveyRow, "record_id"),
    ("medical_screenings", MedicalScreeningRow, "record_id"),
    ("police_signals", PoliceSignalRow, "record_id"),
    ("outcomes", OutcomeRow, "record_id"),
)

Progress = Callable[[str, int, int], None]  # table, rows done, rows in table


@dataclass(frozen=True)
class ImportResult:
    inserted: dict[str, int]
    skipped: dict[str, int]


def _prepare(table: str, frame: pl.DataFrame, *, iin_key: bytes) -> pl.DataFrame:
    if table == "persons":
        hashes = [hash_iin(str(v), key=iin_key) for v in frame["iin"].to_list()]
        frame = frame.drop("iin").with_columns(pl.Series("iin_hash", hashes, dtype=pl.String))
    if "forms" in frame.columns:
        frame = frame.with_columns(pl.col("forms").list.join(","))
    if table in ("school_surveys", "medical_screenings", "police_signals"):
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("subject_iin_hash"))
    return frame


def _batches(frame: pl.DataFrame) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, frame.height, BATCH):
        yield frame.slice(start, BATCH).to_dicts()


def import_events(
    engine: Engine, events: Events, *, iin_key: bytes, progress: Progress | None = None
) -> ImportResult:
    """Insert every row of `events` not yet stored; one transaction per table and batch."""
    inserted: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for table, row_type, key in _TABLES:
        frame: pl.DataFrame = getattr(events, table)
        with engine.connect() as conn:
            existing = set(conn.execute(select(getattr(row_type, key))).scalars())
        fresh = frame.filter(~pl.col(key).is_in(list(existing))) if existing else frame
        skipped[table] = frame.height - fresh.height
        fresh = _prepare(table, fresh, iin_key=iin_key)
        done = 0
        for batch in _batches(fresh):
            with engine.begin() as conn:
                conn.execute(insert(row_type), batch)
            done += len(batch)
            if progress is not None:
                progress(table, done, fresh.height)
        inserted[table] = fresh.height
    return ImportResult(inserted=inserted, skipped=skipped)


def import_directory(
    engine: Engine, directory: Path, *, iin_key: bytes, progress: Progress | None = None
) -> ImportResult:
    """Validate the simulator tables in `directory` (all of them, before writing anything) and
    import them."""
    events = load_events(Path(directory))
    return import_events(engine, events, iin_key=iin_key, progress=progress)
