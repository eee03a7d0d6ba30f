"""Disputes: the council records a person's dispute and its outcome; accepted corrects the
record (a new version, the old one kept), rejected says why; logged; own district only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.storage.tables import (
    AccessLogEntry,
    Correction,
    Dispute,
    RecordVersion,
    SchoolSurveyRow,
)
from tests.service.conftest import Service
from tests.service.subjects.households import Household, household

COUNCIL = UserRole.council


def dispute(service: Service, home: Household, body: dict[str, Any], *, district: str = "Almaly"):
    return service.client.post(
        f"/v1/persons/{home.adult}/disputes",
        json=body,
        headers=service.headers(COUNCIL, district),
    )


def outcome(service: Service, dispute_id: int, body: dict[str, Any], *, district: str = "Almaly"):
    return service.client.post(
        f"/v1/disputes/{dispute_id}/outcome", json=body, headers=service.headers(COUNCIL, district)
    )


def child_survey(home: Household) -> dict[str, Any]:
    return {
        "record_type": "school_survey",
        "record_id": f"ss-{home.family_id}-c",
        "field": "days_absent",
        "statement": "My son was in hospital those days; the school has the certificate.",
    }


def actions(service: Service) -> list[str]:
    with service.state.sessions() as session:
        return list(session.scalars(select(AccessLogEntry.action).order_by(AccessLogEntry.id)))


def test_an_accepted_dispute_corrects_the_record_and_keeps_the_old_version(
    service: Service,
) -> None:
    home = household(service)
    created = dispute(service, home, child_survey(home))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "open"
    decided = outcome(
        service,
        created.json()["id"],
        {"outcome": "accepted", "new_value": 0, "reason": "The hospital certificate covers it."},
    )
    assert decided.status_code == 200, decided.text
    result = decided.json()
    assert result["status"] == "accepted"
    assert result["correction_id"] is not None
    with service.state.sessions() as session:
        row = session.get(SchoolSurveyRow, f"ss-{home.family_id}-c")
        assert row is not None
        assert row.days_absent == 0
        versions = session.scalars(
            select(RecordVersion.content)
            .where(RecordVersion.record_id == f"ss-{home.family_id}-c")
            .order_by(RecordVersion.version)
        ).all()  # fmt: skip
    assert len(versions) == 2
    assert '"days_absent": 7' in versions[0]
    assert '"days_absent": 0' in versions[1]
    again = outcome(service, result["id"], {"outcome": "rejected", "reason": "Changed my mind."})
    assert again.status_code == 409
    assert actions(service)[-2:] == ["person.dispute", "person.dispute.outcome"]
    export = service.client.get(
        f"/v1/persons/{home.adult}/export", headers=service.headers(COUNCIL, "Almaly")
    ).json()
    assert [d["status"] for d in export["disputes"]] == ["accepted"]
    assert [(c["field"], c["old_value"], c["new_value"]) for c in export["corrections"]] == [
        ("days_absent", 7, 0)
    ]


def test_a_rejected_dispute_keeps_the_record_and_is_listed(service: Service) -> None:
    home = household(service)
    created = dispute(service, home, {"statement": "We were never called by the police."})
    assert created.status_code == 201, created.text
    reason = "The police record of the call was checked with the inspector."
    decided = outcome(service, created.json()["id"], {"outcome": "rejected", "reason": reason})
    assert decided.status_code == 200, decided.text
    assert decided.json()["outcome_reason"] == reason
    listed = service.client.get(
        "/v1/districts/Almaly/disputes?status=rejected", headers=service.headers(COUNCIL, "Almaly")
    )
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()] == [created.json()["id"]]
    opened = service.client.get(
        "/v1/districts/Almaly/disputes?status=open", headers=service.headers(COUNCIL, "Almaly")
    )
    assert opened.json() == []
    assert actions(service)[-1] == "disputes.read"
    with service.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Correction)) == 0


def test_another_adults_record_cannot_be_disputed(service: Service) -> None:
    home = household(service)
    body = {**child_survey(home), "record_type": "medical_screening"}
    for record_id in (f"ms-{home.family_id}-b", f"ms-{home.family_id}-o", "ms-none"):
        response = dispute(service, home, {**body, "record_id": record_id, "field": "phq2"})
        assert response.status_code == 404
        assert response.json()["detail"] == (
            "record_id: the person has no such medical_screening record"
        )
    bad_field = dispute(service, home, {**child_survey(home), "field": "phq2"})
    assert bad_field.status_code == 422
    assert bad_field.json()["detail"][0]["loc"] == ["body", "field"]
    half = dispute(service, home, {"record_type": "school_survey", "statement": "x" * 20})
    assert half.status_code == 422
    with service.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dispute)) == 0
    assert "person.dispute" not in actions(service)


def test_a_refused_correction_leaves_the_dispute_open(service: Service) -> None:
    home = household(service)
    created = dispute(service, home, child_survey(home)).json()
    bad = outcome(
        service,
        created["id"],
        {"outcome": "accepted", "new_value": 99, "reason": "The certificate says so."},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "new_value"]
    missing = outcome(service, created["id"], {"outcome": "accepted", "reason": "Agreed, fix."})
    assert missing.status_code == 422
    with service.state.sessions() as session:
        row = session.get(Dispute, created["id"])
        assert row is not None
        assert row.status == "open"
        assert session.scalar(select(func.count()).select_from(Correction)) == 0
        assert session.scalar(select(func.count()).select_from(RecordVersion)) == 0
    assert actions(service).count("person.dispute.outcome") == 0


def test_another_districts_council_is_refused(service: Service) -> None:
    home = household(service)
    refused = dispute(service, home, child_survey(home), district="Bostandyk")
    assert refused.status_code == 403
    assert "outside this council's district" in refused.json()["detail"]
    created = dispute(service, home, child_survey(home)).json()
    body = {"outcome": "rejected", "reason": "Not ours to decide at all."}
    assert outcome(service, created["id"], body, district="Bostandyk").status_code == 403
    assert outcome(service, 999_999, body).status_code == 404
    listing = service.client.get(
        "/v1/districts/Almaly/disputes", headers=service.headers(COUNCIL, "Bostandyk")
    )
    assert listing.status_code == 403
