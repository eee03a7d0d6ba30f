"""The agency records of a subject-access request, without who reported them, and without the
answers a child gave in confidence when the request is a parent's."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.records.kinds import RECORD_SOURCES, content_of
from service.storage.tables import RecordBase
from service.subjects.schemas import CHILD_CONFIDENCE, ExportRecord

#: record type -> the kind of agency that submits it
SOURCE_OF = {record_type: source for record_type, source, _table in RECORD_SOURCES}
#: The fields of a child's record that tell what happens at home (the child's answers and what
#: the teacher or the clinic saw), never given to a parent: the parent asking may be the one
#: the child is afraid of. None: every field. A record type not named here is given whole
#: (police records at the address, a placement in care: the family's shared records).
CONFIDENTIAL_FIELDS: Final[dict[str, frozenset[str] | None]] = {
    "school_survey": frozenset(
        {
            "feels_safe",
            "afraid_of_adult",
            "seen_violence",
            "hurt_by_adult",
            "hunger_neglect",
            "wants_counsellor",
            "unexplained_injury",
            "behaviour_change",
        }
    ),
    "medical_screening": None,
    "hospital_injury": frozenset({"forms"}),
}


def confidential_fields(record_type: str, fields: list[str]) -> set[str]:
    """The fields of a record of `record_type` withheld from a parent."""
    if record_type not in CONFIDENTIAL_FIELDS:
        return set()
    named = CONFIDENTIAL_FIELDS[record_type]
    return set(fields) if named is None else set(fields) & named


def record_item(record_type: str, row: RecordBase, *, confidential: bool = False) -> ExportRecord:
    """A record as it stands now (corrections applied), without the submitting user and the
    institution: who reported is never part of what a person is given. `confidential`: a
    child's record in a parent's request, listed (kind, dates, the kind of agency holding it)
    without the fields that disclose what happens at home, and with the sentence why."""
    content = content_of(row)
    hidden = confidential_fields(record_type, list(content)) if confidential else set()
    return ExportRecord(
        record_id=row.record_id,
        record_type=record_type,
        source=SOURCE_OF[record_type],
        about=row.person_id or "",
        event_date=row.event_date,
        knowledge_date=row.knowledge_date,
        content={k: v for k, v in content.items() if k not in hidden},
        withheld=CHILD_CONFIDENCE if hidden else None,
    )


def records_about(session: Session, person_ids: list[str], *, requester: str) -> list[ExportRecord]:
    """Every agency record whose subject is one of `person_ids`, by event date; the records
    about anybody but `requester` (the household's children under 18, in a parent's request)
    without the answers the child gave in confidence."""
    items = [
        record_item(record_type, row, confidential=row.person_id != requester)
        for record_type, _source, table in RECORD_SOURCES
        for row in session.scalars(select(table).where(table.person_id.in_(person_ids)))
    ]
    items.sort(key=lambda r: (r.event_date, r.record_id))
    return items
