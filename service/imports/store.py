"""Writing validated rows, batch by batch, inside the upload's one transaction: what every
writer shares (the counts, the duplicate checks, the bulk insert, `column IN ...` as one
parameter). The writers are `store_records` (record kinds) and `store_register` (the register).

Each writer returns the row errors only the database can find (a row repeated inside the file,
a subject of another district, a family or person the register does not hold) and counts the
rows stored and those already stored by an earlier upload. The per-row key that makes a
re-upload store nothing twice is the record id: a historical row keeps its own, a live row gets
one derived from what identifies it (kind, institution, subject, event date, content), as the
Idempotency-Key does for a single submission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Date, DateTime, String, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.imports.kinds import ImportKind
from service.imports.validate import RowError

REPEATED: Final = "a row not repeated within the file"
_REGISTER_HOLDS: Final = {
    "family_id": "a family of the register",
    "person_id": "a person of the register",
}


def unknown_id(number: int, column: str) -> RowError:
    """The error of a row naming a family or person (`column`) the register does not hold."""
    return RowError(number, column, _REGISTER_HOLDS[column], "an unknown id")


@dataclass
class Counts:
    stored: int = 0
    already_stored: int = 0
    updated: int = 0
    #: Outcome rows of a police kind: the police signal is the outcome (never counted twice).
    police_outcomes: int = 0
    alert_ids: list[int] = field(default_factory=list)


@dataclass
class Writer:
    """What every writer knows: the transaction, the uploader and the upload."""

    session: Session
    principal: Principal
    kind: ImportKind
    import_id: int
    historical: bool
    iin_key: bytes
    today: dt.date
    counts: Counts = field(default_factory=Counts)

    def write(self, rows: Sequence[tuple[int, Any]]) -> list[RowError]:
        raise NotImplementedError

    def _existing(
        self, table: Any, key: Any, ids: list[str], numbers: dict[str, int]
    ) -> tuple[set[str], list[RowError]]:
        """Ids already stored, and an error for each row that repeats one of this file."""
        errors = []
        found: set[str] = set()
        if ids:
            for record_id, import_id in self.session.execute(
                select(key, table.import_id).where(among(key, ids, self.session))
            ):
                if import_id == self.import_id:
                    errors.append(
                        RowError(numbers[record_id], None, REPEATED, "a repeat of an earlier row")
                    )
                found.add(record_id)
        return found, errors

    def _unique(
        self, keyed: list[tuple[str, int, dict[str, Any]]]
    ) -> tuple[list[tuple[str, int, dict[str, Any]]], list[RowError], dict[str, int]]:
        seen: dict[str, int] = {}
        unique = []
        errors = []
        for key, number, row in keyed:
            if key in seen:
                errors.append(RowError(number, None, REPEATED, f"a repeat of row {seen[key]}"))
                continue
            seen[key] = number
            unique.append((key, number, row))
        return unique, errors, seen

    def _store_new(
        self, row_type: Any, keyed: list[tuple[str, int, dict[str, Any]]], errors: list[RowError]
    ) -> list[dict[str, Any]]:
        """Insert the rows of `keyed` (record id, row number, row) not stored yet and count them;
        adds repeats to `errors`, and stores nothing when there are any."""
        unique, repeated, numbers = self._unique(keyed)
        found, stored_errors = self._existing(
            row_type, row_type.record_id, [k for k, _, _ in unique], numbers
        )
        errors += repeated + stored_errors
        if errors:
            return []
        fresh = [row for key, _, row in unique if key not in found]
        self.counts.already_stored += len(unique) - len(fresh)
        if fresh:
            insert_rows(self.session, row_type, fresh)
        self.counts.stored += len(fresh)
        return fresh


def iin_hasher(key: bytes) -> Callable[[str], str]:
    """`hash_iin` with the key schedule computed once: HMAC's set-up cost more than the hash
    itself in a bulk upload. Gives exactly `service.auth.security.hash_iin`."""
    base = hmac.new(key, digestmod=hashlib.sha256)

    def hasher(iin: str) -> str:
        h = base.copy()
        h.update(iin.encode("ascii"))
        return h.hexdigest()

    return hasher


def insert_rows(session: Session, row_type: Any, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) in the session's transaction, below the ORM:
    SQLAlchemy's per-value bind processing cost as much as validating the rows. PostgreSQL gets
    them by COPY; SQLite by the driver's executemany, with dates as the text SQLAlchemy itself
    writes."""
    if not rows:
        return
    table = table_of(row_type)
    names = list(rows[0])
    columns = ", ".join(names)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row.values()))
        return
    times = [i for i, n in enumerate(names) if isinstance(table.c[n].type, DateTime)]
    dates = [i for i, n in enumerate(names) if isinstance(table.c[n].type, Date) and i not in times]
    values = []
    for row in rows:
        cells = list(row.values())
        for i in dates:
            if cells[i] is not None:
                cells[i] = cells[i].isoformat()
        for i in times:
            if cells[i] is not None:
                cells[i] = cells[i].strftime("%Y-%m-%d %H:%M:%S.%f")
        values.append(tuple(cells))
    markers = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({markers})", values)


def table_of(row_type: Any) -> Table:
    """The Core table of a mapped class: Core inserts skip the ORM's per-row bookkeeping."""
    table: Table = row_type.__table__
    return table


def among(column: Any, values: Sequence[str], session: Session) -> Any:
    """`column IN values` as one bound parameter (a JSON array on SQLite, an array on
    PostgreSQL): expanding thousands of parameters cost more than the query itself."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String())))
    table = func.json_each(bindparam(None, json.dumps(list(values)), type_=String())).table_valued(
        "value"
    )
    return column.in_(select(table.c.value))


def present(session: Session, column: Any, ids: set[str]) -> set[str]:
    """Which of `ids` the column holds."""
    if not ids:
        return set()
    return set(session.scalars(select(column).where(among(column, sorted(ids), session))))
