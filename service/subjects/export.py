"""A person's subject-access export: what is held about them and, for an adult, about the
household's children under 18 (without the answers a child gave in confidence); never another
adult's records, never who reported."""

from __future__ import annotations

import datetime as dt
import json
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal, UserRole
from service.records.kinds import columns
from service.storage.tables import (
    AccessLogEntry,
    Correction,
    Decision,
    Family,
    ListSnapshot,
    Person,
    SnapshotFamily,
    utcnow,
)
from service.subjects.disputes import person_disputes
from service.subjects.persons import covered_persons, person_in_scope, today_utc
from service.subjects.records import confidential_fields, records_about
from service.subjects.schemas import (
    WITHHELD,
    ExportAccess,
    ExportCorrection,
    ExportDecision,
    ExportListMonth,
    ExportPerson,
    ExportRecord,
    PersonExport,
)

EXPORT_ACTION = "person.export"
#: Whose reads a person's export lists: the council and the auditors. An entry of a front-line
#: role (a clinic correcting its record, an agency updating a referral) would tell which agency
#: another member dealt with.
READER_ROLES: Final = frozenset({UserRole.council.value, UserRole.auditor.value})
#: Entries a person's export never lists: that another member asked for their own export,
#: explanation or a correction is theirs to tell (a victim's request must not reach the abuser).
SUBJECT_ACTIONS: Final = frozenset(
    {
        EXPORT_ACTION,
        "person.explanation",
        "person.dispute",
        "person.dispute.outcome",
        "disputes.read",
    }
)


def _person(person: Person, *, relation: str) -> ExportPerson:
    return ExportPerson(
        person_id=person.person_id,
        relation=relation,
        role=person.role,
        sex=person.sex,
        birth_year=person.birth_year,
        full_name=person.full_name,
        died_on=person.died_on,
    )


def _corrections(session: Session, records: list[ExportRecord]) -> list[ExportCorrection]:
    ids = {(r.record_type, r.record_id) for r in records}
    # A correction of a field withheld from a record (a child's answer) would give it back.
    confidential = {(r.record_type, r.record_id) for r in records if r.withheld is not None}
    if not ids:
        return []
    rows = session.scalars(
        select(Correction)
        .where(Correction.record_id.in_([record_id for _t, record_id in ids]))
        .order_by(Correction.id)
    )
    return [
        ExportCorrection(
            record_type=c.record_type,
            record_id=c.record_id,
            field=c.field,
            old_value=json.loads(c.old_value or "null"),
            new_value=json.loads(c.new_value or "null"),
            reason=c.reason,
            created_at=c.created_at,
        )
        for c in rows
        if (c.record_type, c.record_id) in ids
        and not (
            (c.record_type, c.record_id) in confidential
            and confidential_fields(c.record_type, [c.field])
        )
    ]


def _lists(session: Session, family_id: str) -> list[ExportListMonth]:
    rows = session.execute(
        select(ListSnapshot.month, SnapshotFamily.list_rank, SnapshotFamily.band)
        .join(SnapshotFamily, SnapshotFamily.snapshot_id == ListSnapshot.id)
        .where(SnapshotFamily.family_id == family_id)
        .order_by(ListSnapshot.month)
    )
    return [
        ExportListMonth(month=month, on_list=rank is not None, band=band)
        for month, rank, band in rows
    ]


def person_export(
    session: Session, person: Person, family: Family, *, today: dt.date, children: bool = True
) -> PersonExport:
    """The export of `person` (no access check, no log entry: `read_person_export` adds both).

    `children=False` leaves the household's children out (the council decides so when the
    person does not hold parental responsibility, or when giving a child's records to this
    adult could put the child at risk); they are left out too when a case measure is aimed at
    the person as the aggressor. A child's record is listed without the answers the child gave
    in confidence (`service.subjects.records`)."""
    covered = covered_persons(session, person, today=today, children=children)
    records = records_about(session, [p.person_id for p in covered], requester=person.person_id)
    fid = family.family_id
    decisions = session.scalars(
        select(Decision).where(Decision.family_id == fid).order_by(Decision.id)
    )
    reads = session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.family_id == fid).order_by(AccessLogEntry.id)
    )
    return PersonExport(
        generated_at=utcnow(),
        person=_person(person, relation="self"),
        children=[_person(p, relation="child") for p in covered[1:]],
        household=columns(family),
        records=records,
        corrections=_corrections(session, records),
        disputes=person_disputes(session, person.person_id),
        lists=_lists(session, fid),
        decisions=[
            ExportDecision(created_at=d.created_at, list_month=d.list_month, priority=d.priority)
            for d in decisions
        ],
        access_log=[
            ExportAccess(at=e.at, role=e.role, action=e.action)
            for e in reads
            if e.role in READER_ROLES and e.action not in SUBJECT_ACTIONS
        ],
        withheld=list(WITHHELD),
    )


def read_person_export(
    session: Session,
    user: Principal,
    person_id: str,
    *,
    children: bool = True,
    today: dt.date | None = None,
) -> PersonExport:
    """The export after the district check, with the read written to the access log as
    `person.export` (the route, the pages and the print view all call this)."""
    access_log.begin_read(session)
    person, family = person_in_scope(session, user, person_id)
    fid, district = family.family_id, family.district
    data = person_export(session, person, family, today=today or today_utc(), children=children)
    access_log.log_read(session, user=user, action=EXPORT_ACTION, family_id=fid, district=district)
    return data
