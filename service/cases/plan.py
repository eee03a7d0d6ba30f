"""The council's side of a case: open or update it from a decision, add measures, send them,
record the steps of agencies without a user role, close it; and read it.

Writes commit through `service.storage.transaction` together with their access-log entry;
reads end with `access_log.log_read`. `today` is the council's day (default: the server's UTC
date; the demo passes its simulated days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.access import check_role, district_scope, may_see_names
from service.auth.roles import Principal, UserRole
from service.cases.holds import end_case_holds
from service.cases.schemas import (
    AGENCY_ROLE,
    DEFAULT_AGENCY,
    DEFAULT_DUE_DAYS,
    MIN_CLOSE_NOTE,
    NAMED_INSTITUTION,
    Agency,
    CaseRead,
    CaseStatus,
    CaseSummaryRead,
    DistrictCasesRead,
    FamilyCasesRead,
    MeasureEventRead,
    MeasurePlan,
    MeasureRead,
    MeasureStatus,
    Target,
)
from service.cases.transitions import COUNCIL_STEPS, FINAL, check_step
from service.decisions.schemas import DecisionCreate, Measure
from service.errors import ConflictError, FieldError, NotFoundError
from service.families.members import persons
from service.families.scope import family_in_scope
from service.storage.tables import (
    Case,
    CaseMeasure,
    Decision,
    Family,
    MeasureEvent,
    Person,
    User,
    utcnow,
)
from service.storage.transaction import transaction


def server_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- validation --------------------------------------------------------------------------


def check_plan_item(
    session: Session,
    family: Family,
    item: MeasurePlan,
    *,
    today: dt.date,
    loc: Sequence[str | int] = ("body",),
) -> None:
    """422 naming the field unless the item's due date, person and institution fit the family."""
    if item.due_on < today:
        raise FieldError(
            (*loc, "due_on"),
            f"due_on: expected {today.isoformat()} or later, got an earlier date",
        )
    if item.target is Target.family:
        if item.person_id is not None:
            raise FieldError((*loc, "person_id"), "person_id: expected null for the target family")
    else:
        if item.person_id is None:
            raise FieldError(
                (*loc, "person_id"),
                f"person_id: expected a member of the family for the target "
                f"{item.target.value}, got none",
            )
        member = session.scalar(
            select(Person.person_id).where(
                Person.person_id == item.person_id, Person.family_id == family.family_id
            )
        )
        if member is None:
            raise FieldError(
                (*loc, "person_id"), "person_id: expected a member of this family, got another"
            )
    if item.institution_id is not None:
        check_institution(session, item.agency, family.district, item.institution_id, loc=loc)


def known_institutions(session: Session, agency: Agency, district: str) -> list[str]:
    """The institutions of `agency` known in `district`: the distinct `institution_id` of its
    active users there (none for an agency without a user role)."""
    role = AGENCY_ROLE.get(agency)
    if role is None:
        return []
    return list(
        session.scalars(
            select(User.institution_id)
            .where(
                User.role == role.value,
                User.district == district,
                User.institution_id.is_not(None),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.institution_id)
        )
    )


def check_institution(
    session: Session,
    agency: Agency,
    district: str,
    institution_id: str,
    *,
    loc: Sequence[str | int] = ("body",),
) -> None:
    """422 naming `institution_id` unless it is an institution of `agency` known in `district`
    (for an agency without a user role any id is kept as given)."""
    role = AGENCY_ROLE.get(agency)
    if role is None:
        return
    known = session.scalar(
        select(User.id)
        .where(
            User.role == role.value,
            User.district == district,
            User.institution_id == institution_id,
            User.active.is_(True),
        )
        .limit(1)
    )
    if known is None:
        raise FieldError(
            (*loc, "institution_id"),
            f"institution_id: expected a {agency.value} institution of the family's district, "
            f"got an unknown one",
        )


def _note(text: str | None) -> str | None:
    return (text or "").strip() or None


# --- writes ------------------------------------------------------------------------------


