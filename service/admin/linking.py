"""Records whose subject the registry did not know when they arrived, and linking them later."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.admin.schemas import RelinkRead, UnlinkedPage, UnlinkedRead
from service.records.kinds import RECORD_TYPES
from service.storage.tables import Person
from service.storage.transaction import transaction


def unlinked(session: Session, *, limit: int = 100) -> UnlinkedPage:
    """Unlinked records, newest first, without content or subject."""
    total = 0
    records: list[UnlinkedRead] = []
    for record_type, (_schema, row_type, _prefix) in RECORD_TYPES.items():
        total += int(
            session.scalar(
                select(func.count()).select_from(row_type).where(row_type.family_id.is_(None))
            )
            or 0
        )
        for row in session.scalars(
            select(row_type)
            .where(row_type.family_id.is_(None))
            .order_by(row_type.knowledge_date.desc())
            .limit(limit)
        ):
            records.append(
                UnlinkedRead(
                    record_type=record_type,
                    record_id=row.record_id,
                    institution_id=row.institution_id,
                    knowledge_date=row.knowledge_date,
                )
            )
    records.sort(key=lambda r: (r.knowledge_date, r.record_id), reverse=True)
    return UnlinkedPage(total=total, records=records[:limit])


def relink(session: Session) -> RelinkRead:
    """Attach unlinked records to persons now in the registry (same IIN hash), and commit."""
    with transaction(session):
        return _relink(session)


def link_pending(session: Session) -> RelinkRead:
    """`relink` inside the caller's transaction (a register upload links what waited for it)."""
    return _relink(session)


def _relink(session: Session) -> RelinkRead:
    linked = 0
    remaining = 0
    for _schema, row_type, _prefix in RECORD_TYPES.values():
        matches = session.execute(
            select(row_type.record_id, Person.person_id, Person.family_id)
            .join(Person, Person.iin_hash == row_type.subject_iin_hash)
            .where(row_type.family_id.is_(None))
        ).all()
        for record_id, person_id, family_id in matches:
            session.execute(
                update(row_type)
                .where(row_type.record_id == record_id)
                .values(person_id=person_id, family_id=family_id)
            )
        linked += len(matches)
        remaining += int(
            session.scalar(
                select(func.count()).select_from(row_type).where(row_type.family_id.is_(None))
            )
            or 0
        )
    return RelinkRead(linked=linked, still_unlinked=remaining)
