"""Demo users (random passwords in a private file), reused on re-runs."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from experiments.demo.users import ensure_demo_users, largest_districts
from service.auth.roles import UserRole
from tests.service.conftest import Service

COUNCIL = UserRole.council


def test_demo_users_file_is_private_and_passwords_work(
    sqlite_service: Service, tmp_path: Path
) -> None:
    messages: list[str] = []
    with sqlite_service.state.sessions() as session:
        assert largest_districts(session) == ["Almaly", "Bostandyk"]
        path = ensure_demo_users(session, tmp_path, say=messages.append)
    assert path.stat().st_mode & 0o777 == 0o600
    users = json.loads(path.read_text())["users"]
    roles = sorted((u["role"], u["district"]) for u in users)
    assert roles == sorted(
        [("admin", None), ("auditor", None), ("ministry", None), ("regional", None)]
        + [
            (r, d)
            for d in ("Almaly", "Bostandyk")
            for r in ("council", "school", "clinic", "police", "guardianship")
        ]
    )
    # The regional coordinator reads the region of the largest district; nobody else has one.
    assert {u["username"]: u["region"] for u in users if u["region"]} == {
        "regional.almaty": "Almaty"
    }
    assert len({u["password"] for u in users}) == len(users)
    client: TestClient = sqlite_service.client
    for user in users:
        response = client.post(
            "/v1/token", data={"username": user["username"], "password": user["password"]}
        )
        assert response.status_code == 200, user["username"]
    with sqlite_service.state.sessions() as session:
        again = ensure_demo_users(session, tmp_path, say=messages.append)
    assert json.loads(again.read_text())["users"] == users
    assert "reusing" in messages[-1]