def open_case(session: Session, family_id: str) -> Case | None:
    return session.scalar(
        select(Case).where(Case.family_id == family_id, Case.status == CaseStatus.open.value)
    )


def _new_measure(
    session: Session,
    case: Case,
    item: MeasurePlan,
    *,
    decision_id: int | None,
    user: Principal,
    today: dt.date,
) -> CaseMeasure:
    measure = CaseMeasure(
        case_id=case.id, decision_id=decision_id, measure=item.measure.value,
        agency=item.agency.value, institution_id=item.institution_id,
        officer=_note(item.officer), target=item.target.value, person_id=item.person_id,
        due_on=item.due_on, status=MeasureStatus.proposed.value, created_by=user.id,
        created_on=today,
    )  # fmt: skip
    session.add(measure)
    session.flush()
    session.add(
        MeasureEvent(
            measure_id=measure.id, on=today, user_id=user.id, status_from=None,
            status_to=MeasureStatus.proposed.value, note=None,
        )
    )  # fmt: skip
    return measure


def plan_items(body: DecisionCreate, *, today: dt.date) -> list[MeasurePlan]:
    """The decision's plan, plus a default proposed measure (the catalogue's agency, the family
    as target, due in 30 days) for each catalogue code the plan does not cover; `no_action`
    gives none."""
    covered = {item.measure for item in body.plan}
    due = today + dt.timedelta(days=DEFAULT_DUE_DAYS)
    defaults = [
        MeasurePlan(measure=m, agency=DEFAULT_AGENCY[m], target=Target.family, due_on=due)
        for m in dict.fromkeys(body.measures)
        if m is not Measure.no_action and m not in covered
    ]
    return [*body.plan, *defaults]


def open_or_update_case(
    session: Session,
    family: Family,
    decision: Decision,
    body: DecisionCreate,
    *,
    user: Principal,
    today: dt.date,
) -> Case | None:
    """Open the family's case (or add to the open one) with the decision's measures, each
    proposed (flushes; the decision's transaction commits). A raised priority puts the case
    under watch. A decision with no measure but `no_action` opens no case."""
    for i, item in enumerate(body.plan):
        if item.measure is Measure.no_action:
            raise FieldError(
                ("body", "plan", i, "measure"),
                "measure: expected a measure to carry out, got no_action",
            )
        check_plan_item(session, family, item, today=today, loc=("body", "plan", i))
    items = plan_items(body, today=today)
    case = open_case(session, family.family_id)
    if case is None and not items:
        if body.priority.value == "raise":
            # A watch lasts until the case is closed: without a case it would never begin.
            raise FieldError(
                ("body", "priority"),
                "priority: raise keeps the family on the lists until its case is closed: add "
                "at least one measure (the family has no open case)",
            )
        return None
    if case is None:
        case = Case(
            family_id=family.family_id, district=family.district, status=CaseStatus.open.value,
            watch=False, opened_by=user.id, opened_on=today, first_decision_id=decision.id,
            list_month=decision.list_month,
        )  # fmt: skip
        session.add(case)
        session.flush()
    if body.priority.value == "raise":
        case.watch = True
    for item in items:
        _new_measure(session, case, item, decision_id=decision.id, user=user, today=today)
    session.flush()
    return case


def case_in_scope(session: Session, user: Principal, case_id: int) -> Case:
    """The case, once `user` may see its district (the council of the district, auditors).

    A missing case and another district's case get the same answer, 404 naming `case_id`, so
    that no one learns which case ids exist elsewhere; a role that sees no family data at all
    gets 403 whatever the id."""
    check_role(user, (UserRole.council, UserRole.auditor))
    case = session.get(Case, case_id)
    if case is not None:
        try:
            district_scope(user, case.district)
        except HTTPException:
            case = None
    if case is None:
        raise NotFoundError("case_id: no case with this id in your district")
    return case


def _case_for_council(session: Session, user: Principal, case_id: int) -> Case:
    check_role(user, (UserRole.council,))
    return case_in_scope(session, user, case_id)


