"""The reads of family data the audit tests log: a council member of Almaly opens families."""

from __future__ import annotations

import httpx

from service.auth.roles import UserRole
from tests.service.conftest import Service


def get_family(service: Service, family: str | None = None, *, status: int = 200) -> httpx.Response:
    """GET `/v1/families/{family}` (default: Almaly's first) as its council; asserts `status`."""
    family = family or service.seeded.families["Almaly"][0]
    response: httpx.Response = service.client.get(
        f"/v1/families/{family}", headers=service.headers(UserRole.council, "Almaly")
    )
    assert response.status_code == status, response.text
    return response


def read_families(service: Service, n: int = 1) -> list[str]:
    """`n` reads of Almaly's families (in turn), each logged in a batch of its own; the ids."""
    families = service.seeded.families["Almaly"]
    read = [families[i % len(families)] for i in range(n)]
    for family in read:
        get_family(service, family)
    return read
