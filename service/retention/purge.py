"""Destruction: every table that holds a family's or a person's data, declared in one place.

`HELD` lists, for each table, the column that ties a row to what is destroyed and what happens
to the row: deleted, pseudonymised (the list snapshots), or kept (the access log). A table that
gets a `family_id`, `person_id`, `record_id` or IIN-hash column, or a foreign key to a table
that is destroyed, must be declared here: `tests/service/retention/test_coverage.py` fails
otherwise.

What is destroyed is described by `Keys`: family ids, person ids, IIN hashes, record ids, case,
measure and correction ids. `collect` completes them (a family's persons, their IIN hashes,
every record about any of them, the family's cases, the measures of those cases or aimed at
the persons, the corrections of the records); `destroy` then deletes the rows of every declared
table that match, children before parents, in the caller's transaction. The retention run
(`service.retention.run`) and the admin's deletions (`service.retention.deletion`) call them and
leave a tombstone (`tombstone`, `log_destruction`).

The list snapshots keep what an audit of a past list needs: ranks, scores, bands, feature values
and contributions. A purged family's rows get a random pseudonym (`purged-` and 16 hex digits,
one per family, recorded nowhere else) in place of the register's family number, and the record
ids in their signals are replaced by `deleted`. So the list still shows how many families it held
and in which order, and no row of it leads back to the family.

The access log is never rewritten: its entries are hash-chained and anchored by signed
checkpoints, and an entry changed after the fact would be, rightly, reported as tampering. Its
family ids are the register's family numbers; once the family's and its persons' rows are
destroyed, nothing the service holds resolves them to a person (docs/data-protection.md says
what this means and what the data-protection officer must confirm).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from fastapi import status
from sqlalchemy import ColumnElement, Table, delete, or_, select, text, update
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal
from service.errors import ServiceError
from service.storage.tables import Base, Deletion


class NotAdminError(ServiceError):
    """Only an administrator destroys data or asks what is due (403)."""

    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, user: Principal) -> None:
        super().__init__(
            f"role {user.role.value} may not purge or delete data (allowed: admin); "
            "nothing was changed"
        )


class Key(StrEnum):
    """What a column identifies."""

    family = "family"
    person = "person"
    iin_hash = "iin_hash"
    record = "record"
    case = "case"
    measure = "measure"
    correction = "correction"


#: Keys whose ids are integers (the others are text).
INTEGER_KEYS: Final = frozenset({Key.case, Key.measure, Key.correction})


class Action(StrEnum):
    delete = "delete"
    pseudonymise = "pseudonymise"
    keep = "keep"


@dataclass(frozen=True)
class Held:
    """`table.column` names a `key`; matching rows get `action`."""

    table: str
    column: str
    key: Key
    action: Action = Action.delete
    why: str = ""


_RECORD_TABLES: Final = (
    "school_surveys", "medical_screenings", "police_signals", "hospital_injuries",
    "care_placements",
)  # fmt: skip

#: Every table holding data about a family or a person: the one declaration of the purge.
HELD: Final[tuple[Held, ...]] = (
    Held("families", "family_id", Key.family),
    Held("persons", "family_id", Key.family),
    Held("persons", "person_id", Key.person),
    Held("persons", "iin_hash", Key.iin_hash),
    *(
        held
        for name in _RECORD_TABLES
        for held in (
            Held(name, "family_id", Key.family),
            Held(name, "person_id", Key.person),
            Held(name, "subject_iin_hash", Key.iin_hash),
            Held(name, "record_id", Key.record),
        )
    ),
    Held("outcomes", "family_id", Key.family),
    Held("outcomes", "record_id", Key.record),
    Held("alerts", "family_id", Key.family),
    Held("alerts", "record_id", Key.record),
    Held("idempotency_keys", "record_id", Key.record, why="a retry key of a record"),
    Held("corrections", "family_id", Key.family),
    Held("corrections", "record_id", Key.record, why="old and new values of a record"),
    Held("record_versions", "record_id", Key.record, why="earlier contents of a record"),
    Held("decisions", "family_id", Key.family),
    # issue 12, case work
    Held("cases", "family_id", Key.family),
    Held("case_measures", "case_id", Key.case),
    Held("case_measures", "person_id", Key.person),
    Held("measure_events", "measure_id", Key.measure),
    Held("priority_holds", "family_id", Key.family),
    # issue 14, subject access: a person's disputes of what is held about them
    Held("disputes", "family_id", Key.family),
    Held("disputes", "person_id", Key.person),
    Held("disputes", "record_id", Key.record),
    Held("disputes", "correction_id", Key.correction),
    Held(
        "snapshot_families",
        "family_id",
        Key.family,
        Action.pseudonymise,
        "a past list stays auditable: ranks, scores and feature values under a pseudonym",
    ),
    Held(
        "access_log",
        "family_id",
        Key.family,
        Action.keep,
        "hash-chained and anchored outside the database: never rewritten; the family number "
        "no longer resolves to anyone once the family's and persons' rows are gone",
    ),
)

#: Tables that issue an id `collect` follows: (key, table, id column).
SOURCES: Final[tuple[tuple[Key, str, str], ...]] = (
    (Key.iin_hash, "persons", "iin_hash"),
    *((Key.record, name, "record_id") for name in (*_RECORD_TABLES, "outcomes")),
    (Key.case, "cases", "id"),
    (Key.measure, "case_measures", "id"),
    (Key.correction, "corrections", "id"),
)

#: Tables declared ahead of the migration that creates them: skipped while absent. The coverage
#: test allows exactly these to be missing from the schema.
PENDING: Final[frozenset[str]] = frozenset()

PSEUDONYM_PREFIX: Final = "purged-"


@dataclass
class Keys:
    """What is destroyed, by kind of id."""

    ids: dict[Key, set[str]] = field(default_factory=dict)

    def __getitem__(self, key: Key) -> set[str]:
        return self.ids.setdefault(key, set())

    def of(self, key: Key) -> list[str]:
        return sorted(self[key])


def table_named(name: str) -> Table | None:
    return Base.metadata.tables.get(name)


def _criterion(source: Table, helds: Iterable[Held], keys: Keys) -> ColumnElement[bool] | None:
    parts = []
    for held in helds:
        values = keys.of(held.key)
        if values:
            column = source.c[held.column]
            if held.key in INTEGER_KEYS:
                parts.append(column.in_([int(v) for v in values]))
            else:
                parts.append(column.in_(values))
    return or_(*parts) if parts else None


def rowcount(result: object) -> int:
    """Rows a DELETE or UPDATE touched (`CursorResult.rowcount`)."""
    return int(getattr(result, "rowcount", 0) or 0)


def _helds(name: str, action: Action) -> list[Held]:
    return [h for h in HELD if h.table == name and h.action is action]


def collect(session: Session, keys: Keys) -> Keys:
    """Complete `keys`: the ids every declared source table issues for rows that match."""
    for key, name, id_column in SOURCES:
        source = table_named(name)
        if source is None:
            continue
        criterion = _criterion(source, _helds(name, Action.delete), keys)
        if criterion is not None:
            keys[key].update(
                str(v) for v in session.scalars(select(source.c[id_column]).where(criterion))
            )
    return keys


def destroy(session: Session, keys: Keys) -> dict[str, int]:
    """Delete every declared row that matches `keys` (children first) and pseudonymise the
    list snapshot rows of the destroyed families; rows destroyed per table. Runs in the
    caller's transaction."""
    counts: dict[str, int] = {}
    if session.get_bind().dialect.name == "sqlite":
        # Deleted content is overwritten with zeros instead of lingering in free pages.
        session.execute(text("PRAGMA secure_delete = ON"))
    for source in reversed(Base.metadata.sorted_tables):
        criterion = _criterion(source, _helds(source.name, Action.delete), keys)
        if criterion is None:
            continue
        deleted = rowcount(session.execute(delete(source).where(criterion)))
        if deleted:
            counts[source.name] = deleted
    for family_id in keys.of(Key.family):
        changed = pseudonymise_snapshots(session, family_id)
        if changed:
            counts["snapshot_families"] = counts.get("snapshot_families", 0) + changed
    return counts