def _writable(case: Case) -> None:
    if case.status != CaseStatus.open.value:
        raise ConflictError(f"case_id: case {case.id} is closed; a new decision opens a new one")


def add_measure(
    session: Session,
    user: Principal,
    case_id: int,
    item: MeasurePlan,
    *,
    today: dt.date | None = None,
) -> MeasureRead:
    """Add a proposed measure to an open case of the council's district (commits with the
    access-log entry `case.measure`)."""
    day = today or server_today()
    with transaction(session):
        case = _case_for_council(session, user, case_id)
        _writable(case)
        family = session.get(Family, case.family_id)
        assert family is not None
        if item.measure is Measure.no_action:
            raise FieldError(
                ("body", "measure"), "measure: expected a measure to carry out, got no_action"
            )
        check_plan_item(session, family, item, today=day)
        measure = _new_measure(session, case, item, decision_id=None, user=user, today=day)
        access_log.append(
            session, user=user, action="case.measure", family_id=case.family_id,
            district=case.district,
        )  # fmt: skip
        session.flush()
        result = measure_views(session, [measure], names=True, today=day)[0]
    return result


def record_step(
    session: Session,
    measure: CaseMeasure,
    new: MeasureStatus,
    note: str | None,
    *,
    user: Principal,
    today: dt.date,
) -> None:
    """Append the event `measure.status -> new` and update the status cache (flushes)."""
    text = check_step(MeasureStatus(measure.status), new, note)
    session.add(
        MeasureEvent(
            measure_id=measure.id, on=today, user_id=user.id, status_from=measure.status,
            status_to=new.value, note=text,
        )
    )  # fmt: skip
    measure.status = new.value
    session.flush()


def _institution_for_sending(
    session: Session, case: Case, measure: CaseMeasure, institution_id: str | None
) -> str | None:
    """The institution a measure is sent to: its own, or `institution_id` given when sending
    (a known institution of the agency in the district). 422 naming `institution_id` for a
    school or a clinic with none (several per district: "the school of the district" would be
    every school) and for one that differs from the measure's own."""
    agency = Agency(measure.agency)
    if institution_id is not None:
        if measure.institution_id is not None and measure.institution_id != institution_id:
            raise FieldError(
                ("body", "institution_id"),
                "institution_id: expected none or the measure's own institution, got another "
                "(add a new measure for another institution)",
            )
        check_institution(session, agency, case.district, institution_id)
        return institution_id
    if measure.institution_id is None and agency in NAMED_INSTITUTION:
        raise FieldError(
            ("body", "institution_id"),
            "institution_id: expected the institution that will act: schools and clinics are "
            "several per district, got none",
        )
    return measure.institution_id


def change_status(
    session: Session,
    user: Principal,
    case_id: int,
    measure_id: int,
    status: MeasureStatus,
    note: str | None = None,
    *,
    institution_id: str | None = None,
    today: dt.date | None = None,
) -> MeasureRead:
    """The council moves a measure: sends a proposed one (proposed -> sent), or records a step
    of an agency without a user role (social services, crisis centre, correctional programme).
    A school's or a clinic's measure is sent to one institution: its own, or `institution_id`
    (422 naming `institution_id` without one). The agencies with a role record their own steps
    (`referrals.agency_update`). Commits with the access-log entry `case.status`; nothing is
    stored when refused."""
    day = today or server_today()
    with transaction(session):
        case = _case_for_council(session, user, case_id)
        _writable(case)
        measure = session.get(CaseMeasure, measure_id)
        if measure is None or measure.case_id != case.id:
            raise NotFoundError("measure_id: no such measure in this case")
        current = MeasureStatus(measure.status)
        agency = Agency(measure.agency)
        if (current, status) not in COUNCIL_STEPS and agency in AGENCY_ROLE:
            check_step(current, status, note)  # out of order: 409 first
            raise ConflictError(
                f"status: the {agency.value} records this step itself on its referrals"
            )
        sending = (current, status) == (MeasureStatus.proposed, MeasureStatus.sent)
        if institution_id is not None and not sending:
            check_step(current, status, note)  # out of order: 409 first
            raise FieldError(
                ("body", "institution_id"),
                f"institution_id: expected only when sending a proposed measure, got one with "
                f"status {status.value} of a measure in status {current.value}",
            )
        if sending:
            measure.institution_id = _institution_for_sending(
                session, case, measure, institution_id
            )
        record_step(session, measure, status, note, user=user, today=day)
        access_log.append(
            session, user=user, action="case.status", family_id=case.family_id,
            district=case.district,
        )  # fmt: skip
        result = measure_views(session, [measure], names=True, today=day)[0]
    return result


