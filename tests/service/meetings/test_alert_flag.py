"""An "alert between meetings" is an alert recorded after the previous list was built: the list
flags only those, and the alerts view shows every alert recorded since the latest list (by when
it was recorded, not by when it happened)."""

from __future__ import annotations

import datetime as dt

from service.auth.roles import UserRole
from tests.service.conftest import Service
from tests.service.meetings import records as rec
from tests.service.meetings.test_agenda import make_lists

D = dt.date
COUNCIL = UserRole.council


def test_list_flags_only_alerts_recorded_since_the_previous_list(service: Service) -> None:
    families = service.seeded.families["Almaly"]
    between, before, late = families[1], families[2], families[3]
    with service.state.sessions() as session:
        # Recorded in May: after the May list (as of 1 May), before the June list.
        rec.police_signal(
            session,
            between,
            kind="criminal_offense",
            event_date=D(2025, 4, 28),
            knowledge_date=D(2025, 5, 12),
        )
        # Recorded in April: the May list knew of it already (still listed: a serious signal
        # of the last three months).
        rec.police_signal(
            session,
            before,
            kind="weapon_present",
            event_date=D(2025, 4, 10),
            knowledge_date=D(2025, 4, 12),
        )
        # An old event recorded in May is an alert between meetings too.
        rec.police_signal(
            session,
            late,
            kind="criminal_offense",
            event_date=D(2024, 11, 2),
            knowledge_date=D(2025, 5, 20),
        )
        session.commit()
    make_lists(service, "2025-06")
    response = service.client.get(
        "/v1/districts/Almaly/lists/2025-06", headers=service.headers(COUNCIL, "Almaly")
    )
    entries = {e["family_id"]: e for e in response.json()["entries"]}
    assert entries[between]["alerts_between_meetings"] == ["2025-04-28"]
    assert entries[between]["alerts"] == ["2025-04-28"]
    assert entries[before]["alerts_between_meetings"] == []
    assert entries[before]["alerts"] == ["2025-04-10"]
    assert entries[late]["alerts_between_meetings"] == ["2024-11-02"]
    assert entries[late]["alerts"] == []  # not within the 92 days before the list
    flagged = {f for f, e in entries.items() if e["alerts_between_meetings"]}
    assert flagged == {between, late}


def test_alerts_view_shows_alerts_recorded_since_the_latest_list(service: Service) -> None:
    families = service.seeded.families["Almaly"]
    url, headers = "/v1/districts/Almaly/alerts", service.headers(COUNCIL, "Almaly")
    with service.state.sessions() as session:
        rec.alert(session, families[1], "Almaly", event_date=D(2025, 5, 2), known=D(2025, 5, 20))
        rec.alert(session, families[2], "Almaly", event_date=D(2025, 1, 2), known=D(2025, 6, 3))
        session.commit()
    first = service.client.get(url, headers=headers).json()
    assert first["since"] is None  # no list yet: every alert
    assert {a["family_id"] for a in first["alerts"]} == {families[1], families[2]}
    make_lists(service, "2025-06")
    body = service.client.get(url, headers=headers).json()
    assert body["since"] == "2025-06-01"
    # The old event recorded in June is shown; the May record (known to the list) is not.
    assert [(a["family_id"], a["event_date"], a["recorded_on"]) for a in body["alerts"]] == [
        (families[2], "2025-01-02", "2025-06-03")
    ]
