"""The council's figures on SQLite and PostgreSQL: what each counts, windows not over yet left
out, and counts from 1 to 9 never shown (nor worked out from the figures beside them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.auth.roles import UserRole
from service.meetings.dashboard import count, hidden_parts, median, share, split
from service.statistics.suppression import MIN_COUNT
from service.storage.tables import AccessLogEntry
from tests.service.conftest import Service
from tests.service.meetings import records as rec
from tests.service.meetings.records import MeasureSpec, Step
from tests.service.meetings.test_agenda import make_lists

COUNCIL = UserRole.council
D = dt.date


def _counts(value: Any) -> list[int]:
    """Every shown count of a dashboard answer."""
    if isinstance(value, dict):
        if set(value) == {"value", "suppressed"}:
            return [value["value"]] if isinstance(value["value"], int) else []
        return [n for v in value.values() for n in _counts(v)]
    if isinstance(value, list):
        return [n for v in value for n in _counts(v)]
    return []


def test_counts_under_ten_are_suppressed() -> None:
    assert MIN_COUNT == 10
    assert count(9).model_dump() == {"value": None, "suppressed": True}
    assert count(1).suppressed
    assert count(0).model_dump() == {"value": 0, "suppressed": False}  # identifies nobody
    assert count(10).model_dump() == {"value": 10, "suppressed": False}
    # One hidden part of a shown total would be the total minus the others: hide one more.
    assert hidden_parts([22, 9]) == [True, True]
    assert hidden_parts([22, 14, 9]) == [False, True, True]
    assert hidden_parts([22, 0, 9]) == [True, False, True]
    assert hidden_parts([22, 5, 9]) == [False, True, True]
    assert hidden_parts([22, 12, 0]) == [False, False, False]
    yes, no = split([12, 10])
    assert share(yes, no, 12, 22).value == pytest.approx(12 / 22)
    yes, no = split([30, 9])
    assert share(yes, no, 30, 39).suppressed
    assert median(list(range(9))).model_dump() == {"value": None, "suppressed": True}
    assert median([7] * 6 + [9] * 4).value == 7.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8))
def test_no_hidden_part_is_worked_out_from_the_total(parts: list[int]) -> None:
    hidden = hidden_parts(parts)
    assert all(h for n, h in zip(parts, hidden, strict=True) if 0 < n < MIN_COUNT)
    # with the total shown, one hidden part would be the total minus the shown ones
    total_shown = not 0 < sum(parts) < MIN_COUNT
    assert sum(hidden) != 1 or not total_shown


def test_dashboard_figures(service: Service) -> None:
    make_lists(service, "2025-06")
    user = service.user(COUNCIL, "Almaly").id
    families = service.seeded.families["Almaly"]
    with service.state.sessions() as session:
        k, score, listed = rec.ranks(session, "Almaly", "2025-06")
        outside = sorted((f for f in families if score[f] > k), key=score.__getitem__)
        top = [f for f in families if score[f] <= k]
        # 22 cases opened a year earlier and closed: 12 with a recorded criminal offense six
        # weeks after opening (within 3, 6 and 12 months), 10 without.
        for i, family in enumerate(families[:22]):
            rec.case(
                session, family, "Almaly", user, opened_on=D(2024, 5, 1), closed_on=D(2024, 12, 1)
            )
            if i < 12:
                rec.police_signal(
                    session,
                    family,
                    kind="criminal_offense",
                    event_date=D(2024, 6, 15),
                    knowledge_date=D(2024, 6, 16),
                )
        # An incident recorded on the opening day itself is not "after" the case opened.
        rec.police_signal(
            session,
            families[20],
            kind="order_violation",
            event_date=D(2024, 5, 1),
            knowledge_date=D(2024, 5, 2),
        )
        # 22 cases opened in June 2025 from the list: a psychologist for each, delivered on
        # time for 12 (first contact after 7 days) and late for 10 (after 9 days); a crisis
        # centre referral for 9 of them (sent, not due yet); 10 raised outside the top k.
        for i, family in enumerate(outside[:22]):
            late = i >= 12
            steps = [
                Step("sent", D(2025, 6, 5)),
                Step("acknowledged", D(2025, 6, 10 if late else 8)),
                Step("delivered", D(2025, 6, 25 if late else 15)),
            ]
            measures = [MeasureSpec("psychologist", D(2025, 6, 20), D(2025, 6, 5), steps)]
            if i < 9:
                measures.append(
                    MeasureSpec(
                        "crisis_centre",
                        D(2025, 7, 15),
                        D(2025, 6, 5),
                        [Step("sent", D(2025, 6, 5))],
                    )
                )
            opened = rec.case(
                session,
                family,
                "Almaly",
                user,
                opened_on=D(2025, 6, 5),
                measures=measures,
                list_month="2025-06",
                priority="raise" if i < 10 else "keep",
            )
            if i < 9:  # 9 closed within the month
                opened.status, opened.closed_on = "closed", D(2025, 6, 28)
        # One family of the top k lowered (a count of 1: suppressed).
        rec.decision(
            session,
            top[0],
            "Almaly",
            user,
            measures=["no_action"],
            priority="lower",
            list_month="2025-06",
            reason="Moved to relatives; school reports no concern.",
        )
        session.commit()

    response = service.client.get(
        "/v1/districts/Almaly/dashboard?month=2025-06",
        headers=service.headers(COUNCIL, "Almaly"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["on"] == "2025-06-30"
    assert body["cases_opened"] == {"value": 22, "suppressed": False}
    assert body["cases_closed"] == {"value": None, "suppressed": True}  # 9
    assert body["measures_total"]["value"] == 31
    # psychologist/delivered 22 and crisis_centre/sent 9: the 9 is hidden, and with it the 22
    # (else 31 - 22 would give it away).
    cells = {(m["measure"], m["status"]): m["count"] for m in body["measures"]}
    assert cells == {
        ("psychologist", "delivered"): {"value": None, "suppressed": True},
        ("crisis_centre", "sent"): {"value": None, "suppressed": True},
    }
    assert body["measures_due"]["value"] == 22
    assert body["delivered_on_time"]["value"] == 12
    assert body["on_time_share"]["value"] == pytest.approx(12 / 22)
    assert body["cases_with_contact"]["value"] == 22
    assert body["median_days_to_first_contact"]["value"] == 7.0  # from the list's 1 June
    repeat = {r["months"]: r for r in body["repeat"]}
    for months in (3, 6, 12):
        assert repeat[months]["cases"]["value"] == 22  # June's cases: windows not over
        assert repeat[months]["with_incident"]["value"] == 12
        assert repeat[months]["share"]["value"] == pytest.approx(12 / 22)
    followed = body["followed"]
    assert followed["raised_outside_top_k"]["value"] == 10
    assert followed["lowered_inside_top_k"] == {"value": None, "suppressed": True}
    assert followed["listed"]["value"] == (len(listed) if len(listed) >= 10 else None)
    # No count from 1 to 9 anywhere in the answer.
    assert not [n for n in _counts(body) if 0 < n < MIN_COUNT]
    assert "9" not in {str(n) for n in _counts(body)}

    with service.state.read_sessions() as session:
        logged = session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.action == "dashboard.read")
        ).all()
    assert [(e.district, e.list_month, e.username) for e in logged] == [
        ("Almaly", "2025-06", "council.almaly")
    ]


def test_dashboard_readers(service: Service) -> None:
    url = "/v1/districts/Almaly/dashboard?month=2025-06"
    auditor = service.client.get(url, headers=service.headers(UserRole.auditor))
    assert auditor.status_code == 200
    assert auditor.json()["followed"] is None  # no list that month
    assert auditor.json()["cases_opened"] == {"value": 0, "suppressed": False}
    assert service.client.get(url, headers=service.headers(COUNCIL, "Bostandyk")).status_code == 403
    for role in (UserRole.police, UserRole.school, UserRole.clinic, UserRole.guardianship):
        assert service.client.get(url, headers=service.headers(role, "Almaly")).status_code == 403
    bad = service.client.get(
        "/v1/districts/Almaly/dashboard?month=June", headers=service.headers(COUNCIL, "Almaly")
    )
    assert bad.status_code == 422
    assert "June" not in bad.text
    early = service.client.get(
        "/v1/districts/Almaly/dashboard?month=0001-01", headers=service.headers(COUNCIL, "Almaly")
    )
    assert early.status_code == 422
    assert early.json()["detail"][0]["loc"] == ["query", "month"]