def close_case(
    session: Session,
    user: Principal,
    case_id: int,
    note: str,
    *,
    today: dt.date | None = None,
) -> CaseRead:
    """Close an open case with a note (at least 10 characters); ends its watch. Measures keep
    their status and history. Commits with the access-log entry `case.close`."""
    day = today or server_today()
    text = note.strip()
    if len(text) < MIN_CLOSE_NOTE:
        raise FieldError(
            ("body", "note"),
            f"note: closing a case needs a note of at least {MIN_CLOSE_NOTE} characters, "
            f"got {len(text)}",
        )
    with transaction(session):
        case = _case_for_council(session, user, case_id)
        _writable(case)
        case.status = CaseStatus.closed.value
        case.closed_at = utcnow()
        case.closed_on = day
        case.closed_by = user.id
        case.close_note = text
        case.watch = False
        end_case_holds(session, case, today=day)
        access_log.append(
            session, user=user, action="case.close", family_id=case.family_id,
            district=case.district,
        )  # fmt: skip
        session.flush()
        result = case_view(session, case, names=True, today=day)
    return result


# --- reads -------------------------------------------------------------------------------


def _usernames(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def _history(session: Session, measure_ids: list[int]) -> dict[int, list[MeasureEvent]]:
    out: dict[int, list[MeasureEvent]] = {i: [] for i in measure_ids}
    if measure_ids:
        for event in session.scalars(
            select(MeasureEvent)
            .where(MeasureEvent.measure_id.in_(measure_ids))
            .order_by(MeasureEvent.id)
        ):
            out[event.measure_id].append(event)
    return out


def is_overdue(measure: CaseMeasure, *, today: dt.date) -> bool:
    return MeasureStatus(measure.status) not in FINAL and measure.due_on < today


def events_view(
    session: Session, events_by_measure: dict[int, list[MeasureEvent]], *, notes: bool = True
) -> dict[int, list[MeasureEventRead]]:
    """Each measure's history; without `notes` (an auditor's read) the notes are null: the
    council's and the agencies' free text may name people."""
    users = _usernames(session, (e.user_id for es in events_by_measure.values() for e in es))
    return {
        mid: [
            MeasureEventRead(
                at=e.at,
                on=e.on,
                by=users.get(e.user_id, "?"),
                status_from=e.status_from,
                status_to=e.status_to,
                note=e.note if notes else None,
            )
            for e in events
        ]
        for mid, events in events_by_measure.items()
    }


def person_names(session: Session, person_ids: Iterable[str | None]) -> dict[str, str]:
    wanted = {p for p in person_ids if p is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Person.person_id, Person.full_name).where(Person.person_id.in_(wanted))
    )
    return {pid: name for pid, name in rows}


def measure_views(
    session: Session, measures: Sequence[CaseMeasure], *, names: bool, today: dt.date
) -> list[MeasureRead]:
    """The measures with their history; without `names` (an auditor's read) no person's name,
    officer or note: free text may name people."""
    history = events_view(session, _history(session, [m.id for m in measures]), notes=names)
    persons = person_names(session, (m.person_id for m in measures)) if names else {}
    return [
        MeasureRead(
            id=m.id,
            case_id=m.case_id,
            decision_id=m.decision_id,
            measure=m.measure,
            agency=m.agency,
            institution_id=m.institution_id,
            officer=m.officer if names else None,
            target=m.target,
            person_id=m.person_id,
            person_name=persons.get(m.person_id) if m.person_id else None,
            due_on=m.due_on,
            status=m.status,
            overdue=is_overdue(m, today=today),
            created_on=m.created_on,
            history=history[m.id],
        )
        for m in measures
    ]


