"""The access matrix: every role x every endpoint x own and other district, and no token.

Expected outcomes are derived from one table of who may call what, so adding an endpoint means
adding one row here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from service.auth.roles import UserRole
from tests.service.conftest import Service
from tests.service.factory import DISTRICTS, NO_DISTRICT_ROLES, PASSWORD

R = UserRole
ALL_ROLES = tuple(R)
OWN, OTHER = DISTRICTS  # the target family and district are in OWN
NO_USER = 999_999


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {district}, {family}, {month} are filled in
    roles: tuple[UserRole, ...]
    scoped: bool  # family-level data: council of the district only (auditors: all districts)
    body: Any = None
    ok: int = 200
    query: str = ""  # appended to the path (filled in like it), not part of the route


def _survey(service: Service) -> dict[str, Any]:
    pid = next(iter(service.seeded.iins))
    return {
        "subject_iin": service.seeded.iins[pid], "event_date": "2025-05-01", "feels_safe": 4,
        "afraid_of_adult": False, "seen_violence": False, "hurt_by_adult": False,
        "hunger_neglect": False, "wants_counsellor": False, "unexplained_injury": False,
        "behaviour_change": False, "days_absent": 0,
    }  # fmt: skip


ENDPOINTS = [
    Endpoint("POST", "/v1/records/school-surveys", (R.school,), False, "survey", 201),
    Endpoint("POST", "/v1/records/medical-screenings", (R.clinic,), False, "screening", 201),
    Endpoint("POST", "/v1/records/police-signals", (R.police,), False, "signal", 201),
    Endpoint("POST", "/v1/records/hospital-injuries", (R.clinic,), False, "injury", 201),
    Endpoint("POST", "/v1/records/care-placements", (R.guardianship,), False, "care", 201),
    # A school survey file: only the school uploads it (the other uploaders' kinds and the
    # admin's historical files: tests/service/imports/test_upload.py).
    Endpoint("POST", "/v1/imports", (R.school,), False, "upload", 201),
    Endpoint("GET", "/v1/imports/templates/{kind}", (R.school, R.admin), False),
    # No such upload: the matrix checks who reaches the route.
    Endpoint(
        "GET",
        "/v1/imports/{import_id}",
        (R.school, R.clinic, R.police, R.guardianship, R.admin),
        False,
        None,
        404,
    ),
    Endpoint("GET", "/v1/districts/{district}/alerts", (R.council,), True),
    Endpoint("POST", "/v1/lists", (R.admin,), False, {"month": "2025-06"}, 201),
    Endpoint("GET", "/v1/districts/{district}/lists", (R.council, R.auditor), True),
    Endpoint("GET", "/v1/districts/{district}/lists/{month}", (R.council, R.auditor), True),
    Endpoint("GET", "/v1/families/{family}", (R.council,), True),
    # Subject access (issue 14) is per person; the whole-family export is retired.
    Endpoint("GET", "/v1/persons/{person_id}/export", (R.council,), True),
    Endpoint(
        "POST",
        "/v1/persons/{person_id}/disputes",
        (R.council,),
        True,
        {"statement": "The person says the school survey is wrong."},
        201,
    ),
    # No such dispute: the matrix checks who reaches the route (the district check of an
    # existing dispute: tests/service/subjects/test_disputes.py).
    Endpoint(
        "POST",
        "/v1/disputes/{dispute_id}/outcome",
        (R.council,),
        False,
        {"outcome": "rejected", "reason": "Checked with the school."},
        404,
    ),
    Endpoint("GET", "/v1/districts/{district}/disputes", (R.council,), True),
    Endpoint("GET", "/v1/families/{family}/explanation", (R.council, R.auditor), True),
    Endpoint(
        "POST",
        "/v1/families/{family}/decisions",
        (R.council,),
        True,
        {"measures": ["psychologist"], "priority": "raise"},
        201,
    ),
    Endpoint("POST", "/v1/families/{family}/corrections", (R.council,), True, "correction", 201),
    Endpoint("GET", "/v1/audit/access-log", (R.auditor,), False),
    Endpoint("GET", "/v1/audit/access-log/verify", (R.auditor,), False),
    Endpoint("POST", "/v1/audit/access-log/verify", (R.auditor,), False, {}),
    Endpoint("GET", "/v1/audit/access-log/checkpoint", (R.auditor,), False),
    # Every role reaches its own account; the same password again is refused (422), so the
    # matrix changes nothing. Logging out raises the token version (behaviour:
    # tests/service/auth/test_sessions.py); `Service.headers` follows it.
    Endpoint(
        "POST",
        "/v1/me/password",
        ALL_ROLES,
        False,
        {"current_password": PASSWORD, "new_password": PASSWORD},
        422,
    ),
    Endpoint("POST", "/v1/logout", ALL_ROLES, False, {}, 204),
    Endpoint("GET", "/v1/models", (R.auditor, R.admin), False),
    Endpoint("GET", "/v1/admin/users", (R.admin,), False),
    Endpoint("POST", "/v1/admin/users", (R.admin,), False, "user", 201),
    # No such user: the matrix checks who reaches the route without disabling anyone
    # (behaviour: tests/service/ui/test_audit_pages.py).
    Endpoint("POST", "/v1/admin/users/{user_id}/disable", (R.admin,), False, {}, 404),
    Endpoint("POST", "/v1/admin/users/{user_id}/reset-password", (R.admin,), False, {}, 404),
    Endpoint("GET", "/v1/admin/unlinked", (R.admin,), False),
    Endpoint("POST", "/v1/admin/unlinked/relink", (R.admin,), False, {}, 200),
    Endpoint(
        "PUT", "/v1/admin/districts/{district}/capacity", (R.admin,), False, {"capacity": 0.1}
    ),
    # Aggregates without names (issue 14): the council reads its own district's only; the
    # regional user (of the seeded region) its region's districts, the ministry and auditors
    # every district. Other regions and levels: tests/service/statistics/test_routes.py.
    *(
        Endpoint(
            "GET",
            path,
            (R.council, R.regional, R.ministry, R.auditor),
            True,
            query="?month=2025-06&level=district&district={district}",
        )
        for path in ("/v1/statistics", "/v1/statistics/export.csv")
    ),
    # The council's meeting (issue 12): its district's agenda and figures; auditors without
    # names. No such case: the matrix checks who reaches the follow-up.
    Endpoint(
        "GET",
        "/v1/districts/{district}/agenda",
        (R.council, R.auditor),
        True,
        query="?month=2025-06",
    ),
    Endpoint(
        "GET",
        "/v1/districts/{district}/dashboard",
        (R.council, R.auditor),
        True,
        query="?month=2025-06",
    ),
    Endpoint("GET", "/v1/cases/{case_id}/follow-up", (R.council, R.auditor), False, None, 404),
    # Case work (issue 12): the family's case and the district's cases (council of the district,
    # auditors without names); writes on a case that does not exist (who reaches them: district
    # and order checks are in tests/service/cases/); the agencies' referrals.
    Endpoint("GET", "/v1/families/{family}/case", (R.council, R.auditor), True),
    Endpoint("GET", "/v1/districts/{district}/cases", (R.council, R.auditor), True),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/measures",
        (R.council,),
        False,
        {"measure": "psychologist", "agency": "clinic", "target": "family", "due_on": "2030-01-01"},
        404,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/measures/{measure_id}/status",
        (R.council,),
        False,
        {"status": "sent"},
        404,
    ),
    Endpoint(
        "POST",
        "/v1/cases/{case_id}/close",
        (R.council,),
        False,
        {"note": "Plan delivered, closing."},
        404,
    ),
    Endpoint("GET", "/v1/referrals", (R.school, R.clinic, R.police, R.guardianship), False),
    Endpoint(
        "POST",
        "/v1/referrals/{measure_id}/status",
        (R.school, R.clinic, R.police, R.guardianship),
        False,
        {"status": "acknowledged"},
        404,
    ),
    # Front-line forms (issue 13): the institution's own records. The seeded order is the
    # record of another police institution (404: not revealed); other roles may not correct a
    # police signal (403). Behaviour: tests/service/ui/test_submissions.py.
    Endpoint("GET", "/v1/submissions", (R.school, R.clinic, R.police, R.guardianship), False),
    Endpoint(
        "POST",
        "/v1/records/{record_type}/{record_id}/corrections",
        (R.police,),
        False,
        {"changes": {"forms": ["physical"]}, "reason": "Corrected after review."},
        404,
    ),
    # Retention (issue 14): nothing in the seeded registry is past its period, so the purge
    # destroys nothing; a deletion without its reason is refused (422) after the role check,
    # so the matrix deletes nothing (behaviour: tests/service/retention/).
    Endpoint("GET", "/v1/admin/retention", (R.admin,), False),
    Endpoint("POST", "/v1/admin/retention/purge", (R.admin,), False, {}, 200),
    Endpoint(
        "POST",
        "/v1/admin/records/{record_type}/{record_id}/delete",
        (R.admin,),
        False,
        {"ground": "court_decision"},
        422,
    ),
    Endpoint(
        "POST",
        "/v1/admin/persons/{person_id}/delete",
        (R.admin,),
        False,
        {"ground": "court_decision"},
        422,
    ),
]
FAMILY_ROUTES = [e for e in ENDPOINTS if "{family}" in e.path]


def _body(service: Service, endpoint: Endpoint, family: str) -> Any:
    pid = next((p for p, f in service.seeded.family_of.items() if f == family), None)
    pid = pid or next(iter(service.seeded.iins))
    iin = service.seeded.iins[pid]
    if endpoint.body == "survey":
        return _survey(service)
    if endpoint.body == "screening":
        return {
            "subject_iin": iin, "event_date": "2025-05-01", "hits_hurt": 1, "hits_insult": 1,
            "hits_threaten": 1, "hits_scream": 1, "wast_tension": "none",
            "wast_arguments": "none", "injury_inconsistent": False, "pregnant": False,
            "phq2": 0, "alcohol_concern": False, "forms": [],
        }  # fmt: skip
    if endpoint.body == "signal":
        return {"subject_iin": iin, "event_date": "2025-05-01", "kind": "domestic_call"}
    if endpoint.body == "injury":
        return {"subject_iin": iin, "event_date": "2025-05-01", "admitted": False, "forms": []}
    if endpoint.body == "care":
        return {
            "subject_iin": iin, "event_date": "2025-05-01", "placement": "relatives",
            "temporary": True,
        }  # fmt: skip
    if endpoint.body == "user":
        return {
            "username": f"u{secrets.token_hex(4)}", "password": "x" * 16, "role": "auditor",
        }  # fmt: skip
    if endpoint.body == "correction":
        return {
            "record_type": "police_signal", "record_id": "ps-order-Almaly", "field": "forms",
            "new_value": ["physical", "psychological"], "reason": "Corrected after review.",
        }  # fmt: skip
    return endpoint.body


def _call(service: Service, endpoint: Endpoint, headers: dict[str, str], family: str) -> Any:
    path = (endpoint.path + endpoint.query).format(
        district=OWN, family=family, month="2025-06", user_id=NO_USER, kind="school_survey",
        import_id=NO_USER, case_id=NO_USER, measure_id=NO_USER,
        person_id=f"P{family}a", dispute_id=NO_USER,
        record_type="police_signal", record_id=f"ps-order-{OWN}",
    )  # fmt: skip
    if endpoint.body == "upload":
        # A subject the registry does not know: stored unlinked whichever district uploads.
        survey = {**_survey(service), "subject_iin": "850315401231"}
        content = ",".join(survey) + "\n" + ",".join(str(v).lower() for v in survey.values())
        return service.client.request(
            endpoint.method, path, headers=headers, data={"kind": "school_survey"},
            files={"file": ("surveys.csv", content.encode(), "text/csv")},
        )  # fmt: skip
    return service.client.request(
        endpoint.method, path, json=_body(service, endpoint, family), headers=headers
    )


CASES = [
    pytest.param(e, role, district, id=f"{e.method} {e.path} {role.value} {district or '-'}")
    for e in ENDPOINTS
    for role in ALL_ROLES
    for district in ((None,) if role in NO_DISTRICT_ROLES else (OWN, OTHER))
]


@pytest.fixture(scope="module")
def matrix_service(tmp_path_factory: pytest.TempPathFactory, champion: Any) -> Any:
    from service.model_source import StaticModelSource
    from tests.service.conftest import build_service

    home = tmp_path_factory.mktemp("matrix")
    generator = build_service(home, f"sqlite:///{home / 'p.db'}", StaticModelSource(champion))
    service = next(generator)
    response = service.client.post(
        "/v1/lists", json={"month": "2025-06"}, headers=service.headers(R.admin)
    )
    assert response.status_code == 201
    yield service
    next(generator, None)  # runs the teardown of build_service


@pytest.mark.parametrize(("endpoint", "role", "district"), CASES)
def test_matrix(
    matrix_service: Service, endpoint: Endpoint, role: UserRole, district: str | None
) -> None:
    family = matrix_service.seeded.with_order[OWN]
    response = _call(matrix_service, endpoint, matrix_service.headers(role, district), family)
    allowed = role in endpoint.roles
    if allowed and endpoint.scoped and role is R.council and district != OWN:
        allowed = False
    if allowed:
        assert response.status_code == endpoint.ok, response.text
    else:
        assert response.status_code == 403, response.text


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_no_token_is_401(matrix_service: Service, endpoint: Endpoint) -> None:
    family = matrix_service.seeded.with_order[OWN]
    response = _call(matrix_service, endpoint, {}, family)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = _call(matrix_service, endpoint, {"Authorization": "Bearer not-a-jwt"}, family)
    assert bad.status_code == 401


@pytest.mark.parametrize(
    ("endpoint", "role", "district"),
    [
        pytest.param(e, role, district, id=f"{e.method} {e.path} {role.value} {district or '-'}")
        for e in FAMILY_ROUTES
        for role in ALL_ROLES
        for district in ((None,) if role in NO_DISTRICT_ROLES else (OWN, OTHER))
    ],
)
def test_missing_family_is_404_only_for_allowed_roles(
    matrix_service: Service, endpoint: Endpoint, role: UserRole, district: str | None
) -> None:
    response = _call(matrix_service, endpoint, matrix_service.headers(role, district), "F-none")
    expected = 404 if role in endpoint.roles else 403
    assert response.status_code == expected, response.text


def test_every_v1_route_is_in_the_matrix(matrix_service: Service) -> None:
    spec = matrix_service.client.get("/openapi.json").json()
    routes = {
        (method.upper(), path.replace("{family_id}", "{family}"))
        for path, ops in spec["paths"].items()
        for method in ops
        if path.startswith("/v1/") and path != "/v1/token"
    }
    assert routes == {(e.method, e.path) for e in ENDPOINTS}
