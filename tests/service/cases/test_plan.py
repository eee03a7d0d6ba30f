"""The case functions as plain functions (what the pages and the demo call), on SQLite and
PostgreSQL: the council's day and the agency's day are kept, the history is append-only, a
refused step stores nothing, and the addressing by agency, district and institution."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import HTTPException
from sqlalchemy import select

from service.auth.roles import UserRole
from service.cases.plan import add_measure, change_status, close_case, read_family_cases
from service.cases.referrals import agency_update, referrals_for
from service.cases.schemas import Agency, MeasurePlan, MeasureStatus, Target
from service.decisions.decide import record_decision
from service.decisions.schemas import DecisionCreate, Measure, Priority
from service.errors import ConflictError, FieldError, NotFoundError
from service.storage.tables import CaseMeasure, MeasureEvent, PriorityHold
from tests.service.conftest import Service

OWN, OTHER = "Almaly", "Bostandyk"
DAY = dt.date(2025, 6, 10)
S = MeasureStatus


def _events(service: Service) -> list[tuple[object, ...]]:
    with service.state.sessions() as session:
        rows = session.scalars(select(MeasureEvent).order_by(MeasureEvent.id)).all()
        return [
            (e.id, e.measure_id, e.on, e.user_id, e.status_from, e.status_to, e.note) for e in rows
        ]


def test_steps_keep_their_days_and_the_history_only_grows(service: Service) -> None:
    family = service.seeded.families[OWN][0]
    council = service.user(UserRole.council, OWN)
    school = service.user(UserRole.school, OWN)
    plan = MeasurePlan(
        measure=Measure.psychologist, agency=Agency.school, institution_id=school.institution_id,
        target=Target.child, person_id=f"P{family}c", due_on=DAY + dt.timedelta(days=20),
    )  # fmt: skip
    body = DecisionCreate(measures=[Measure.psychologist], priority=Priority.raise_, plan=[plan])
    with service.state.sessions() as session:
        decision = record_decision(session, family, body, user=council, today=DAY)
    assert decision.case_id is not None
    case_id = decision.case_id
    with service.state.sessions() as session:
        (measure,) = read_family_cases(session, council, family, today=DAY).cases[0].measures
        change_status(session, council, case_id, measure.id, S.sent, today=DAY)
    seen = _events(service)

    with service.state.sessions() as session:
        with pytest.raises(ConflictError):  # delivered before acknowledged
            agency_update(session, school, measure.id, S.delivered, today=DAY)
        with pytest.raises(NotFoundError):  # another district's school
            agency_update(session, service.user(UserRole.school, OTHER), measure.id, S.acknowledged)
        with pytest.raises(NotFoundError):  # the clinic: not its referral
            agency_update(session, service.user(UserRole.clinic, OWN), measure.id, S.acknowledged)
    assert _events(service) == seen  # nothing stored

    later = DAY + dt.timedelta(days=3)
    with service.state.sessions() as session:
        agency_update(session, school, measure.id, S.acknowledged, today=later)
        gone = agency_update(
            session, school, measure.id, S.unreachable, "Two visits, nobody home.",
            today=later + dt.timedelta(days=5),
        )  # fmt: skip
    assert gone.status == "unreachable"
    events = _events(service)
    assert events[: len(seen)] == seen  # earlier steps unchanged
    assert [(e[2], e[4], e[5]) for e in events[len(seen) :]] == [
        (later, "sent", "acknowledged"),
        (later + dt.timedelta(days=5), "acknowledged", "unreachable"),
    ]
    with service.state.sessions() as session:
        with pytest.raises(ConflictError):  # final
            agency_update(session, school, measure.id, S.delivered)
        (referral,) = referrals_for(session, school, status=S.unreachable).referrals
    assert referral.history[-1].note == "Two visits, nobody home."

    with service.state.sessions() as session:
        with pytest.raises(FieldError):
            close_case(session, council, case_id, "short", today=later)
        with pytest.raises(HTTPException) as refused:  # an auditor reads, never writes
            close_case(session, service.user(UserRole.auditor), case_id, "x" * 20)
        assert refused.value.status_code == 403
        closed = close_case(session, council, case_id, "Family moved away.", today=later)
    assert (closed.closed_on, closed.watch) == (later, False)
    with service.state.sessions() as session:
        hold = session.scalars(select(PriorityHold).where(PriorityHold.family_id == family)).one()
        assert (hold.kind, hold.ended_on, hold.ended_reason) == ("watch", later, "case_closed")
        with pytest.raises(ConflictError):  # a closed case does not change
            agency_update(session, school, measure.id, S.delivered)


def test_an_institution_sees_only_its_own_referrals(service: Service) -> None:
    family = service.seeded.families[OWN][1]
    council = service.user(UserRole.council, OWN)
    school = service.user(UserRole.school, OWN)
    body = DecisionCreate(measures=[Measure.no_action], priority=Priority.keep)
    with service.state.sessions() as session:
        record_decision(session, family, body, user=council, today=DAY)
    plan = MeasurePlan(
        measure=Measure.psychologist, agency=Agency.school, institution_id="school-other",
        target=Target.family, due_on=DAY,
    )  # fmt: skip
    body = DecisionCreate(measures=[Measure.psychologist], plan=[plan])
    with service.state.sessions() as session, pytest.raises(FieldError) as unknown:
        record_decision(session, family, body, user=council, today=DAY)
    assert unknown.value.loc == ["body", "plan", 0, "institution_id"]

    # A second school of the district: a referral to it is not the first school's.
    from service.storage.tables import User

    with service.state.sessions() as session:
        session.add(
            User(username="school2", password_hash="x", role="school", district=OWN,
                 institution_id="school-other", active=True)
        )  # fmt: skip
        session.commit()
        case = record_decision(
            session, family, DecisionCreate(measures=[Measure.psychologist], plan=[plan]),
            user=council, today=DAY,
        )  # fmt: skip
        assert case.case_id is not None
        measure = add_measure(
            session, council, case.case_id, plan.model_copy(update={"institution_id": None}),
            today=DAY,
        )  # fmt: skip
        # Not "every school of the district": sending needs the school that will act.
        with pytest.raises(FieldError) as unnamed:
            change_status(session, council, case.case_id, measure.id, S.sent, today=DAY)
        assert unnamed.value.loc == ["body", "institution_id"]
        planned, added = read_family_cases(session, council, family).cases[0].measures
        assert (planned.institution_id, added.id) == ("school-other", measure.id)
        with pytest.raises(FieldError):  # not the measure's own institution
            change_status(
                session, council, case.case_id, planned.id, S.sent,
                institution_id=school.institution_id, today=DAY,
            )  # fmt: skip
        assert referrals_for(session, school).referrals == []
        for m in (planned, added):
            named = school.institution_id if m.institution_id is None else None
            change_status(
                session, council, case.case_id, m.id, S.sent, institution_id=named, today=DAY
            )  # fmt: skip
        mine = referrals_for(session, school).referrals
    assert [r.id for r in mine] == [measure.id]  # its own, not the other school's

    # A school measure stored sent without an institution (written around the checks) reaches
    # no school of the district.
    with service.state.sessions() as session:
        stored = session.get(CaseMeasure, planned.id)
        assert stored is not None
        stored.institution_id = None
        session.commit()
        assert [r.id for r in referrals_for(session, school).referrals] == [measure.id]
    assert mine[0].institution_id == school.institution_id


def test_police_and_guardianship_act_for_the_district(service: Service) -> None:
    family = service.seeded.families[OWN][2]
    council = service.user(UserRole.council, OWN)
    items = [
        MeasurePlan(
            measure=Measure.guardianship_authority, agency=Agency.guardianship,
            target=Target.family, due_on=DAY,
        ),
        MeasurePlan(
            measure=Measure.court_extension_request, agency=Agency.court_via_police,
            target=Target.family, due_on=DAY,
        ),
    ]  # fmt: skip
    body = DecisionCreate(measures=[m.measure for m in items], plan=items)
    with service.state.sessions() as session:
        case_id = record_decision(session, family, body, user=council, today=DAY).case_id
        assert case_id is not None
        for m in read_family_cases(session, council, family, today=DAY).cases[0].measures:
            assert (
                change_status(session, council, case_id, m.id, S.sent, today=DAY).status == "sent"
            )
        for role in (UserRole.guardianship, UserRole.police):
            (seen,) = referrals_for(session, service.user(role, OWN)).referrals
            assert seen.institution_id is None
