"""The agencies' side of a case: the referrals addressed to them, and their steps.

A referral is a case measure the council has sent (status `sent` or later), addressed to an
agency with a user role (school, clinic, police, court requests through the police,
guardianship). A user of that role sees the referrals of their own district, and of their own
institution when the measure names one. They see the family's members' names, the measure, the
target person, the due date, the status and its history; never a score, band, rank, reason or
the list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.access import check_role
from service.auth.roles import SUBMITTER_ROLES, Principal
from service.cases.plan import events_view, person_names, record_step, server_today
from service.cases.schemas import (
    AGENCY_ROLE,
    NAMED_INSTITUTION,
    Agency,
    CaseStatus,
    MeasureStatus,
    ReferralRead,
    ReferralsRead,
)
from service.cases.transitions import AGENCY_STEPS, check_step
from service.errors import ConflictError, NotFoundError
from service.storage.tables import Case, CaseMeasure, MeasureEvent, Person
from service.storage.transaction import transaction


def agencies_of(user: Principal) -> list[Agency]:
    """The agencies whose referrals `user`'s role handles."""
    return [agency for agency, role in AGENCY_ROLE.items() if role is user.role]


def _addressed_to(user: Principal) -> ColumnElement[bool]:
    """Measures sent to `user`'s agency in their district, and to their institution when the
    measure names one. A school's or a clinic's measure that names none is nobody's: there are
    several per district, and sending one needs the institution that will act (`plan`)."""
    unnamed = and_(
        CaseMeasure.institution_id.is_(None),
        CaseMeasure.agency.not_in([a.value for a in NAMED_INSTITUTION]),
    )
    institution = (
        or_(unnamed, CaseMeasure.institution_id == user.institution_id)
        if user.institution_id is not None
        else unnamed
    )
    return and_(
        Case.district == (user.district or ""),
        CaseMeasure.agency.in_([a.value for a in agencies_of(user)]),
        CaseMeasure.status != MeasureStatus.proposed.value,
        institution,
    )


def _members(session: Session, family_ids: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {fid: [] for fid in family_ids}
    if family_ids:
        for fid, name in session.execute(
            select(Person.family_id, Person.full_name)
            .where(Person.family_id.in_(family_ids))
            .order_by(Person.person_id)
        ):
            out[fid].append(name)
    return out


def referral_views(session: Session, rows: list[tuple[CaseMeasure, Case]]) -> list[ReferralRead]:
    """The referrals as their agency sees them (no access-log entry: callers log)."""
    measures = [m for m, _ in rows]
    history_rows: dict[int, list[MeasureEvent]] = {m.id: [] for m in measures}
    if measures:
        for event in session.scalars(
            select(MeasureEvent)
            .where(MeasureEvent.measure_id.in_(list(history_rows)))
            .order_by(MeasureEvent.id)
        ):
            history_rows[event.measure_id].append(event)
    history = events_view(session, history_rows)
    members = _members(session, {c.family_id for _, c in rows})
    persons = person_names(session, (m.person_id for m in measures))
    return [
        ReferralRead(
            id=m.id,
            family_id=c.family_id,
            district=c.district,
            members=members[c.family_id],
            measure=m.measure,
            agency=m.agency,
            institution_id=m.institution_id,
            officer=m.officer,
            target=m.target,
            person_name=persons.get(m.person_id) if m.person_id else None,
            due_on=m.due_on,
            status=m.status,
            history=history[m.id],
        )
        for m, c in rows
    ]


def referrals_for(
    session: Session, user: Principal, *, status: MeasureStatus | None = None
) -> ReferralsRead:
    """The referrals addressed to `user`'s agency (open ones first, by due date), filtered by
    `status`; the read is written to the access log as `referrals.read`, one entry per family
    shown (its members' names are on the referral), or one for the district when none is."""
    check_role(user, SUBMITTER_ROLES)
    access_log.begin_read(session)
    query = (
        select(CaseMeasure, Case)
        .join(Case, Case.id == CaseMeasure.case_id)
        .where(_addressed_to(user))
    )
    if status is not None:
        query = query.where(CaseMeasure.status == status.value)
    rows = [(m, c) for m, c in session.execute(query.order_by(CaseMeasure.due_on, CaseMeasure.id))]
    rows.sort(key=lambda mc: mc[0].status in ("delivered", "declined", "unreachable"))
    result = ReferralsRead(referrals=referral_views(session, rows))
    shown = dict.fromkeys(c.family_id for _, c in rows)  # in the order shown, once each
    if not shown:
        access_log.log_read(session, user=user, action="referrals.read", district=user.district)
    # No batch form of `log_read`: one group-committed entry per family, each before the answer.
    for family_id in shown:
        access_log.log_read(
            session, user=user, action="referrals.read", family_id=family_id,
            district=user.district,
        )  # fmt: skip
    return result


def agency_update(
    session: Session,
    user: Principal,
    measure_id: int,
    status: MeasureStatus,
    note: str | None = None,
    *,
    today: dt.date | None = None,
) -> ReferralRead:
    """The agency acknowledges a referral, reports it delivered, declines it (with a reason) or
    reports that the family could not be reached. 404 naming `measure_id` for a referral not
    addressed to the user's agency, 409 naming `status` for a step out of order; commits with
    the access-log entry `referral.update`."""
    check_role(user, SUBMITTER_ROLES)
    day = today or server_today()
    with transaction(session):
        row = session.execute(
            select(CaseMeasure, Case)
            .join(Case, Case.id == CaseMeasure.case_id)
            .where(CaseMeasure.id == measure_id, _addressed_to(user))
        ).first()
        if row is None:
            raise NotFoundError("measure_id: no referral with this id addressed to your agency")
        measure, case = row
        if case.status != CaseStatus.open.value:
            raise ConflictError(f"measure_id: the council closed this case on {case.closed_on}")
        current = MeasureStatus(measure.status)
        if (current, status) not in AGENCY_STEPS:
            check_step(current, status, note)  # out of order: 409 naming the statuses
            raise ConflictError(f"status: the council moves a measure to {status.value}")
        record_step(session, measure, status, note, user=user, today=day)
        access_log.append(
            session, user=user, action="referral.update", family_id=case.family_id,
            district=case.district,
        )  # fmt: skip
        result = referral_views(session, [(measure, case)])[0]
    return result
