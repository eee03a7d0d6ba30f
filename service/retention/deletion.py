"""The admin's deletion of one record or one person on a legal ground (a court decision, a
record filed about the wrong person), with a written reason.

Everything derived that still names the record or the person goes with it (`purge.HELD`: alerts,
corrections, earlier versions, retry keys, disputes, case measures aimed at the person); a
tombstone says what was deleted, when, by whom and on which ground, never the content; the
access log gets the entry, in the same transaction. Stored lists are immutable: those that used
the record (the family's row in a list built after the record was stored, as of a day after it
was known) or the person (every list that holds the family: features read the family's
composition) are marked in `deletion_snapshots`. The next list does not use it: it is gone.
"""

from __future__ import annotations

import json
import re
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.auth.roles import Principal, UserRole
from service.errors import FieldError, NotFoundError
from service.records.kinds import RECORD_TYPES
from service.retention.purge import (
    INTEGER_KEYS,
    Key,
    Keys,
    NotAdminError,
    collect,
    destroy,
    log_destruction,
    table_named,
    tombstone,
)
from service.retention.schemas import DeletionCreate, DeletionRead
from service.storage.tables import (
    Deletion,
    DeletionSnapshot,
    Family,
    ListSnapshot,
    Person,
    SnapshotFamily,
)
from service.storage.transaction import transaction


def deletion_read(row: Deletion, *, snapshots_marked: int) -> DeletionRead:
    return DeletionRead(
        id=row.id,
        kind=row.kind,
        ground=row.ground,
        reason=row.reason,
        record_type=row.record_type,
        district=row.district,
        counts=json.loads(row.counts),
        snapshots_marked=snapshots_marked,
        created_at=row.created_at,
    )


def recent_deletions(session: Session, *, limit: int = 50) -> list[DeletionRead]:
    """The newest tombstones first (what was destroyed, on which ground; never the content)."""
    rows = session.scalars(select(Deletion).order_by(Deletion.id.desc()).limit(limit)).all()
    marked: dict[int, int] = dict(
        session.execute(
            select(DeletionSnapshot.deletion_id, func.count())
            .where(DeletionSnapshot.deletion_id.in_([r.id for r in rows]))
            .group_by(DeletionSnapshot.deletion_id)
        ).all()
    )
    return [deletion_read(r, snapshots_marked=marked.get(r.id, 0)) for r in rows]


def _mark(session: Session, deletion_id: int, snapshot_ids: list[int]) -> int:
    for snapshot_id in sorted(set(snapshot_ids)):
        session.add(DeletionSnapshot(deletion_id=deletion_id, snapshot_id=snapshot_id))
    session.flush()
    return len(set(snapshot_ids))


def _no_name_in(reason: str, name: str | None) -> None:
    """A tombstone outlives the person: its reason must not name them (422, nothing changed)."""
    if name and name.strip() and name.strip().casefold() in reason.casefold():
        raise FieldError(
            ("body", "reason"),
            "reason: expected no name of the person; name the decision by its number and date",
        )


def _check_admin(user: Principal) -> None:
    if user.role is not UserRole.admin:
        raise NotAdminError(user)


def delete_record(
    session: Session, record_type: str, record_id: str, body: DeletionCreate, *, user: Principal
) -> DeletionRead:
    """Delete one agency record and what derives from it; mark the lists that used it."""
    _check_admin(user)
    row_type = RECORD_TYPES[record_type][1]
    with transaction(session):
        row = session.get(row_type, record_id)
        if row is None:
            raise NotFoundError(f"record_id: no such {record_type} record")
        family_id, known, stored = row.family_id, row.knowledge_date, row.created_at
        if row.person_id is not None:
            _no_name_in(
                body.reason,
                session.scalar(select(Person.full_name).where(Person.person_id == row.person_id)),
            )
        district = session.scalar(select(Family.district).where(Family.family_id == family_id))
        used: list[int] = []
        if family_id is not None:
            used = list(
                session.scalars(
                    select(ListSnapshot.id)
                    .join(SnapshotFamily, SnapshotFamily.snapshot_id == ListSnapshot.id)
                    .where(
                        SnapshotFamily.family_id == family_id,
                        ListSnapshot.as_of > known,
                        ListSnapshot.created_at >= stored,
                    )
                )
            )
        session.expunge(row)
        counts = destroy(session, collect(session, Keys({Key.record: {record_id}})))
        tomb = tombstone(
            session, kind="record", ground=body.ground.value, reason=body.reason, counts=counts,
            user=user, district=district, record_type=record_type, record_id=record_id,
        )  # fmt: skip
        marked = _mark(session, tomb.id, used)
        log_destruction(session, user, tomb, family_id=family_id)
        return deletion_read(tomb, snapshots_marked=marked)


