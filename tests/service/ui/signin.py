"""Signing a test client in through the sign-in form, with the form's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.service.factory import PASSWORD


def login_form_token(client: TestClient) -> str:
    """Open the sign-in form (which sets its cookie) and return its CSRF token."""
    form = client.get("/ui/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found is not None, "the sign-in form carries no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign `client` in as `username` (cookies cleared first); fails unless redirected."""
    client.cookies.clear()
    response = client.post(
        "/ui/login",
        data={"username": username, "password": password, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
