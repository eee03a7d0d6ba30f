"""A person's disputes of what is held about them, and the council's outcomes.

The council records the dispute (`create_dispute`) and later its outcome (`decide_dispute`):
accepted corrects the record through `service.records.corrections` (a new version, the old one
kept for the audit; the next list reads the corrected record), rejected keeps the record and
states why. Each write is committed with its access-log entry; a refusal leaves nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.access import district_scope
from service.auth.roles import Principal
from service.errors import ConflictError, FieldError, NotFoundError
from service.families.scope import family_in_scope
from service.records.corrections import correct_record
from service.records.kinds import RECORD_TYPES, content_of
from service.records.schemas import CorrectionCreate
from service.storage.tables import Dispute, Person, RecordBase, utcnow
from service.storage.transaction import transaction
from service.subjects.persons import covered_persons, person_in_scope, today_utc
from service.subjects.records import confidential_fields, record_item, records_about
from service.subjects.schemas import (
    DisputeCreate,
    DisputeOutcomeCreate,
    DisputeRead,
    DisputeStatus,
    ExportRecord,
)

DISPUTE_ACTION: Final = "person.dispute"
OUTCOME_ACTION: Final = "person.dispute.outcome"
LIST_ACTION: Final = "disputes.read"


def dispute_read(row: Dispute) -> DisputeRead:
    return DisputeRead(
        id=row.id,
        person_id=row.person_id,
        family_id=row.family_id,
        district=row.district,
        record_type=row.record_type,
        record_id=row.record_id,
        field=row.field,
        statement=row.statement,
        status=row.status,
        outcome_reason=row.outcome_reason,
        correction_id=row.correction_id,
        received_at=row.received_at,
        decided_at=row.decided_at,
    )


def person_disputes(session: Session, person_id: str) -> list[DisputeRead]:
    """The person's disputes, oldest first (no access check: callers check and log)."""
    rows = session.scalars(
        select(Dispute).where(Dispute.person_id == person_id).order_by(Dispute.id)
    )
    return [dispute_read(r) for r in rows]


def family_disputes(session: Session, family_id: str) -> list[DisputeRead]:
    """The disputes of a family's members, newest first (no access check)."""
    rows = session.scalars(
        select(Dispute).where(Dispute.family_id == family_id).order_by(Dispute.id.desc())
    )
    return [dispute_read(r) for r in rows]


def disputed_record(
    session: Session, person: Person, record_type: str, record_id: str, *, today: dt.date
) -> RecordBase:
    """The record if it is about the person or, for an adult, a child of the household under
    18; otherwise 404, the same answer as for a record that does not exist (whether another
    adult has such a record is not the person's to learn)."""
    row = session.get(RECORD_TYPES[record_type][1], record_id)
    covered = {p.person_id for p in covered_persons(session, person, today=today)}
    if row is None or row.person_id not in covered:
        raise NotFoundError(f"record_id: the person has no such {record_type} record")
    return row


def create_dispute(
    session: Session,
    user: Principal,
    person_id: str,
    body: DisputeCreate,
    *,
    today: dt.date | None = None,
) -> DisputeRead:
    """Record a person's dispute (the council of the family's district), logged as
    `person.dispute` in the same transaction."""
    today = today or today_utc()
    with transaction(session):
        person, family = person_in_scope(session, user, person_id)
        if body.record_type is not None and body.record_id is not None:
            row = disputed_record(session, person, body.record_type, body.record_id, today=today)
            fields = list(content_of(row))
            if row.person_id != person.person_id:  # a child's answers given in confidence
                hidden = confidential_fields(body.record_type, fields)
                fields = [f for f in fields if f not in hidden]
            if body.field is not None and body.field not in fields:
                raise FieldError(
                    ("body", "field"),
                    f"field: expected one of {', '.join(fields) or 'none (the whole record)'}"
                    ", got another name",
                )
        dispute = Dispute(
            person_id=person.person_id,
            family_id=family.family_id,
            district=family.district,
            record_type=body.record_type,
            record_id=body.record_id,
            field=body.field,
            statement=body.statement.strip(),
            status="open",
            received_by=user.id,
        )
        session.add(dispute)
        session.flush()
        access_log.append(
            session,
            user=user,
            action=DISPUTE_ACTION,
            family_id=family.family_id,
            district=family.district,
        )
        result = dispute_read(dispute)
    return result


def _correction(dispute: Dispute, body: DisputeOutcomeCreate) -> CorrectionCreate:
    field = body.field or dispute.field
    if field is None:
        raise FieldError(
            ("body", "field"), "field: expected the field to correct, got none (nor on the dispute)"
        )
    if "new_value" not in body.model_fields_set:
        raise FieldError(("body", "new_value"), "new_value: expected the corrected value, got none")
    try:
        return CorrectionCreate(
            record_type=dispute.record_type,
            record_id=dispute.record_id or "",
            field=field,
            new_value=body.new_value,
            reason=body.reason,
        )
    except ValidationError as exc:
        messages = "; ".join(str(e["msg"]) for e in exc.errors(include_input=False))
        raise FieldError(("body",), f"body: {messages}") from None


