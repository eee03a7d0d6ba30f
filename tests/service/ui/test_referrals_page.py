"""The referrals page of the front-line agencies (issue 13): the referrals addressed to them,
with the family's names and no score, and their steps recorded through the cases functions."""

from __future__ import annotations

from typing import Any

from service.auth.access import TOKEN_COOKIE
from service.auth.roles import UserRole
from service.ui.auth import csrf_token_for
from tests.service.conftest import TOKEN_KEY, Service
from tests.service.ui.signin import sign_in

R = UserRole


def _sent_referral(service: Service) -> tuple[str, int]:
    """A council decision (psychologist: the clinic's measure) whose referral is sent."""
    family = service.seeded.families["Almaly"][5]
    council = service.headers(R.council, "Almaly")
    decided = service.client.post(
        f"/v1/families/{family}/decisions",
        json={"measures": ["psychologist"], "priority": "keep"},
        headers=council,
    )
    assert decided.status_code == 201, decided.text
    case = service.client.get(f"/v1/families/{family}/case", headers=council).json()
    measure = case["cases"][0]["measures"][0]
    case_id = case["cases"][0]["id"]
    sent = service.client.post(
        f"/v1/cases/{case_id}/measures/{measure['id']}/status",
        json={"status": "sent", "institution_id": "clinic-Almaly"},  # one of several clinics
        headers=council,
    )
    assert sent.status_code == 200, sent.text
    return family, int(measure["id"])


def _step(service: Service, measure_id: int, data: dict[str, Any]) -> Any:
    token = csrf_token_for(service.client.cookies.get(TOKEN_COOKIE) or "", key=TOKEN_KEY)
    return service.client.post(
        f"/ui/referrals/{measure_id}/status",
        data={"csrf_token": token, **data},
        follow_redirects=False,
    )


def test_the_clinic_sees_and_steps_through_its_referral(sqlite_service: Service) -> None:
    service = sqlite_service
    family, measure_id = _sent_referral(service)
    sign_in(service.client, "clinic.almaly")
    page = service.client.get("/ui/referrals?lang=en").text
    assert f"Name {family} adult" in page  # the family's members, by name
    assert "Psychologist" in page
    assert "Sent to the agency" in page
    for word in ("Probability", "Band", "Rank", "Reasons"):
        assert word not in page
    # A decline needs its reason: the page says so beside the referral, nothing changes.
    short = _step(service, measure_id, {"status": "declined", "note": "no"})
    assert short.status_code == 422
    assert "Expected a reason for declining of at least 10 characters." in short.text
    assert _step(service, measure_id, {"status": "acknowledged"}).status_code == 303
    page = service.client.get("/ui/referrals").text
    assert "Record: delivered" in page
    # A step the referral no longer allows: shown again, not stored.
    again = _step(service, measure_id, {"status": "acknowledged"})
    assert again.status_code == 409
    assert _step(service, measure_id, {"status": "delivered"}).status_code == 303
    done = service.client.get("/ui/referrals?status=delivered").text
    assert "Delivered" in done
    # Another district's clinic and the school see nothing of it.
    for user in ("clinic.bostandyk", "school.almaly"):
        sign_in(service.client, user)
        assert f"Name {family}" not in service.client.get("/ui/referrals").text
        assert _step(service, measure_id, {"status": "delivered"}).status_code == 404
