"""The login throttle holds when guesses are spread over clients, usernames or forged
`X-Forwarded-For` headers (issue 15, finding 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from experiments.cli.service import proxy_options
from service.auth.login_throttle import LoginThrottle
from service.storage.db import make_engine
from service.storage.migrate import upgrade
from tests.service.conftest import Service
from tests.service.factory import PASSWORD

KEY = b"k" * 32


@pytest.fixture
def throttle(db_url: str) -> Iterator[LoginThrottle]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield LoginThrottle(engine, key=KEY, free=3, user_free=10, client_free=30, base=60.0)
    engine.dispose()


def _allowed(attempt: Callable[[int], float], limit: int) -> int:
    """How many of `limit` attempts were let through before the first refusal."""
    for n in range(limit):
        if attempt(n) > 0:
            return n
    return limit


def test_one_username_from_many_clients_is_throttled(throttle: LoginThrottle) -> None:
    allowed = _allowed(lambda n: throttle.attempt("victim", f"10.0.0.{n}"), 50)
    assert allowed == 10
    assert throttle.retry_after("victim", "192.0.2.99") > 0  # any client, also a new one
    assert throttle.attempt("someone.else", "192.0.2.99") == 0  # other accounts unaffected


def test_spraying_usernames_from_one_client_is_throttled(throttle: LoginThrottle) -> None:
    allowed = _allowed(lambda n: throttle.attempt(f"user{n}", "198.51.100.7"), 100)
    assert allowed == 30
    assert throttle.attempt("user-never-tried", "198.51.100.7") > 0
    assert throttle.attempt("user-never-tried", "198.51.100.8") == 0  # other clients unaffected


def test_success_clears_the_username_but_not_a_sprayers_budget(
    throttle: LoginThrottle,
) -> None:
    for n in range(9):  # nine failures on one account from other clients
        assert throttle.attempt("owner", f"203.0.113.{n}") == 0
    for n in range(20):  # and twenty sprayed from the owner's own address
        assert throttle.attempt(f"other{n}", "203.0.113.200") == 0
    # The owner signs in: the account's count is cleared (no lock-out by strangers) ...
    assert throttle.attempt("owner", "203.0.113.200") == 0
    throttle.succeeded("owner", "203.0.113.200")
    assert _allowed(lambda n: throttle.attempt("owner", f"203.0.113.{100 + n}"), 20) == 10
    # ... but the address keeps the twenty sprayed failures: ten more, then it must wait.
    assert _allowed(lambda n: throttle.attempt(f"more{n}", "203.0.113.200"), 20) == 10


def _guesses_until_429(client: TestClient, *, rotate: bool, username: str) -> int:
    for n in range(1, 40):
        headers = {"X-Forwarded-For": f"10.9.{n // 256}.{n % 256}"} if rotate else {}
        response = client.post(
            "/v1/token", data={"username": username, "password": f"guess {n}"}, headers=headers
        )
        if response.status_code == 429:
            return n - 1
        assert response.status_code == 401, response.text
    return 39


@pytest.mark.parametrize("trusted", ["", "192.0.2.1"])
def test_rotating_forwarded_for_from_an_untrusted_peer_changes_nothing(
    sqlite_service: Service, trusted: str
) -> None:
    """The app as `patronage serve` runs it under uvicorn (its proxy-header middleware wrapped
    around the app with `proxy_options`), reached from 127.0.0.1, which uvicorn would trust by
    default: a rotating header gets no more guesses than none."""
    config = uvicorn.Config(sqlite_service.app, **proxy_options(trusted))
    config.load()
    with TestClient(config.loaded_app, client=("127.0.0.1", 50000)) as client:
        rotating = _guesses_until_429(client, rotate=True, username="auditor.all")
        plain = _guesses_until_429(client, rotate=False, username="council.almaly")
    assert rotating == plain == 3


def test_a_trusted_proxy_is_believed_and_one_account_still_holds(sqlite_service: Service) -> None:
    """Behind a configured proxy each forwarded address is its own client, so a botnet's
    rotating addresses are only slowed by the per-username count (ten failures)."""
    config = uvicorn.Config(sqlite_service.app, **proxy_options("127.0.0.1"))
    config.load()
    with TestClient(config.loaded_app, client=("127.0.0.1", 50000)) as client:
        assert _guesses_until_429(client, rotate=True, username="auditor.all") == 10
        # A right password from a fresh address is refused too while the account must wait.
        response = client.post(
            "/v1/token",
            data={"username": "auditor.all", "password": PASSWORD},
            headers={"X-Forwarded-For": "10.200.0.1"},
        )
        assert response.status_code == 429


def test_spraying_through_the_token_route_is_throttled(sqlite_service: Service) -> None:
    codes = [
        sqlite_service.client.post(
            "/v1/token", data={"username": f"nobody{n}", "password": "Spring2025!"}
        ).status_code
        for n in range(32)
    ]
    assert codes == [401] * 30 + [429, 429]


def test_patronage_serve_hands_only_the_configured_proxies_to_uvicorn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from experiments.cli.service import run_server
    from service.settings import get_settings

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **kwargs: calls.append(kwargs))
    monkeypatch.delenv("PATRONAGE_TRUSTED_PROXIES", raising=False)
    get_settings.cache_clear()
    try:
        run_server("127.0.0.1", 8000)
        monkeypatch.setenv("PATRONAGE_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
        get_settings.cache_clear()
        run_server("127.0.0.1", 8000)
    finally:
        get_settings.cache_clear()
    assert calls[0]["proxy_headers"] is False  # uvicorn's default would trust 127.0.0.1
    assert calls[1]["proxy_headers"] is True
    assert calls[1]["forwarded_allow_ips"] == ["10.0.0.5", "10.1.0.0/16"]