def pseudonymise_snapshots(session: Session, family_id: str) -> int:
    """Give the family's list rows a random pseudonym; drop record ids from their signals."""
    rows = table_named("snapshot_families")
    assert rows is not None
    pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(8)
    signalled = session.execute(
        select(rows.c.snapshot_id, rows.c.signals).where(
            rows.c.family_id == family_id, rows.c.signals.is_not(None)
        )
    ).all()
    for snapshot_id, signals in signalled:
        session.execute(
            update(rows)
            .where(rows.c.snapshot_id == snapshot_id, rows.c.family_id == family_id)
            .values(signals=_without_record_ids(signals))
        )
    result = session.execute(
        update(rows).where(rows.c.family_id == family_id).values(family_id=pseudonym)
    )
    return rowcount(result)


def _without_record_ids(signals: str) -> str:
    data = json.loads(signals)
    for order in data.get("open_orders", []):
        order["record_id"] = "deleted"
    return json.dumps(data, sort_keys=True)


# ---- tombstones ------------------------------------------------------------------------------


def tombstone(
    session: Session,
    *,
    kind: str,
    ground: str,
    counts: dict[str, int],
    user: Principal,
    district: str | None = None,
    reason: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
) -> Deletion:
    """Write the tombstone of a destruction (flushed, in the caller's transaction)."""
    row = Deletion(
        kind=kind, ground=ground, reason=reason, record_type=record_type, record_id=record_id,
        district=district, counts=json.dumps(counts, sort_keys=True), user_id=user.id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def log_destruction(
    session: Session, user: Principal, row: Deletion, *, family_id: str | None = None
) -> None:
    """The access-log entry of a destruction: its tombstone and the rows destroyed, no data."""
    total = sum(json.loads(row.counts).values())
    access_log.append(
        session,
        user=user,
        action=f"deletion.{row.kind}#{row.id}:{total}rows"[:64],
        family_id=family_id,
        district=row.district,
    )
