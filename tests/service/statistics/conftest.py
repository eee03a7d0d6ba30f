"""The statistics tests' service: SQLite, the lists of 2025-05 and 2025-06, a second region
(one small district) and its coordinator; built once per module (the tests only read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service.auth.roles import Principal, UserRole
from service.storage.tables import Family, User
from tests.service.conftest import Service

R = UserRole


@pytest.fixture(scope="module")
def stats(tmp_path_factory: pytest.TempPathFactory, champion: Any) -> Iterator[Service]:
    """A SQLite service with the lists of 2025-05 and 2025-06, a second region (one small
    district) and its coordinator; built once for the module (the tests only read)."""
    from service.model_source import StaticModelSource
    from tests.service.conftest import build_service

    home = tmp_path_factory.mktemp("statistics")
    generator = build_service(home, f"sqlite:///{home / 'p.db'}", StaticModelSource(champion))
    service = next(generator)
    for month in ("2025-05", "2025-06"):
        response = service.client.post(
            "/v1/lists", json={"month": month}, headers=service.headers(R.admin)
        )
        assert response.status_code == 201, response.text
    with service.state.sessions() as session:
        session.add(
            Family(
                family_id="FX0001", region="Astana", district="Esil", urban=True, n_children=1,
                ethnicity="kazakh", language="kk", income_group="middle",
                disability_in_household=False, single_parent=False,
            )
        )  # fmt: skip
        user = User(
            username="regional.astana", password_hash="!", role="regional", region="Astana",
            active=True,
        )  # fmt: skip
        session.add(user)
        session.commit()
        service.seeded.users[(R.regional, "Astana")] = Principal(
            id=user.id, username=user.username, role=R.regional, district=None,
            institution_id=None, region="Astana",
        )  # fmt: skip
    yield service
    next(generator, None)  # runs the teardown of build_service
