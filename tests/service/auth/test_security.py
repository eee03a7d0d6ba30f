"""Passwords, tokens, IIN hashes, secrets, login throttling and the token route."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select, update

from service.auth.login_throttle import FORGET_AFTER_S, LoginThrottle
from service.auth.roles import UserRole
from service.auth.security import (
    InsecureSettingsError,
    InvalidTokenError,
    create_access_token,
    decode_access_token,
    hash_iin,
    hash_password,
    resolve_secrets,
    verify_password,
)
from service.main import create_app
from service.model_source import StaticModelSource
from service.settings import Settings
from service.storage.db import make_engine
from service.storage.migrate import upgrade
from service.storage.tables import LoginFailure
from tests.service.conftest import TOKEN_KEY, Service
from tests.service.factory import PASSWORD


def test_password_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "a long passphrasE")
    assert not verify_password("not a hash", "x")


def test_token_round_trip_expiry_and_tamper() -> None:
    token, _ = create_access_token(
        user_id=3, username="u", role="council", key=TOKEN_KEY, minutes=1
    )
    assert decode_access_token(token, key=TOKEN_KEY).user_id == 3
    with pytest.raises(InvalidTokenError):
        decode_access_token(token, key=TOKEN_KEY + "other")
    with pytest.raises(InvalidTokenError):
        decode_access_token(token[:-2] + "xx", key=TOKEN_KEY)
    expired, _ = create_access_token(
        user_id=3, username="u", role="council", key=TOKEN_KEY, minutes=-1
    )
    with pytest.raises(InvalidTokenError) as info:
        decode_access_token(expired, key=TOKEN_KEY)
    assert expired not in str(info.value)


def test_iin_hash_is_keyed() -> None:
    iin = "850315401231"
    assert hash_iin(iin, key=b"k1" * 20) != hash_iin(iin, key=b"k2" * 20)
    assert hash_iin(iin, key=b"k1" * 20) == hash_iin(iin, key=b"k1" * 20)
    assert iin not in hash_iin(iin, key=b"k1" * 20)


@pytest.mark.parametrize(
    ("token_key", "iin_key"),
    [(None, None), ("x" * 40, None), (None, "y" * 40), ("changeme", "y" * 40), ("short", "y" * 40)],
)
def test_refuses_to_start_without_real_secrets(
    tmp_path: Path, token_key: str | None, iin_key: str | None
) -> None:
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        token_key=token_key,
        iin_hash_key=iin_key,
        demo=False,
    )
    with pytest.raises(InsecureSettingsError) as info:
        create_app(settings, models=StaticModelSource())
    if token_key:
        assert token_key not in str(info.value)
    assert not (tmp_path / "p.db").exists(), "nothing is created before the secrets check"


def test_demo_generates_and_keeps_secrets(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, demo=True)
    first = resolve_secrets(settings)
    second = resolve_secrets(settings)
    assert first == second
    assert len(first.token_key) >= 32
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_throttle_grows_exponentially_and_is_shared_through_the_database(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    key = b"k" * 32
    throttle = LoginThrottle(engine, key=key, free=2, base=10.0)
    # Each allowed attempt counts as a failure until `succeeded` takes it back.
    assert throttle.attempt("u", "c") == 0
    assert throttle.attempt("u", "c") == 0
    wait = throttle.attempt("u", "c")  # two failures: the third must wait 10 s
    assert 9 < wait <= 10
    assert throttle.retry_after("u", "c") == pytest.approx(wait, abs=1)
    # Another server process (another throttle on the same database) sees the same count.
    other_process = LoginThrottle(make_engine(db_url), key=key, free=2, base=10.0)
    assert 9 < other_process.attempt("u", "c") <= 10  # refused, not counted again
    assert throttle.attempt("u", "other-client") == 0
    assert throttle.attempt("x" * 500, "c" * 500) == 0  # longer than the columns: no error
    throttle.succeeded("u", "c")
    assert throttle.retry_after("u", "c") == 0
    # Usernames are kept as a keyed hash: a password typed as a username is not stored.
    with engine.connect() as conn:
        stored = set(conn.execute(select(LoginFailure.username)).scalars())
    assert "u" not in stored
    assert all(len(name) == 64 for name in stored)
    # A day without attempts forgets a count (at the next attempt of anyone).
    for _ in range(2):
        throttle.attempt("v", "c")
    assert throttle.retry_after("v", "c") > 0
    with engine.begin() as conn:
        conn.execute(update(LoginFailure).values(last_at=LoginFailure.last_at - FORGET_AFTER_S - 1))
    throttle.attempt("w", "c")
    assert throttle.retry_after("v", "c") == 0
    other_process.engine.dispose()
    engine.dispose()


def test_parallel_guesses_are_all_counted(db_url: str) -> None:
    """Attempts that arrive together cannot all pass before any is counted: with 3 free
    attempts, 12 parallel guesses let exactly 3 through."""
    from concurrent.futures import ThreadPoolExecutor

    engine = make_engine(db_url)
    upgrade(engine)
    throttle = LoginThrottle(engine, key=b"k" * 32, free=3, base=30.0)
    with ThreadPoolExecutor(max_workers=12) as pool:
        waits = list(pool.map(lambda _n: throttle.attempt("victim", "c"), range(12)))
    assert sum(1 for w in waits if w == 0) == 3
    engine.dispose()


def test_login_issues_a_token_that_works(sqlite_service: Service) -> None:
    response = sqlite_service.client.post(
        "/v1/token", data={"username": "council.almaly", "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    months = sqlite_service.client.get(
        "/v1/districts/Almaly/lists", headers={"Authorization": f"Bearer {token}"}
    )
    assert months.status_code == 200
    # The web UI keeps the same token in an HttpOnly cookie, which is no API credential: a
    # browser would send it with requests another site makes (issue 15, finding 5).
    sqlite_service.client.cookies.set("patronage_token", token)
    by_cookie = sqlite_service.client.get("/v1/districts/Almaly/lists")
    sqlite_service.client.cookies.clear()
    assert by_cookie.status_code == 401


def test_failed_logins_are_slowed_down_and_not_logged_with_secrets(
    sqlite_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    sqlite_service.state.throttle = LoginThrottle(
        sqlite_service.state.engine, key=b"k" * 32, free=3, base=30.0
    )
    caplog.set_level(logging.DEBUG)
    codes = []
    for _ in range(5):
        response = sqlite_service.client.post(
            "/v1/token", data={"username": "auditor.all", "password": "wrong password 1"}
        )
        codes.append(response.status_code)
    assert codes == [401, 401, 401, 429, 429]
    assert int(response.headers["Retry-After"]) > 0
    # Even the right password waits while throttled.
    right = sqlite_service.client.post(
        "/v1/token", data={"username": "auditor.all", "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "wrong password" not in caplog.text
    assert PASSWORD not in caplog.text


def test_deactivated_user_token_stops_working(sqlite_service: Service) -> None:
    from service.storage.tables import User

    headers = sqlite_service.headers(UserRole.auditor)
    url = "/v1/audit/access-log"
    assert sqlite_service.client.get(url, headers=headers).status_code == 200
    with sqlite_service.state.sessions() as session:
        user = session.get(User, sqlite_service.user(UserRole.auditor).id)
        assert user is not None
        user.active = False
        session.commit()
    assert sqlite_service.client.get(url, headers=headers).status_code == 401


def test_root_sends_browsers_to_the_pages(sqlite_service: Service) -> None:
    response = sqlite_service.client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"


def test_database_errors_answer_without_row_values(
    sqlite_service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL quotes the failing row in its error message; a row may hold a name."""
    import sqlalchemy.exc

    from service.lists import routes

    def failing(*_args: object, **_kwargs: object) -> list[str]:
        raise sqlalchemy.exc.IntegrityError(
            "INSERT INTO persons ...",
            {"full_name": "Secret Name"},
            Exception("DETAIL: Failing row contains (P1, Secret Name)"),
        )

    monkeypatch.setattr(routes, "list_months", failing)
    caplog.set_level(logging.DEBUG)
    response = sqlite_service.client.get(
        "/v1/districts/Almaly/lists", headers=sqlite_service.headers(UserRole.council, "Almaly")
    )
    assert response.status_code == 503
    assert "Secret Name" not in response.text
    assert "Secret Name" not in caplog.text
    assert "database error" in caplog.text
