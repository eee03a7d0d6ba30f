"""The meeting's agenda on SQLite and PostgreSQL: each section holds what it says and nothing
else, names reach the council of the district only, and the read is logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry, ListSnapshot, SnapshotFamily
from tests.service.conftest import Service
from tests.service.meetings import records as rec
from tests.service.meetings.records import MeasureSpec, Step

COUNCIL, AUDITOR = UserRole.council, UserRole.auditor
D = dt.date


def make_lists(service: Service, *months: str) -> None:
    for month in months:
        response = service.client.post(
            "/v1/lists", json={"month": month}, headers=service.headers(UserRole.admin)
        )
        assert response.status_code == 201, response.text


def agenda(service: Service, role: UserRole = COUNCIL, month: str = "2025-06") -> Any:
    district = "Almaly" if role is COUNCIL else None
    return service.client.get(
        f"/v1/districts/Almaly/agenda?month={month}", headers=service.headers(role, district)
    )


def test_agenda_sections(service: Service) -> None:
    make_lists(service, "2025-05", "2025-06")
    user = service.user(COUNCIL, "Almaly").id
    families = service.seeded.families["Almaly"]
    with service.state.sessions() as session:
        k, score, _listed = rec.ranks(session, "Almaly", "2025-06")
        k5, score5, _ = rec.ranks(session, "Almaly", "2025-05")
        overdue = rec.case(
            session,
            families[0],
            "Almaly",
            user,
            opened_on=D(2025, 6, 2),
            measures=[
                MeasureSpec(
                    "psychologist", D(2025, 6, 20), D(2025, 6, 2), [Step("sent", D(2025, 6, 2))]
                ),
                MeasureSpec(
                    "crisis_centre", D(2025, 7, 10), D(2025, 6, 2), [Step("sent", D(2025, 6, 2))]
                ),
                MeasureSpec(
                    "employment_help",
                    D(2025, 6, 10),
                    D(2025, 6, 2),
                    [
                        Step("sent", D(2025, 6, 2)),
                        Step("acknowledged", D(2025, 6, 3)),
                        Step("delivered", D(2025, 6, 12)),
                    ],
                ),
            ],
        )
        declined = rec.case(
            session,
            families[1],
            "Almaly",
            user,
            opened_on=D(2025, 6, 2),
            measures=[
                MeasureSpec(
                    "psychologist",
                    D(2025, 7, 20),
                    D(2025, 6, 2),
                    [
                        Step("sent", D(2025, 6, 2)),
                        Step("declined", D(2025, 6, 12)),
                    ],
                ),
            ],
        )
        replaced = rec.case(
            session,
            families[2],
            "Almaly",
            user,
            opened_on=D(2025, 6, 2),
            measures=[
                MeasureSpec(
                    "psychologist",
                    D(2025, 7, 20),
                    D(2025, 6, 2),
                    [
                        Step("sent", D(2025, 6, 2)),
                        Step("acknowledged", D(2025, 6, 4)),
                        Step("unreachable", D(2025, 6, 12)),
                    ],
                ),
            ],
        )
        # The council answered the unreachable measure with a new one: off the agenda.
        rec.add_measure(
            session,
            replaced,
            user,
            MeasureSpec("social_patronage_visit", D(2025, 7, 30), D(2025, 6, 14)),
        )
        rec.case(
            session,
            families[3],
            "Almaly",
            user,
            opened_on=D(2025, 5, 2),
            closed_on=D(2025, 6, 1),
            measures=[
                MeasureSpec(
                    "psychologist", D(2025, 5, 20), D(2025, 5, 2), [Step("sent", D(2025, 5, 2))]
                )
            ],
        )
        rec.alert(session, families[4], "Almaly", event_date=D(2025, 6, 8), known=D(2025, 6, 10))
        rec.alert(session, families[5], "Almaly", event_date=D(2025, 4, 18), known=D(2025, 4, 20))
        rec.alert(session, families[6], "Almaly", event_date=D(2025, 7, 1), known=D(2025, 7, 2))
        rec.police_signal(
            session,
            families[7],
            kind="protective_order",
            event_date=D(2025, 6, 1),
            knowledge_date=D(2025, 6, 1),
            valid_until=D(2025, 8, 30),
        )
        rec.lowered_hold(
            session,
            families[8],
            "Almaly",
            user,
            until_month="2025-06",
            reason="Name F00008 adult moved to her parents' home.",
        )
        rec.lowered_hold(
            session,
            families[9],
            "Almaly",
            user,
            until_month="2025-06",
            reason="Ended early by a new police signal.",
            ended_on=D(2025, 6, 3),
        )
        rec.lowered_hold(
            session,
            families[10],
            "Almaly",
            user,
            until_month="2025-07",
            reason="Lowered for four months after the review.",
        )
        session.commit()
        overdue_id, declined_id = overdue.id, declined.id

    response = agenda(service)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["on"] == "2025-06-30"  # a past month reads as at its last day
    assert body["list_as_of"] == "2025-06-01"
    assert body["alerts_since"] == "2025-05-01"
    assert body["k"] == k

    before = {f for f, r in score5.items() if r <= k5}
    new = [e["family_id"] for e in body["new_in_top_k"]]
    assert set(new) == {f for f, r in score.items() if r <= k} - before
    assert all(e["names"] for e in body["new_in_top_k"])

    review = {c["case_id"]: c for c in body["cases_for_review"]}
    assert set(review) == {overdue_id, declined_id}
    assert [(m["measure"], m["reason"]) for m in review[overdue_id]["measures"]] == [
        ("psychologist", "overdue")
    ]
    assert [(m["reason"], m["status_on"]) for m in review[declined_id]["measures"]] == [
        ("declined", "2025-06-12")
    ]
    assert review[overdue_id]["names"] == [f"Name {families[0]} adult", f"Name {families[0]} child"]

    assert [(a["family_id"], a["recorded_on"]) for a in body["alerts"]] == [
        (families[4], "2025-06-10")
    ]
    orders = {o["family_id"]: o for o in body["expiring_orders"]}
    order_family = service.seeded.with_order["Almaly"]  # its order runs until 2025-07-05
    assert set(orders) == {order_family}
    assert orders[order_family]["days_left"] == 5
    holds = body["holds_ending"]
    assert [(h["family_id"], h["until_month"]) for h in holds] == [(families[8], "2025-06")]
    assert holds[0]["reason"].startswith("Name F00008")

    with service.state.read_sessions() as session:
        actions = session.scalars(
            select(AccessLogEntry.action).where(AccessLogEntry.list_month == "2025-06")
        ).all()
    assert "agenda.read" in actions


def test_auditor_reads_the_agenda_without_names(service: Service) -> None:
    make_lists(service, "2025-06")
    families = service.seeded.families["Almaly"]
    user = service.user(COUNCIL, "Almaly").id
    with service.state.sessions() as session:
        rec.alert(session, families[4], "Almaly", event_date=D(2025, 6, 8), known=D(2025, 6, 10))
        rec.lowered_hold(
            session,
            families[8],
            "Almaly",
            user,
            until_month="2025-06",
            reason="Name F00008 adult moved to her parents' home.",
        )
        session.commit()
    body = agenda(service, AUDITOR).json()
    sections = ("new_in_top_k", "cases_for_review", "alerts", "expiring_orders", "holds_ending")
    items = [item for section in sections for item in body[section]]
    assert items
    assert all(item["names"] is None for item in items)
    assert body["holds_ending"][0]["reason"] is None
    assert "Name F" not in str(body)


def test_agenda_refusals(service: Service) -> None:
    make_lists(service, "2025-06")
    assert agenda(service, month="2025-01").status_code == 404  # no list that month
    bad = agenda(service, month="2025-13")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "month"]
    other = service.client.get(
        "/v1/districts/Almaly/agenda?month=2025-06",
        headers=service.headers(COUNCIL, "Bostandyk"),
    )
    assert other.status_code == 403
    for role in (UserRole.police, UserRole.school, UserRole.clinic, UserRole.guardianship):
        refused = service.client.get(
            "/v1/districts/Almaly/agenda?month=2025-06", headers=service.headers(role, "Almaly")
        )
        assert refused.status_code == 403


def test_a_lowered_family_gives_its_place_in_the_top_k(service: Service) -> None:
    make_lists(service, "2025-06")
    with service.state.sessions() as session:
        k, score, _listed = rec.ranks(session, "Almaly", "2025-06")
        by_rank = sorted(score, key=score.__getitem__)
        snapshot = session.scalars(
            select(ListSnapshot).where(
                ListSnapshot.district == "Almaly", ListSnapshot.month == "2025-06"
            )
        ).one()
        row = session.get(SnapshotFamily, (snapshot.id, by_rank[0]))
        assert row is not None
        row.hold, row.list_rank = "lowered", None  # as a list honouring the hold stores it
        session.commit()
    body = agenda(service).json()
    # No list the month before: the whole top k is new, the lowered family's place taken by
    # the next one by score.
    assert [e["family_id"] for e in body["new_in_top_k"]] == by_rank[1 : k + 1]
