"""Regional users need a region of the registry (and no district); the ministry has neither;
no other role has a region. Refusals name the field and store nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.storage.tables import User
from tests.service.conftest import Service
from tests.service.factory import REGION

PASSWORD = "a long passphrase of five words"


def _create(service: Service, **fields: Any) -> Any:
    body = {"username": "new.user", "password": PASSWORD, **fields}
    return service.client.post(
        "/v1/admin/users", json=body, headers=service.headers(UserRole.admin)
    )


def test_a_regional_user_is_bound_to_a_region_of_the_registry(service: Service) -> None:
    response = _create(service, role="regional", region=REGION)
    assert response.status_code == 201, response.text
    assert response.json()["region"] == REGION
    assert response.json()["district"] is None
    token = service.client.post("/v1/token", data={"username": "new.user", "password": PASSWORD})
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # bound to the region: no lists, no families, other regions refused
    assert service.client.get("/v1/districts/Almaly/lists", headers=headers).status_code == 403
    other = service.client.get(
        "/v1/statistics",
        params={"month": "2025-06", "level": "region", "region": "Astana"},
        headers=headers,
    )
    assert other.status_code == 404  # no such region in this registry: named, not leaked
    assert other.json()["detail"].startswith("region:")


#: (fields, the field the refusal names)
BAD = [
    ({"role": "regional"}, "region"),
    ({"role": "regional", "region": "Atlantis"}, "region"),
    ({"role": "regional", "region": REGION, "district": "Almaly"}, "district"),
    ({"role": "ministry", "district": "Almaly"}, "district"),
    ({"role": "council", "district": "Almaly", "region": REGION}, "region"),
    ({"role": "ministry", "region": REGION}, "region"),
]


def test_bad_scopes_name_the_field_and_store_nothing(service: Service) -> None:
    with service.state.read_sessions() as session:
        before = session.scalar(select(func.count()).select_from(User))
    for fields, field in BAD:
        response = _create(service, **fields)
        assert response.status_code == 422, (fields, response.text)
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["body", field], fields
        assert "Atlantis" not in detail["msg"]
    with service.state.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == before
    # the ministry needs no scope at all
    response = _create(service, role="ministry")
    assert response.status_code == 201, response.text
    assert response.json()["region"] is None
