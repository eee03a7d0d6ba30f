"""A case's follow-up on SQLite and PostgreSQL: incidents after opening per window (null until
the window is over), measures delivered and on time, days from the list to the first contact."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from service.auth.roles import UserRole
from service.meetings.followup import read_follow_up
from service.storage.tables import AccessLogEntry
from tests.service.conftest import Service
from tests.service.meetings import records as rec
from tests.service.meetings.records import MeasureSpec, Step

D = dt.date
COUNCIL = UserRole.council


def test_follow_up_of_a_case(service: Service) -> None:
    family = service.seeded.families["Almaly"][0]
    user = service.user(COUNCIL, "Almaly")
    with service.state.sessions() as session:
        case = rec.case(
            session,
            family,
            "Almaly",
            user.id,
            opened_on=D(2025, 1, 10),
            list_month="2025-01",
            measures=[
                MeasureSpec(
                    "psychologist",
                    D(2025, 2, 10),
                    D(2025, 1, 10),
                    [
                        Step("sent", D(2025, 1, 10)),
                        Step("acknowledged", D(2025, 1, 14)),
                        Step("delivered", D(2025, 2, 3)),
                    ],
                ),
                MeasureSpec(
                    "crisis_centre",
                    D(2025, 2, 1),
                    D(2025, 1, 10),
                    [
                        Step("sent", D(2025, 1, 10)),
                        Step("acknowledged", D(2025, 1, 20)),
                        Step("delivered", D(2025, 2, 12)),
                    ],
                ),
                MeasureSpec(
                    "employment_help",
                    D(2025, 3, 1),
                    D(2025, 1, 10),
                    [
                        Step("sent", D(2025, 1, 10)),
                        Step("declined", D(2025, 1, 25)),
                    ],
                ),
            ],
        )
        for day, kind in (
            (D(2025, 1, 10), "criminal_offense"),  # the opening day: not after it
            (D(2025, 2, 1), "order_violation"),
            (D(2025, 5, 1), "criminal_offense"),
            (D(2025, 12, 1), "criminal_offense"),
        ):
            rec.police_signal(
                session,
                family,
                kind=kind,
                event_date=day,
                knowledge_date=day + dt.timedelta(days=1),
            )
        session.commit()
        case_id = case.id

    with service.state.sessions() as session:
        view = read_follow_up(session, user, case_id, today=D(2025, 8, 1))
    assert [(i.months, i.observable_on, i.incidents) for i in view.incidents] == [
        (3, D(2025, 4, 10), 1),
        (6, D(2025, 7, 10), 2),
        (12, D(2026, 1, 10), None),  # not over on 1 August 2025
    ]
    assert (view.measures, view.delivered, view.delivered_on_time) == (3, 2, 1)
    assert (view.declined, view.unreachable) == (1, 0)
    assert view.first_contact_on == D(2025, 1, 14)
    assert view.days_to_first_contact == 13  # from the January list's 1 January

    response = service.client.get(
        f"/v1/cases/{case_id}/follow-up", headers=service.headers(COUNCIL, "Almaly")
    )
    assert response.status_code == 200
    assert [i["incidents"] for i in response.json()["incidents"]] == [1, 2, 3]
    with service.state.read_sessions() as session:
        logged = session.scalars(
            select(AccessLogEntry.family_id).where(AccessLogEntry.action == "case.followup")
        ).all()
    assert logged == [family, family]
    # Another district's case answers as a missing one: no one learns which case ids exist.
    other = service.client.get(
        f"/v1/cases/{case_id}/follow-up", headers=service.headers(COUNCIL, "Bostandyk")
    )
    nowhere = service.client.get(
        "/v1/cases/999999/follow-up", headers=service.headers(COUNCIL, "Bostandyk")
    )
    assert (other.status_code, nowhere.status_code) == (404, 404)
    assert other.json() == nowhere.json()
    assert other.json()["detail"].startswith("case_id:")
    auditor = service.client.get(
        f"/v1/cases/{case_id}/follow-up", headers=service.headers(UserRole.auditor)
    )
    assert auditor.status_code == 200
    for role in (UserRole.police, UserRole.clinic):
        refused = service.client.get(
            f"/v1/cases/{case_id}/follow-up", headers=service.headers(role, "Almaly")
        )
        assert refused.status_code == 403
    missing = service.client.get(
        "/v1/cases/999999/follow-up", headers=service.headers(COUNCIL, "Almaly")
    )
    assert missing.status_code == 404
