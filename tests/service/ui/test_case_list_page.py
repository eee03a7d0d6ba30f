"""The council's page of its district's cases: open ones by default, closed and all on request,
each linked to the family's case page, the read logged, another district refused."""

from __future__ import annotations

from sqlalchemy import select

from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry, Case
from tests.service.conftest import Service
from tests.service.ui.signin import sign_in

OWN = "Almaly"


def test_the_cases_page_lists_open_and_closed_cases(sqlite_service: Service) -> None:
    client = sqlite_service.client
    headers = sqlite_service.headers(UserRole.council, OWN)
    open_family, closed_family = sqlite_service.seeded.families[OWN][:2]
    for family in (open_family, closed_family):
        decided = client.post(
            f"/v1/families/{family}/decisions",
            json={"measures": ["psychologist"], "priority": "raise"},
            headers=headers,
        )
        assert decided.status_code == 201, decided.text
    with sqlite_service.state.sessions() as session:
        closing = session.scalars(select(Case.id).where(Case.family_id == closed_family)).one()
    closed = client.post(
        f"/v1/cases/{closing}/close", json={"note": "Help delivered, closing."}, headers=headers
    )
    assert closed.status_code == 200, closed.text

    sign_in(client, "council.almaly")
    page = client.get(f"/ui/districts/{OWN}/cases?lang=en").text
    assert f'href="/ui/families/{open_family}/case"' in page
    assert f'href="/ui/families/{closed_family}/case"' not in page
    assert "council's watch" in page.replace("&#39;", "'")
    closed_page = client.get(f"/ui/districts/{OWN}/cases?status=closed&lang=en").text
    assert f'href="/ui/families/{closed_family}/case"' in closed_page
    assert f'href="/ui/families/{open_family}/case"' not in closed_page
    every = client.get(f"/ui/districts/{OWN}/cases?status=all&lang=ru").text
    assert every.count('/case"') == 2
    assert "Дела" in every
    with sqlite_service.state.sessions() as session:
        reads = session.scalars(
            select(AccessLogEntry.action).where(
                AccessLogEntry.action == "cases.read", AccessLogEntry.district == OWN
            )
        ).all()
    assert len(reads) == 3

    sign_in(client, "council.bostandyk")
    assert client.get(f"/ui/districts/{OWN}/cases").status_code == 403
