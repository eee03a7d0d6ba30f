"""Sessions end with their reason (issue 15, finding 2): a password reset, a disable and a
sign-out end every token and page cookie of the user; a one-time password signs in once, and
only to choose a new password."""

from __future__ import annotations

import re
import threading

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.auth.access import TOKEN_COOKIE
from service.auth.roles import UserRole
from service.auth.sessions import use_one_time_password
from service.storage.tables import User
from tests.service.conftest import TOKEN_KEY, Service
from tests.service.factory import PASSWORD

COUNCIL = "council.almaly"
NEW_PASSWORD = "a brand new passphrase"


def sign_in(service: Service, username: str, password: str) -> dict[str, object]:
    response = service.client.post("/v1/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def works(service: Service, token: object) -> int:
    """The status of a council read with `token` (200 while the session lives)."""
    response = service.client.get("/v1/districts/Almaly/lists", headers=bearer(token))
    return int(response.status_code)


def reset(service: Service, username: str = COUNCIL) -> str:
    user_id = service.user(UserRole.council, "Almaly").id
    assert username == COUNCIL
    response = service.client.post(
        f"/v1/admin/users/{user_id}/reset-password", headers=service.headers(UserRole.admin)
    )
    assert response.status_code == 200, response.text
    password: str = response.json()["one_time_password"]
    return password


# -- the API ------------------------------------------------------------------------------------


def test_a_token_stops_working_when_its_users_password_is_reset(service: Service) -> None:
    first = sign_in(service, COUNCIL, PASSWORD)["access_token"]
    second = sign_in(service, COUNCIL, PASSWORD)["access_token"]  # another device
    assert works(service, first) == 200
    reset(service)
    assert works(service, first) == 401
    assert works(service, second) == 401


def test_a_token_stops_working_when_its_user_is_disabled(service: Service) -> None:
    token = sign_in(service, COUNCIL, PASSWORD)["access_token"]
    user_id = service.user(UserRole.council, "Almaly").id
    response = service.client.post(
        f"/v1/admin/users/{user_id}/disable", headers=service.headers(UserRole.admin)
    )
    assert response.status_code == 200
    # Even with the account active again (by hand: there is no route), the old token is dead.
    with service.state.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.active = True
        session.commit()
    assert works(service, token) == 401


def test_logout_ends_every_token_of_the_user(service: Service) -> None:
    first = sign_in(service, COUNCIL, PASSWORD)["access_token"]
    second = sign_in(service, COUNCIL, PASSWORD)["access_token"]
    other_user = sign_in(service, "council.bostandyk", PASSWORD)["access_token"]
    response = service.client.post("/v1/logout", headers=bearer(first))
    assert response.status_code == 204
    assert works(service, first) == 401
    assert works(service, second) == 401
    assert service.client.get(
        "/v1/districts/Bostandyk/lists", headers=bearer(other_user)
    ).status_code == 200  # fmt: skip
    again = sign_in(service, COUNCIL, PASSWORD)["access_token"]
    assert works(service, again) == 200


def test_a_one_time_password_signs_in_once_and_only_to_change_the_password(
    service: Service,
) -> None:
    one_time = reset(service)
    signed_in = sign_in(service, COUNCIL, one_time)
    assert signed_in["password_change_required"] is True
    restricted = signed_in["access_token"]
    # Used up: the same one-time password is refused like a wrong one.
    reused = service.client.post("/v1/token", data={"username": COUNCIL, "password": one_time})
    assert reused.status_code == 401
    # The token is good for nothing else.
    refused = service.client.get("/v1/districts/Almaly/lists", headers=bearer(restricted))
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("password change required")
    # The forced change needs no current password and returns a full token.
    changed = service.client.post(
        "/v1/me/password", json={"new_password": NEW_PASSWORD}, headers=bearer(restricted)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["password_change_required"] is False
    assert works(service, changed.json()["access_token"]) == 200
    assert works(service, restricted) == 401  # the one-time session ended with the change
    assert sign_in(service, COUNCIL, NEW_PASSWORD)["password_change_required"] is False
    assert service.client.post(
        "/v1/token", data={"username": COUNCIL, "password": one_time}
    ).status_code == 401  # fmt: skip


def test_a_voluntary_change_needs_the_current_password(service: Service) -> None:
    token = sign_in(service, COUNCIL, PASSWORD)["access_token"]
    url = "/v1/me/password"
    missing = service.client.post(url, json={"new_password": NEW_PASSWORD}, headers=bearer(token))
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "current_password"]
    wrong = service.client.post(
        url,
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert wrong.status_code == 422
    assert "not my password" not in wrong.text
    same = service.client.post(
        url, json={"current_password": PASSWORD, "new_password": PASSWORD}, headers=bearer(token)
    )
    assert same.status_code == 422
    assert same.json()["detail"][0]["loc"] == ["body", "new_password"]
    short = service.client.post(
        url, json={"current_password": PASSWORD, "new_password": "short"}, headers=bearer(token)
    )
    assert short.status_code == 422
    changed = service.client.post(
        url,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.text
    assert works(service, token) == 401
    assert works(service, changed.json()["access_token"]) == 200


def test_wrong_current_passwords_are_throttled_like_sign_ins(sqlite_service: Service) -> None:
    token = sign_in(sqlite_service, COUNCIL, PASSWORD)["access_token"]
    statuses = [
        sqlite_service.client.post(
            "/v1/me/password",
            json={"current_password": f"guess number {n}", "new_password": NEW_PASSWORD},
            headers=bearer(token),
        ).status_code
        for n in range(5)
    ]
    assert statuses[:3] == [422, 422, 422]
    assert statuses[3:] == [429, 429]


def test_two_sign_ins_racing_with_one_one_time_password_cannot_both_succeed(
    service: Service,
) -> None:
    reset(service)
    user_id = service.user(UserRole.council, "Almaly").id
    with service.state.sessions() as session:
        password_hash = session.scalar(select(User.password_hash).where(User.id == user_id))
    assert password_hash is not None
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def spend() -> None:
        barrier.wait()
        results.append(
            use_one_time_password(service.state, user_id=user_id, password_hash=password_hash)
        )

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_a_token_without_a_version_is_refused(sqlite_service: Service) -> None:
    user = sqlite_service.user(UserRole.council, "Almaly")
    old_style = jwt.encode(
        {"sub": str(user.id), "name": user.username, "role": "council", "exp": 2**40},
        TOKEN_KEY,
        algorithm="HS256",
    )
    assert works(sqlite_service, old_style) == 401


# -- the pages ----------------------------------------------------------------------------------


def page_sign_in(client: TestClient, username: str, password: str) -> str:
    """Sign in through the form; the location the browser is sent to."""
    form = client.get("/ui/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post(
        "/ui/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def csrf(client: TestClient, page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert token is not None
    return token.group(1)


def test_a_page_cookie_stops_working_after_logout(sqlite_service: Service) -> None:
    client = sqlite_service.client
    assert page_sign_in(client, COUNCIL, PASSWORD) == "/ui/"
    copied = client.cookies.get(TOKEN_COOKIE)  # say, kept by someone who had the browser
    assert client.get("/ui/districts/Almaly/lists", follow_redirects=False).status_code == 200
    logout = client.post(
        "/ui/logout",
        data={"csrf_token": csrf(client, "/ui/districts/Almaly/lists")},
        follow_redirects=False,
    )
    assert logout.status_code == 303
    client.cookies.clear()
    client.cookies.set(TOKEN_COOKIE, copied)
    again = client.get("/ui/districts/Almaly/lists", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/ui/login")


def test_the_pages_force_a_password_change_after_a_reset(sqlite_service: Service) -> None:
    one_time = reset(sqlite_service)
    client = sqlite_service.client
    client.cookies.clear()
    assert page_sign_in(client, COUNCIL, one_time) == "/ui/password"
    elsewhere = client.get("/ui/districts/Almaly/lists", follow_redirects=False)
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, "/ui/password")
    form = client.get("/ui/password")
    assert form.status_code == 200
    assert 'name="current_password"' not in form.text  # spent on the sign-in
    token = csrf(client, "/ui/password")
    differ = client.post(
        "/ui/password",
        data={"new_password": NEW_PASSWORD, "new_password_again": "something else entirely",
              "csrf_token": token},
    )  # fmt: skip
    assert differ.status_code == 422
    changed = client.post(
        "/ui/password",
        data={"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD,
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert (changed.status_code, changed.headers["location"]) == (303, "/ui/")
    assert client.get("/ui/districts/Almaly/lists", follow_redirects=False).status_code == 200
    client.cookies.clear()
    assert page_sign_in(client, COUNCIL, NEW_PASSWORD) == "/ui/"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_password_page_is_translated(sqlite_service: Service, lang: str) -> None:
    from service.ui import i18n

    client = sqlite_service.client
    page_sign_in(client, COUNCIL, PASSWORD)
    page = client.get("/ui/password", headers={"Accept-Language": lang})
    expected = i18n.catalog(lang).gettext("Change your password")
    assert expected in page.text
    if lang != "en":
        assert expected != "Change your password"