def delete_person(
    session: Session, person_id: str, body: DeletionCreate, *, user: Principal
) -> DeletionRead:
    """Delete one person of the register, every record about them and what derives from it;
    mark every stored list that holds their family."""
    _check_admin(user)
    with transaction(session):
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError("person_id: no such person")
        family_id, name = person.family_id, person.full_name
        _no_name_in(body.reason, name)
        district = session.scalar(select(Family.district).where(Family.family_id == family_id))
        used = list(
            session.scalars(
                select(SnapshotFamily.snapshot_id).where(SnapshotFamily.family_id == family_id)
            )
        )
        session.expunge(person)
        counts = destroy(session, collect(session, Keys({Key.person: {person_id}})))
        for table, rows in redact_name(session, family_id, name).items():
            counts[f"{table}:name_removed"] = rows
        tomb = tombstone(
            session, kind="person", ground=body.ground.value, reason=body.reason, counts=counts,
            user=user, district=district,
        )  # fmt: skip
        marked = _mark(session, tomb.id, used)
        log_destruction(session, user, tomb, family_id=family_id)
        return deletion_read(tomb, snapshots_marked=marked)


#: Free texts written about a family (the council's reasons and notes, a dispute's statement,
#: the old values of corrections): (table, text column, column tying the row, what it names).
FREE_TEXT: Final[tuple[tuple[str, str, str, Key], ...]] = (
    ("decisions", "reason", "family_id", Key.family),
    ("corrections", "reason", "family_id", Key.family),
    ("corrections", "old_value", "family_id", Key.family),
    ("corrections", "new_value", "family_id", Key.family),
    ("cases", "close_note", "family_id", Key.family),
    ("case_measures", "officer", "case_id", Key.case),
    ("measure_events", "note", "measure_id", Key.measure),
    ("disputes", "statement", "family_id", Key.family),
    ("disputes", "outcome_reason", "family_id", Key.family),
    ("record_versions", "content", "record_id", Key.record),
)
REDACTED: Final = "[deleted person]"


def redact_name(session: Session, family_id: str, name: str) -> dict[str, int]:
    """Replace the deleted person's full name (any letter case) in the family's free texts;
    rows changed per table. A partial mention (a surname alone) is not recognised:
    docs/data-protection.md says what the data-protection officer reviews."""
    if not name.strip():
        return {}
    keys = collect(session, Keys({Key.family: {family_id}}))
    pattern = re.compile(re.escape(name.strip()), re.IGNORECASE)
    counts: dict[str, int] = {}
    for name_of_table, text_column, tie, key in FREE_TEXT:
        source = table_named(name_of_table)
        values = keys.of(key)
        if source is None or not values:
            continue
        ids: list[object] = [int(v) for v in values] if key in INTEGER_KEYS else list(values)
        primary = list(source.primary_key.columns)
        rows = session.execute(
            select(*primary, source.c[text_column]).where(source.c[tie].in_(ids))
        ).all()
        for row in rows:
            text_value = row[-1]
            if text_value is None or not pattern.search(str(text_value)):
                continue
            where = [column == row[i] for i, column in enumerate(primary)]
            session.execute(
                update(source)
                .where(*where)
                .values({text_column: pattern.sub(REDACTED, str(text_value))})
            )
            counts[name_of_table] = counts.get(name_of_table, 0) + 1
    return counts
