"""Loading and validating event tables (the edge between files or a database and the pipeline).

`load_events(directory)` reads the Parquet files written by `patronage simulate`;
`validate_events(events)` is shared with the service's database loader. Validation checks every
table before anything is returned: missing columns, wrong types, dates in the wrong order and
unknown enumerated values each raise `DataValidationError` naming the table, the column and how
many rows are bad. Nothing is written here.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import polars as pl

from features.contracts import (
    ASSISTANCE_SCHEMA,
    ASSISTANCE_STATUSES,
    ENUM_COLUMNS,
    EVENT_TABLES,
    PROTECTION_KINDS,
    TABLES,
    Events,
)


class DataValidationError(ValueError):
    """A table does not match its contract. Never carries cell values (they may be an IIN)."""

    def __init__(self, table: str, column: str, bad_rows: int, expected: str, got: str) -> None:
        self.table = table
        self.column = column
        self.bad_rows = bad_rows
        self.expected = expected
        self.got = got
        super().__init__(
            f"{table}.{column}: expected {expected}, got {got} ({bad_rows} bad row"
            f"{'' if bad_rows == 1 else 's'})"
        )


def _read(directory: Path, table: str) -> pl.DataFrame:
    path = directory / f"{table}.parquet"
    if not path.is_file():
        raise DataValidationError(table, "*", 0, f"a file {path.name} in {directory}", "no file")
    return pl.read_parquet(path)


def load_events(directory: Path) -> Events:
    """Read and validate the event tables of a `patronage simulate` output directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataValidationError("*", "*", 0, "a directory of Parquet tables", str(directory))
    events = Events(**{table: _read(directory, table) for table in EVENT_TABLES})
    return validate_events(events)


def load_truth(directory: Path) -> pl.DataFrame:
    """Read and validate the simulator's ground truth (`truth.parquet`); never a feature input."""
    frame = _read(Path(directory), "truth")
    return _validate_table("truth", frame)


def load_assistance(directory: Path) -> pl.DataFrame | None:
    """The simulated council's measures (`assistance.parquet`), validated, or None when the
    directory has none (written before the council existed, or by `patronage export`).

    Only evaluation reads it, to judge the model on helped and other families: the feature
    pipeline never does (a case's measures must never lower a family's score)."""
    path = Path(directory) / "assistance.parquet"
    if not path.is_file():
        return None
    frame = pl.read_parquet(path)
    schema = ASSISTANCE_SCHEMA
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise DataValidationError(
            "assistance", ", ".join(missing), frame.height, "the column(s) present", "missing"
        )
    for column, dtype in schema.items():
        if frame.schema[column] != dtype:
            raise DataValidationError(
                "assistance", column, frame.height, str(dtype), str(frame.schema[column])
            )
    frame = frame.select(list(schema))
    bad = int((~frame["status"].is_in(sorted(ASSISTANCE_STATUSES))).sum())
    if bad:
        raise DataValidationError(
            "assistance", "status", bad, f"one of {', '.join(sorted(ASSISTANCE_STATUSES))}", "other"
        )
    undated = int(((frame["status"] == "delivered") != frame["delivered_on"].is_not_null()).sum())
    if undated:
        raise DataValidationError(
            "assistance", "delivered_on", undated, "a date exactly for delivered measures", "not"
        )
    return frame


def validate_events(events: Events) -> Events:
    """Check every table of `events` against `features.contracts`; return them with the
    contract's column order and types (extra columns are dropped)."""
    checked = {f.name: _validate_table(f.name, getattr(events, f.name)) for f in fields(events)}
    police = checked["police_signals"]
    _check_protection_expiry(police)
    return Events(**checked)


def _validate_table(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    schema = TABLES[table]
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise DataValidationError(
            table, ", ".join(missing), frame.height, "the column(s) present", "missing"
        )
    for column, dtype in schema.items():
        got = frame.schema[column]
        if got == dtype:
            continue
        # Narrower or wider integers (SQL drivers widen Int8 to Int64) are fine when they fit.
        if dtype.is_integer() and got.is_integer():
            cast = frame[column].cast(dtype, strict=False)
            bad = int((cast.is_null() & frame[column].is_not_null()).sum())
            if bad:
                raise DataValidationError(table, column, bad, f"values that fit {dtype}", str(got))
            frame = frame.with_columns(cast)
            continue
        raise DataValidationError(table, column, frame.height, str(dtype), str(got))
    frame = frame.select(list(schema))
    if "knowledge_date" in schema and "event_date" in schema:
        bad = int((frame["knowledge_date"] < frame["event_date"]).sum())
        if bad:
            raise DataValidationError(
                table, "knowledge_date", bad, "knowledge_date >= event_date", "earlier dates"
            )
        for column in ("event_date", "knowledge_date"):
            nulls = frame[column].null_count()
            if nulls:
                raise DataValidationError(table, column, nulls, "a date", "null")
    if "family_id" in schema:
        nulls = frame["family_id"].null_count()
        if nulls:
            raise DataValidationError(table, "family_id", nulls, "an id", "null")
    for column, allowed in ENUM_COLUMNS.get(table, {}).items():
        values = frame[column]
        bad_mask = ~values.is_in(sorted(allowed)) | values.is_null()
        bad = int(bad_mask.sum())
        if bad:
            unknown = sorted(_safe(v) for v in values.filter(bad_mask).unique().head(5).to_list())
            raise DataValidationError(
                table,
                column,
                bad,
                f"one of {', '.join(sorted(allowed))}",
                f"unknown values {', '.join(unknown)}",
            )
    return frame


def _safe(value: object) -> str:
    """An unknown enum value fit for an error message: never a long digit string (an IIN?)."""
    text = "null" if value is None else str(value)[:40]
    return "<digits>" if any(ch.isdigit() for ch in text) and len(text) >= 6 else repr(text)


def _check_protection_expiry(police: pl.DataFrame) -> None:
    protection = police["kind"].is_in(sorted(k.value for k in PROTECTION_KINDS))
    missing = int((protection & police["valid_until"].is_null()).sum())
    if missing:
        raise DataValidationError(
            "police_signals",
            "valid_until",
            missing,
            "a date for orders and court requirements",
            "null",
        )
    before = int((protection & (police["valid_until"] < police["event_date"])).sum())
    if before:
        raise DataValidationError(
            "police_signals", "valid_until", before, "valid_until >= event_date", "earlier dates"
        )