def case_view(session: Session, case: Case, *, names: bool, today: dt.date) -> CaseRead:
    """One case with its measures and their history (no access-log entry: callers log);
    without `names`, no name, officer, note or closing note."""
    measures = list(
        session.scalars(
            select(CaseMeasure).where(CaseMeasure.case_id == case.id).order_by(CaseMeasure.id)
        )
    )
    users = _usernames(session, (case.opened_by, case.closed_by))
    return CaseRead(
        id=case.id, family_id=case.family_id, district=case.district, status=case.status,
        watch=case.watch, opened_on=case.opened_on, opened_by=users.get(case.opened_by, "?"),
        first_decision_id=case.first_decision_id, list_month=case.list_month,
        closed_on=case.closed_on,
        closed_by=users.get(case.closed_by) if case.closed_by is not None else None,
        close_note=case.close_note if names else None,
        measures=measure_views(session, measures, names=names, today=today),
    )  # fmt: skip


def family_cases(
    session: Session, family_id: str, *, names: bool, today: dt.date
) -> list[CaseRead]:
    """Every case of the family, newest first (no access-log entry: callers log)."""
    cases = session.scalars(
        select(Case).where(Case.family_id == family_id).order_by(Case.id.desc())
    )
    return [case_view(session, c, names=names, today=today) for c in cases]


def read_family_cases(
    session: Session, user: Principal, family_id: str, *, today: dt.date | None = None
) -> FamilyCasesRead:
    """The family's cases after the district check (council of the district with names;
    auditors without), the read written to the access log as `case.read`."""
    day = today or server_today()
    access_log.begin_read(session)
    family = family_in_scope(session, user, family_id)
    district = family.district
    names = may_see_names(user, district)
    result = FamilyCasesRead(
        family_id=family_id,
        district=district,
        members=persons(session, family_id, names=names),
        cases=family_cases(session, family_id, names=names, today=day),
    )
    access_log.log_read(
        session, user=user, action="case.read", family_id=family_id, district=district
    )
    return result


def district_cases(
    session: Session, district: str, *, status: CaseStatus | None, today: dt.date
) -> list[CaseSummaryRead]:
    """The district's cases, open first then newest (no access-log entry: callers log)."""
    query = select(Case).where(Case.district == district)
    if status is not None:
        query = query.where(Case.status == status.value)
    cases = list(session.scalars(query.order_by(Case.status.desc(), Case.id.desc())))
    measures: dict[int, list[CaseMeasure]] = {c.id: [] for c in cases}
    if cases:
        for m in session.scalars(
            select(CaseMeasure).where(CaseMeasure.case_id.in_(list(measures)))
        ):
            measures[m.case_id].append(m)
    return [
        CaseSummaryRead(
            id=c.id,
            family_id=c.family_id,
            status=c.status,
            watch=c.watch,
            opened_on=c.opened_on,
            closed_on=c.closed_on,
            measures=len(measures[c.id]),
            delivered=sum(m.status == MeasureStatus.delivered.value for m in measures[c.id]),
            overdue=sum(is_overdue(m, today=today) for m in measures[c.id]),
        )
        for c in cases
    ]


def read_district_cases(
    session: Session,
    user: Principal,
    district: str,
    *,
    status: CaseStatus | None = None,
    today: dt.date | None = None,
) -> DistrictCasesRead:
    """The district's cases (council of the district, auditors), the read logged as
    `cases.read`."""
    day = today or server_today()
    district_scope(user, district)
    access_log.begin_read(session)
    cases = district_cases(session, district, status=status, today=day)
    access_log.log_read(session, user=user, action="cases.read", district=district)
    return DistrictCasesRead(district=district, cases=cases)
