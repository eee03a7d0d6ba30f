"""A person's export: their records and their children's under 18, never another adult's
screening or who reported; logged; the council of the family's district only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry
from tests.service.conftest import Service
from tests.service.subjects.households import Household, household

COUNCIL = UserRole.council


def export(service: Service, person_id: str, query: str = "", *, status: int = 200) -> Any:
    response = service.client.get(
        f"/v1/persons/{person_id}/export{query}", headers=service.headers(COUNCIL, "Almaly")
    )
    assert response.status_code == status, response.text
    return response.json()


def test_an_adults_export_holds_no_other_adults_screening(service: Service) -> None:
    home = household(service)
    data = export(service, home.adult)
    ids = {r["record_id"] for r in data["records"]}
    assert f"ms-{home.family_id}-a" in ids  # her own screening
    assert f"ss-{home.family_id}-c" in ids  # her child's survey (under 18)
    assert f"ms-{home.family_id}-b" not in ids  # the other adult's screening
    assert f"ps-{home.family_id}-b" not in ids  # a police signal naming the other adult
    assert f"ms-{home.family_id}-o" not in ids  # the adult child's screening
    assert {r["about"] for r in data["records"]} == {home.adult, home.child}
    assert data["person"]["person_id"] == home.adult
    assert [c["person_id"] for c in data["children"]] == [home.child]
    text = str(data)
    for absent in (
        home.other_adult, home.adult_child, "Other Adult", "Grown Child", "clinic-secret-17",
        "school-secret-9", "police-secret-3", "institution_id", "submitted_by", "iin_hash",
        "username", "council.almaly",
    ):  # fmt: skip
        assert absent not in text, absent
    for iin in service.seeded.iins.values():
        assert iin not in text
    own = next(r for r in data["records"] if r["record_id"] == f"ms-{home.family_id}-a")
    assert own["content"]["hits_hurt"] == 2
    assert own["source"] == "clinic"
    _the_other_adult_sees_only_their_own_screening(service, home)
    _children_can_be_left_out_and_an_adult_child_gets_only_their_own(service, home)


def _the_other_adult_sees_only_their_own_screening(service: Service, home: Household) -> None:
    data = export(service, home.other_adult)
    ids = {r["record_id"] for r in data["records"]}
    assert {f"ms-{home.family_id}-b", f"ps-{home.family_id}-b"} <= ids
    assert f"ms-{home.family_id}-a" not in ids
    assert f"ms-{home.family_id}-o" not in ids
    assert f"ss-{home.family_id}-c" in ids


def _children_can_be_left_out_and_an_adult_child_gets_only_their_own(
    service: Service, home: Household
) -> None:
    without = export(service, home.adult, "?children=false")
    assert without["children"] == []
    assert {r["about"] for r in without["records"]} == {home.adult}
    grown = export(service, home.adult_child)
    assert {r["record_id"] for r in grown["records"]} == {f"ms-{home.family_id}-o"}
    assert grown["children"] == []
    child = export(service, home.child)
    assert {r["about"] for r in child["records"]} == {home.child}


def test_the_export_is_logged_and_lists_reads_without_names(service: Service) -> None:
    home = household(service)
    service.client.get(f"/v1/families/{home.family_id}", headers=service.headers(COUNCIL, "Almaly"))
    data = export(service, home.adult)
    assert data["access_log"] == [
        {"at": data["access_log"][0]["at"], "role": "council", "action": "family.read"}
    ]
    assert "Records about other adults" in data["withheld"][0]
    # That one member asked for their export is not the others' to learn.
    other = export(service, home.other_adult)
    assert [e["action"] for e in other["access_log"]] == ["family.read"]
    with service.state.sessions() as session:
        entries = session.execute(
            select(AccessLogEntry.action, AccessLogEntry.family_id, AccessLogEntry.username)
            .order_by(AccessLogEntry.id)
        ).all()  # fmt: skip
    assert entries[-2:] == [("person.export", home.family_id, "council.almaly")] * 2


def test_another_districts_council_and_other_roles_are_refused(service: Service) -> None:
    home = household(service)
    other = service.client.get(
        f"/v1/persons/{home.adult}/export", headers=service.headers(COUNCIL, "Bostandyk")
    )
    assert other.status_code == 403
    assert "outside this council's district" in other.json()["detail"]
    for role, district in ((UserRole.auditor, None), (UserRole.clinic, "Almaly")):
        refused = service.client.get(
            f"/v1/persons/{home.adult}/export", headers=service.headers(role, district)
        )
        assert refused.status_code == 403
    missing = service.client.get(
        "/v1/persons/P-none/export", headers=service.headers(COUNCIL, "Almaly")
    )
    assert missing.status_code == 404
    assert missing.json()["detail"] == "person_id: no such person"
    with service.state.sessions() as session:
        actions = session.scalars(select(AccessLogEntry.action)).all()
    assert "person.export" not in actions
    # The whole-family export is retired: subject access is per person.
    family = service.client.get(
        f"/v1/families/{home.family_id}/export", headers=service.headers(COUNCIL, "Almaly")
    )
    assert family.status_code == 404
