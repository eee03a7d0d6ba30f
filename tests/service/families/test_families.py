"""Family view, export, decisions and corrections."""

from __future__ import annotations

import pytest

from service.auth.roles import UserRole
from tests.service.conftest import Service

COUNCIL = UserRole.council


def post_decision(service: Service, family: str, body: dict[str, object]):
    return service.client.post(
        f"/v1/families/{family}/decisions", json=body, headers=service.headers(COUNCIL, "Almaly")
    )


def test_family_view_has_timeline_orders_and_names(service: Service) -> None:
    family = service.seeded.with_order["Almaly"]
    response = service.client.get(
        f"/v1/families/{family}", headers=service.headers(COUNCIL, "Almaly")
    )
    data = response.json()
    assert data["district"] == "Almaly"
    assert {p["full_name"] for p in data["persons"]} == {
        f"Name {family} adult",
        f"Name {family} child",
    }
    dates = [item["event_date"] for item in data["timeline"]]
    assert dates == sorted(dates)
    assert "ps-order-Almaly" in {item["record_id"] for item in data["timeline"]}
    assert all("subject_iin_hash" not in item["content"] for item in data["timeline"])


def test_lowering_priority_needs_a_reason(service: Service) -> None:
    family = service.seeded.families["Almaly"][0]
    short = post_decision(
        service, family, {"measures": ["no_action"], "priority": "lower", "reason": "fine now"}
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "reason"]
    raised = post_decision(service, family, {"measures": ["psychologist"], "priority": "raise"})
    assert raised.status_code == 201
    lowered = post_decision(
        service,
        family,
        {
            "measures": ["no_action"],
            "priority": "lower",
            "reason": "Order expired, school and clinic report no concerns since March.",
            "supersedes_id": raised.json()["id"],
        },
    )
    assert lowered.status_code == 201, lowered.text
    again = post_decision(
        service,
        family,
        {"measures": ["crisis_centre"], "priority": "raise", "supersedes_id": raised.json()["id"]},
    )
    assert again.status_code == 409
    view = service.client.get(
        f"/v1/families/{family}", headers=service.headers(COUNCIL, "Almaly")
    ).json()
    decisions = {d["id"]: d for d in view["decisions"]}
    assert decisions[raised.json()["id"]]["superseded_by"] == lowered.json()["id"]
    assert decisions[lowered.json()["id"]]["decided_by"] == "council.almaly"


@pytest.mark.parametrize("measure", ["therapy", "", "arrest"])
def test_measures_come_from_the_catalogue(service: Service, measure: str) -> None:
    family = service.seeded.families["Almaly"][0]
    response = post_decision(service, family, {"measures": [measure], "priority": "raise"})
    assert response.status_code == 422


def test_decision_cannot_supersede_another_familys_decision(service: Service) -> None:
    first, second = service.seeded.families["Almaly"][:2]
    decision = post_decision(service, first, {"measures": ["psychologist"]}).json()
    response = post_decision(
        service, second, {"measures": ["psychologist"], "supersedes_id": decision["id"]}
    )
    assert response.status_code == 422


def test_correction_changes_the_record_and_keeps_the_old_value(service: Service) -> None:
    family = service.seeded.with_order["Almaly"]
    headers = service.headers(COUNCIL, "Almaly")
    body = {
        "record_type": "police_signal",
        "record_id": "ps-order-Almaly",
        "field": "forms",
        "new_value": ["psychological"],
        "reason": "The inspector corrected the form of violence.",
    }
    response = service.client.post(f"/v1/families/{family}/corrections", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["old_value"] == ["physical"]
    bad = service.client.post(
        f"/v1/families/{family}/corrections",
        json={**body, "field": "valid_until", "new_value": "not a date"},
        headers=headers,
    )
    assert bad.status_code == 422
    # The subject's export (per person: the order is about the family's adult) shows both.
    export = service.client.get(f"/v1/persons/P{family}a/export", headers=headers).json()
    record = next(r for r in export["records"] if r["record_id"] == "ps-order-Almaly")
    assert record["content"]["forms"] == ["psychological"]
    assert [c["field"] for c in export["corrections"]] == ["forms"]
    assert {e["action"] for e in export["access_log"]} >= {"family.correction"}
