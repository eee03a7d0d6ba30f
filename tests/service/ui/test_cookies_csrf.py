"""The page cookie is no API credential, every form post carries a CSRF token (the sign-in
form too), and cookies are `Secure` over HTTPS (issue 15, finding 5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.auth.access import TOKEN_COOKIE
from service.auth.roles import UserRole
from service.main import create_app
from service.model_source import StaticModelSource
from service.storage.tables import User
from service.ui.auth import LOGIN_COOKIE, csrf_token_for
from tests.service.conftest import TOKEN_KEY, Service, make_settings
from tests.service.factory import DISTRICTS, PASSWORD, seed_registry
from tests.service.ui.signin import login_form_token, sign_in

EVIL = "https://evil.example"


def _active(service: Service, username: str) -> bool:
    with service.state.sessions() as session:
        return bool(session.scalar(select(User.active).where(User.username == username)))


def test_a_cross_origin_api_write_with_only_the_cookie_is_refused(
    sqlite_service: Service,
) -> None:
    """What a foreign page makes a signed-in admin's browser send: the cookie, no header."""
    client = sqlite_service.client
    sign_in(client, "admin.all")
    target = sqlite_service.user(UserRole.school, "Almaly")
    for action in ("disable", "reset-password"):
        response = client.post(
            f"/v1/admin/users/{target.id}/{action}",
            headers={"Origin": EVIL, "Referer": EVIL + "/"},
        )
        assert response.status_code == 401, response.text
    assert _active(sqlite_service, target.username)
    # Reads are refused the same way: the cookie opens /ui only.
    assert client.get("/v1/admin/users").status_code == 401
    assert client.get("/ui/audit/models").status_code == 200


def test_the_login_form_refuses_a_post_without_its_csrf_token(sqlite_service: Service) -> None:
    client = sqlite_service.client
    client.cookies.clear()
    data = {"username": "admin.all", "password": PASSWORD}
    refused = client.post("/ui/login", data=data, follow_redirects=False)
    assert refused.status_code == 403
    assert TOKEN_COOKIE not in refused.cookies
    # A token from another browser's form (its own cookie missing here) is refused as well.
    token = login_form_token(client)
    client.cookies.clear()
    again = client.post("/ui/login", data={**data, "csrf_token": token}, follow_redirects=False)
    assert again.status_code == 403
    # With the form's own token and cookie, signing in works.
    token = login_form_token(client)
    assert client.cookies.get(LOGIN_COOKIE)
    ok = client.post("/ui/login", data={**data, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.cookies.get(TOKEN_COOKIE)


def test_every_page_form_post_needs_the_session_token(sqlite_service: Service) -> None:
    client = sqlite_service.client
    sign_in(client, "admin.all")
    target = sqlite_service.user(UserRole.school, "Almaly")
    for path in (f"/ui/admin/users/{target.id}/disable", "/ui/logout"):
        assert client.post(path, data={}, follow_redirects=False).status_code == 403
        wrong = {"csrf_token": "0" * 64}
        assert client.post(path, data=wrong, follow_redirects=False).status_code == 403
    assert _active(sqlite_service, target.username)
    token = csrf_token_for(client.cookies.get(TOKEN_COOKIE) or "", key=TOKEN_KEY)
    response = client.post(
        f"/ui/admin/users/{target.id}/disable",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code in (200, 303)
    assert not _active(sqlite_service, target.username)


def _set_cookie_headers(response: object) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k == "set-cookie"]  # type: ignore[attr-defined]


def _login(client: TestClient) -> tuple[str, str]:
    """The Set-Cookie headers of the sign-in form and of signing in. The form's cookie is sent
    back by hand: a client over plain HTTP rightly keeps a `Secure` cookie to itself."""
    form = client.get("/ui/login")
    (login_cookie,) = _set_cookie_headers(form)
    nonce = login_cookie.split(";")[0].split("=", 1)[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.cookies.clear()
    response = client.post(
        "/ui/login",
        data={"username": "admin.all", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Cookie": f"{LOGIN_COOKIE}={nonce}"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    (session_cookie,) = _set_cookie_headers(response)
    return login_cookie, session_cookie


@pytest.fixture
def https_client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(
        make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}"), models=StaticModelSource()
    )
    with app.state.patronage.sessions() as session:
        seed_registry(session, iin_key=app.state.patronage.secrets.iin_hash_key)
    with TestClient(app, base_url="https://testserver") as client:
        yield client
    app.state.patronage.engine.dispose()


def test_cookies_are_secure_over_https(https_client: TestClient) -> None:
    login_cookie, session_cookie = _login(https_client)
    assert login_cookie.startswith(LOGIN_COOKIE + "=")
    assert "Secure" in login_cookie
    assert session_cookie.startswith(TOKEN_COOKIE + "=")
    for attribute in ("Secure", "HttpOnly", "SameSite=lax"):
        assert attribute in session_cookie


def test_cookies_are_not_secure_over_plain_http_unless_forced(tmp_path: Path) -> None:
    for forced in (False, True):
        home = tmp_path / str(forced)
        settings = make_settings(home, f"sqlite:///{home / 'p.db'}").model_copy(
            update={"secure_cookies": forced}
        )
        app = create_app(settings, models=StaticModelSource())
        with app.state.patronage.sessions() as session:
            seed_registry(session, iin_key=app.state.patronage.secrets.iin_hash_key)
        with TestClient(app) as client:
            cookies = _login(client)
        assert all(("Secure" in cookie) is forced for cookie in cookies)
        app.state.patronage.engine.dispose()


def test_a_language_chosen_on_the_start_page_follows_the_redirect(
    sqlite_service: Service,
) -> None:
    """`/ui/?lang=kk` sends a council member to the lists in Kazakh, and remembers it."""
    client = sqlite_service.client
    sign_in(client, sqlite_service.user(UserRole.council, DISTRICTS[0]).username)
    response = client.get("/ui/?lang=kk", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/lists?lang=kk")
    page = client.get(response.headers["location"])
    assert '<html lang="kk">' in page.text
    assert client.cookies.get("patronage_lang") == "kk"
    unknown = client.get("/ui/?lang=xx", follow_redirects=False)
    assert "lang=" not in unknown.headers["location"]
