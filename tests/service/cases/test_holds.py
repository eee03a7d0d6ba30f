"""Priority means something: a raised family stays on every list marked watch until its case
is closed; a lowered one is off the top k for the months chosen, unless a new alert puts it
back; an open protective order keeps a family visible whatever the hold. On SQLite and
PostgreSQL, through the real list generation (the interim checklist ranks them)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from service.auth.roles import UserRole
from service.cases.plan import close_case
from service.decisions.decide import record_decision
from service.decisions.schemas import DecisionCreate, Measure, Priority
from service.lists.generate import generate_lists
from service.storage.tables import (
    Case,
    ListSnapshot,
    PoliceSignalRow,
    PriorityHold,
    SnapshotFamily,
)
from tests.service.conftest import Service

OWN = "Almaly"
DECIDED = dt.date(2025, 6, 10)


def _list(service: Service, month: str) -> dict[str, SnapshotFamily]:
    with service.state.sessions() as session:
        generate_lists(service.state.engine, session, None, month=month, districts=[OWN])
        rows = session.scalars(
            select(SnapshotFamily)
            .join(ListSnapshot, ListSnapshot.id == SnapshotFamily.snapshot_id)
            .where(ListSnapshot.district == OWN, ListSnapshot.month == month)
        ).all()
        session.expunge_all()
    return {row.family_id: row for row in rows}


def _k(service: Service, month: str) -> int:
    with service.state.sessions() as session:
        k = session.scalar(
            select(ListSnapshot.k).where(ListSnapshot.district == OWN, ListSnapshot.month == month)
        )
    assert k is not None
    return k


def _decide(service: Service, family: str, body: DecisionCreate, day: dt.date) -> None:
    council = service.user(UserRole.council, OWN)
    with service.state.sessions() as session:
        record_decision(session, family, body, user=council, today=day)


def test_raise_keeps_watch_lower_holds_off_until_a_new_alert(service: Service) -> None:
    june = _list(service, "2025-06")
    quiet = sorted((r for r in june.values() if r.signals is None), key=lambda r: r.score_rank)
    top, low = quiet[0].family_id, quiet[-1].family_id
    assert june[top].list_rank is not None
    assert june[low].list_rank is None
    ordered = service.seeded.with_order[OWN]

    _decide(service, low, DecisionCreate(measures=[Measure.psychologist],
                                         priority=Priority.raise_), DECIDED)  # fmt: skip
    lower = DecisionCreate(
        measures=[Measure.no_action], priority=Priority.lower_, hold_months=2,
        reason="Help already under way through the school psychologist.",
    )  # fmt: skip
    _decide(service, top, lower, DECIDED)
    _decide(service, ordered, lower, DECIDED)

    july = _list(service, "2025-07")
    assert (july[low].list_rank is not None, july[low].hold) == (True, "watch")
    assert (july[top].list_rank, july[top].hold) == (None, "lowered")
    # Guardrail: the open protective order keeps the lowered family on the list.
    assert (july[ordered].list_rank is not None, july[ordered].hold) == (True, "lowered")
    # The top k is still k families: the lowered one gave its place to the next.
    by_score = [r for r in july.values() if r.hold is None and r.signals is None and r.list_rank]
    assert len(by_score) == _k(service, "2025-07")

    # The API's list says why: the raised family is under watch, whatever its score.
    listed = service.client.get(
        f"/v1/districts/{OWN}/lists/2025-07", headers=service.headers(UserRole.council, OWN)
    ).json()["entries"]
    holds = {e["family_id"]: e["hold"] for e in listed}
    assert holds[low] == "watch"
    assert holds[ordered] == "lowered"
    assert top not in holds

    with service.state.sessions() as session:  # a weapon reported after the hold began
        session.add(
            PoliceSignalRow(
                record_id="ps-after-hold", family_id=top, person_id=f"P{top}a",
                institution_id="police-1", event_date=dt.date(2025, 7, 9),
                knowledge_date=dt.date(2025, 7, 10), kind="weapon_present", forms="",
            )
        )  # fmt: skip
        session.commit()
    august = _list(service, "2025-08")
    assert (august[top].list_rank is not None, august[top].hold) == (True, None)
    assert json.loads(august[top].signals or "{}")["alerts"] == ["2025-07-09"]
    assert august[low].hold == "watch"
    with service.state.sessions() as session:
        ends = dict(
            session.execute(
                select(PriorityHold.family_id, PriorityHold.ended_reason).where(
                    PriorityHold.kind == "lowered"
                )
            ).all()
        )
    assert ends == {top: "new_signal", ordered: None}

    council = service.user(UserRole.council, OWN)
    with service.state.sessions() as session:
        case_id = session.scalar(select(PriorityHold.case_id).where(PriorityHold.family_id == low))
        assert case_id is not None
        close_case(
            session, council, case_id, "Plan delivered, closing.", today=dt.date(2025, 8, 20)
        )
    september = _list(service, "2025-09")
    assert (september[low].list_rank, september[low].hold) == (None, None)
    # The lowered hold of two months (July, August) is over in September.
    assert september[ordered].hold is None


def test_a_lowered_hold_lasts_the_months_chosen(service: Service) -> None:
    june = _list(service, "2025-06")
    top = min((r for r in june.values() if r.signals is None), key=lambda r: r.score_rank)
    lower = DecisionCreate(
        measures=[Measure.no_action], priority=Priority.lower_,
        reason="Family moved in with relatives; school reports all well.",
    )  # fmt: skip
    _decide(service, top.family_id, lower, DECIDED)
    holds = [_list(service, m)[top.family_id].hold for m in ("2025-07", "2025-08", "2025-09")]
    assert holds == ["lowered"] * 3  # the default: three lists
    assert _list(service, "2025-10")[top.family_id].hold is None


def test_a_superseded_decision_leaves_no_hold_in_force(service: Service) -> None:
    june = _list(service, "2025-06")
    quiet = sorted((r for r in june.values() if r.signals is None), key=lambda r: r.score_rank)
    top, low = quiet[0].family_id, quiet[-1].family_id
    council = service.user(UserRole.council, OWN)
    lower = DecisionCreate(
        measures=[Measure.no_action], priority=Priority.lower_,
        reason="Help already under way through the school psychologist.",
    )  # fmt: skip
    raise_ = DecisionCreate(measures=[Measure.psychologist], priority=Priority.raise_)
    with service.state.sessions() as session:
        lowered = record_decision(session, top, lower, user=council, today=DECIDED)
        raised = record_decision(session, low, raise_, user=council, today=DECIDED)
    later = DECIDED + dt.timedelta(days=5)
    # Each is superseded by a decision that keeps the priority: the old holds end with it.
    with service.state.sessions() as session:
        record_decision(
            session, top,
            DecisionCreate(measures=[Measure.no_action], supersedes_id=lowered.id),
            user=council, today=later,
        )  # fmt: skip
        record_decision(
            session, low,
            DecisionCreate(measures=[Measure.psychologist], supersedes_id=raised.id),
            user=council, today=later,
        )  # fmt: skip
    with service.state.sessions() as session:
        holds = session.execute(
            select(PriorityHold.family_id, PriorityHold.ended_on, PriorityHold.ended_reason)
        ).all()
        watch = session.scalar(select(Case.watch).where(Case.family_id == low))
    assert sorted(tuple(h) for h in holds) == sorted(
        [(top, later, "superseded"), (low, later, "superseded")]
    )
    assert watch is False
    july = _list(service, "2025-07")
    assert (july[top].list_rank is not None, july[top].hold) == (True, None)
    assert (july[low].list_rank, july[low].hold) == (None, None)

    # Superseding with "raise" ends the old watch and places the new decision's own.
    with service.state.sessions() as session:
        again = record_decision(session, low, raise_, user=council, today=later)
        record_decision(
            session, low,
            DecisionCreate(measures=[Measure.no_action], priority=Priority.raise_,
                           supersedes_id=again.id),
            user=council, today=later + dt.timedelta(days=1),
        )  # fmt: skip
        active = session.execute(
            select(PriorityHold.decision_id, PriorityHold.kind).where(
                PriorityHold.family_id == low, PriorityHold.ended_on.is_(None)
            )
        ).all()
        watch = session.scalar(select(Case.watch).where(Case.family_id == low))
    assert [kind for _, kind in active] == ["watch"]
    assert active[0][0] != again.id
    assert watch is True
