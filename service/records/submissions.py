"""What an institution submitted: its own records, searchable by kind and event date.

A school, clinic, police or guardianship user sees the records their own institution submitted
(`institution_id`, as intake stored it), never another institution's or agency's, and never a
score, band, reason or list: only what was reported, the record's number and version, and
whether the subject is linked to the registry yet. Every read writes an access-log entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal
from service.errors import FieldError
from service.records.corrections import institution_of, own_record, record_types_of, versions_of
from service.records.kinds import RECORD_TYPES, content_of
from service.records.schemas import (
    MAX_SUBMISSIONS_PAGE,
    RecordVersionRead,
    SubmissionRead,
    SubmissionsRead,
)
from service.storage.tables import RecordBase, RecordVersion

#: Access-log actions of the reads.
LIST_ACTION: Final = "submissions.read"
RECORD_ACTION: Final = "submission.read"


@dataclass(frozen=True)
class SubmissionFilters:
    """The search of "My submissions": a record kind (None: every kind the role submits) and
    an event-date range (either end open)."""

    kind: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class SubmissionDetail:
    """One record of the institution with every stored version (none until corrected)."""

    submission: SubmissionRead
    versions: list[RecordVersionRead]


def _check(user: Principal, filters: SubmissionFilters) -> tuple[str, ...]:
    kinds = record_types_of(user)
    if filters.kind is not None and filters.kind not in kinds:
        raise FieldError(
            ("query", "kind"), f"kind: expected one of {', '.join(kinds) or 'none'} for this role"
        )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise FieldError(("query", "from"), "from: expected a date on or before `to`")
    if not 1 <= filters.limit <= MAX_SUBMISSIONS_PAGE:
        raise FieldError(("query", "limit"), f"limit: expected 1 to {MAX_SUBMISSIONS_PAGE}")
    return (filters.kind,) if filters.kind else kinds


def _versions(session: Session, record_ids: list[str]) -> dict[tuple[str, str], int]:
    if not record_ids:
        return {}
    rows = session.execute(
        select(RecordVersion.record_type, RecordVersion.record_id, func.max(RecordVersion.version))
        .where(RecordVersion.record_id.in_(record_ids))
        .group_by(RecordVersion.record_type, RecordVersion.record_id)
    )
    return {(t, r): int(v) for t, r, v in rows}


def submission_of(record_type: str, row: RecordBase, version: int) -> SubmissionRead:
    return SubmissionRead(
        record_id=row.record_id,
        record_type=record_type,
        event_date=row.event_date,
        knowledge_date=row.knowledge_date,
        submitted_at=row.created_at,
        linked=row.family_id is not None,
        version=version,
        content=content_of(row),
    )


def list_submissions(
    session: Session, user: Principal, filters: SubmissionFilters
) -> SubmissionsRead:
    """The institution's records matching `filters`, newest event first, and the read logged."""
    kinds = _check(user, filters)
    access_log.begin_read(session)
    institution = institution_of(user)
    found: list[tuple[str, RecordBase]] = []
    total = 0
    for kind in kinds:
        row_type = RECORD_TYPES[kind][1]
        where: list[Any] = [row_type.institution_id == institution]
        if filters.date_from is not None:
            where.append(row_type.event_date >= filters.date_from)
        if filters.date_to is not None:
            where.append(row_type.event_date <= filters.date_to)
        total += session.scalar(select(func.count()).select_from(row_type).where(*where)) or 0
        rows = session.scalars(
            select(row_type)
            .where(*where)
            .order_by(row_type.event_date.desc(), row_type.created_at.desc())
            .limit(filters.offset + filters.limit)
        )
        found.extend((kind, row) for row in rows)
    found.sort(key=lambda item: (item[1].event_date, item[1].created_at), reverse=True)
    page = found[filters.offset : filters.offset + filters.limit]
    versions = _versions(session, [row.record_id for _kind, row in page])
    items = [submission_of(kind, row, versions.get((kind, row.record_id), 1)) for kind, row in page]
    access_log.log_read(session, user=user, action=LIST_ACTION, district=user.district)
    return SubmissionsRead(total=total, items=items)


def read_submission(
    session: Session, user: Principal, record_type: str, record_id: str
) -> SubmissionDetail:
    """One record of the institution (404 for any other) with its versions; the read logged
    with the record's family."""
    access_log.begin_read(session)
    row = own_record(session, user, record_type, record_id)
    versions = versions_of(session, record_type, record_id)
    submission = submission_of(record_type, row, versions[-1].version if versions else 1)
    family_id = row.family_id
    access_log.log_read(
        session, user=user, action=RECORD_ACTION, family_id=family_id, district=user.district
    )
    return SubmissionDetail(submission=submission, versions=versions)