def decide_dispute(
    session: Session, user: Principal, dispute_id: int, body: DisputeOutcomeCreate
) -> DisputeRead:
    """Record the outcome of an open dispute; an accepted dispute of a record corrects it
    (`service.records.corrections.correct_record`). Logged as `person.dispute.outcome`, all in
    one transaction: a refused correction leaves the dispute open and nothing written."""
    with transaction(session):
        dispute = session.get(Dispute, dispute_id)
        if dispute is None:
            raise NotFoundError("dispute_id: no such dispute")
        _person, family = person_in_scope(session, user, dispute.person_id)
        if dispute.status != "open":
            raise ConflictError(f"dispute_id: the dispute was already {dispute.status}")
        if body.outcome == "accepted" and dispute.record_id is not None:
            correction = correct_record(session, family, _correction(dispute, body), user=user)
            dispute.correction_id = correction.id
            dispute.field = correction.field
        elif "new_value" in body.model_fields_set:
            raise FieldError(
                ("body", "new_value"),
                "new_value: expected none (only an accepted dispute of a record corrects it)",
            )
        dispute.status = body.outcome
        dispute.outcome_reason = body.reason.strip()
        dispute.decided_by = user.id
        dispute.decided_at = utcnow()
        session.flush()
        access_log.append(
            session,
            user=user,
            action=OUTCOME_ACTION,
            family_id=family.family_id,
            district=family.district,
        )
        result = dispute_read(dispute)
    return result


def read_district_disputes(
    session: Session, user: Principal, district: str, *, status: DisputeStatus | None = None
) -> list[DisputeRead]:
    """The district's disputes (newest first, optionally of one status) after the district
    check, with the read written to the access log."""
    district_scope(user, district)
    access_log.begin_read(session)
    query = select(Dispute).where(Dispute.district == district)
    if status is not None:
        query = query.where(Dispute.status == status)
    result = [dispute_read(r) for r in session.scalars(query.order_by(Dispute.id.desc()))]
    access_log.log_read(session, user=user, action=LIST_ACTION, district=district)
    return result


@dataclass(frozen=True)
class DisputeForm:
    """What the council sees to record a dispute of a person: the records it may be about."""

    person_id: str
    full_name: str
    family_id: str
    records: list[ExportRecord]


def read_dispute_form(
    session: Session, user: Principal, person_id: str, *, today: dt.date | None = None
) -> DisputeForm:
    """The records a person may dispute (theirs, and for an adult the household's children's
    under 18) after the district check; the read is logged as `disputes.read`."""
    access_log.begin_read(session)
    person, family = person_in_scope(session, user, person_id)
    covered = covered_persons(session, person, today=today or today_utc())
    form = DisputeForm(
        person_id=person.person_id,
        full_name=person.full_name,
        family_id=family.family_id,
        records=records_about(session, [p.person_id for p in covered], requester=person.person_id),
    )
    access_log.log_read(
        session, user=user, action=LIST_ACTION, family_id=family.family_id, district=family.district
    )
    return form


@dataclass(frozen=True)
class DisputeView:
    """One dispute, the disputing person's name and the disputed record as it stands now."""

    dispute: DisputeRead
    full_name: str
    record: ExportRecord | None


def read_dispute(session: Session, user: Principal, dispute_id: int) -> DisputeView:
    """One dispute after the district check; the read is logged as `disputes.read`."""
    access_log.begin_read(session)
    row = session.get(Dispute, dispute_id)
    if row is None:
        raise NotFoundError("dispute_id: no such dispute")
    person, family = person_in_scope(session, user, row.person_id)
    record = None
    if row.record_type is not None and row.record_id is not None:
        stored = session.get(RECORD_TYPES[row.record_type][1], row.record_id)
        record = None if stored is None else record_item(row.record_type, stored)
    view = DisputeView(dispute=dispute_read(row), full_name=person.full_name, record=record)
    access_log.log_read(
        session, user=user, action=LIST_ACTION, family_id=family.family_id, district=family.district
    )
    return view


def read_family_disputes(session: Session, user: Principal, family_id: str) -> list[DisputeRead]:
    """The disputes of a family's members (newest first) after the district check; the read
    is logged as `disputes.read`."""
    access_log.begin_read(session)
    family = family_in_scope(session, user, family_id)
    result = family_disputes(session, family_id)
    access_log.log_read(
        session, user=user, action=LIST_ACTION, family_id=family_id, district=family.district
    )
    return result
