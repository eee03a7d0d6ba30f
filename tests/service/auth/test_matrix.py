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
from tests.service.factory import DISTRICTS, PASSWORD

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
    Endpoint("GET", "/v1/families/{family}/export", (R.council,), True),
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
    path = endpoint.path.format(
        district=OWN, family=family, month="2025-06", user_id=NO_USER, kind="school_survey",
        import_id=NO_USER,
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
    for district in ((None,) if role in (R.auditor, R.admin) else (OWN, OTHER))
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
        for district in ((None,) if role in (R.auditor, R.admin) else (OWN, OTHER))
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
