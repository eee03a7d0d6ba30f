"""Slowing down repeated failed logins, shared by every server process through the database.

Three counts slow an attacker down, each on its own:

- per username and client: a person who mistypes their own password;
- per username, whatever the client: guesses against one account spread over many addresses
  (a botnet, or rotating `X-Forwarded-For` where a proxy header is believed);
- per client, whatever the username: password spraying, one common password tried on many
  accounts from one address.

The client is the TCP peer unless the request came through a proxy listed in
`PATRONAGE_TRUSTED_PROXIES` (uvicorn resolves `X-Forwarded-For` only for those), so a header
alone cannot make one client look like many.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from service.storage.db import read_connection
from service.storage.tables import LoginFailure

#: Counts idle this long are forgotten (at the next attempt), so guessed usernames do not pile up.
FORGET_AFTER_S: Final = 24 * 3600
#: Width of the client column: longer client addresses are cut (they are addresses, not keys).
_CLIENT_CHARS: Final = 64
#: One lock for all attempts on PostgreSQL ("thrt"); SQLite's write lock serialises them there.
_PG_LOCK_ID: Final = 0x74687274
#: The client column of a username's count over all clients (no address is a single star).
ANY_CLIENT: Final = "*"
#: The username column of a client's count over all usernames (never a hex digest).
ANY_USER: Final = "*" * 64


class LoginThrottle:
    """Failed logins in the `login_failures` table, counted three ways (see the module).

    Once a count has reached its free attempts (`free` per username and client, `user_free`
    per username, `client_free` per client), each further attempt must wait
    `base * 2**(failures - free)` seconds after the last one (capped at `cap`).

    `attempt` counts an attempt as failed *before* the slow password check, in one serialised
    transaction, and `succeeded` takes it back: concurrent attempts cannot all pass the check
    before any of them is counted. A success clears the username's counts (the right password
    was shown; keeping its owner slowed down would let anyone lock them out) but only takes its
    own attempt off the client's count, so one valid account cannot reset a sprayer's budget.
    A day without attempts forgets a count. The table makes the counts the same in every process
    of `patronage serve --workers N` and survives a restart. Usernames are stored as a keyed
    hash, so a password typed into the username field is not kept in clear.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        key: bytes,
        free: int = 3,
        user_free: int = 10,
        client_free: int = 30,
        base: float = 1.0,
        cap: float = 900.0,
    ) -> None:
        self.engine = engine
        self.key = key
        self.free = free
        self.user_free = user_free
        self.client_free = client_free
        self.base = base
        self.cap = cap

    def _keys(self, username: str, client: str) -> list[tuple[str, str, int]]:
        """(username column, client column, free attempts) of the three counts."""
        user = hmac.new(self.key, username.encode(), hashlib.sha256).hexdigest()
        client = client[:_CLIENT_CHARS]
        return [
            (user, client, self.free),
            (user, ANY_CLIENT, self.user_free),
            (ANY_USER, client, self.client_free),
        ]

    def _wait(self, failures: int, last_at: float, now: float, free: int) -> float:
        if failures < free:
            return 0.0
        delay = min(self.cap, self.base * 2.0 ** (failures - free))
        return float(max(0.0, last_at + delay - now))

    def _longest_wait(self, conn: Connection, username: str, client: str, now: float) -> float:
        wait = 0.0
        for user_key, client_key, free in self._keys(username, client):
            row = conn.execute(
                select(LoginFailure.failures, LoginFailure.last_at).where(
                    LoginFailure.username == user_key, LoginFailure.client == client_key
                )
            ).first()
            if row is not None:
                wait = max(wait, self._wait(row.failures, row.last_at, now, free))
        return wait

    def attempt(self, username: str, client: str) -> float:
        """Seconds to wait before an attempt is allowed; 0 means allowed, and then the attempt
        is already counted as a failure until `succeeded` clears it."""
        now = time.time()
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        with self.engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE, serialised
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            conn.execute(delete(LoginFailure).where(LoginFailure.last_at < now - FORGET_AFTER_S))
            wait = self._longest_wait(conn, username, client, now)
            if wait > 0:
                return wait
            for user_key, client_key, _free in self._keys(username, client):
                statement = insert(LoginFailure).values(
                    username=user_key, client=client_key, failures=1, last_at=now
                )
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=[LoginFailure.username, LoginFailure.client],
                        set_={"failures": LoginFailure.failures + 1, "last_at": now},
                    )
                )
        return 0.0

    def retry_after(self, username: str, client: str) -> float:
        """Seconds to wait before another attempt would be allowed (0 when allowed now)."""
        with read_connection(self.engine) as conn:
            return self._longest_wait(conn, username, client, time.time())

    def succeeded(self, username: str, client: str) -> None:
        """Clear the username's counts after a successful login and take this attempt off the
        client's count over all usernames."""
        (user, client_key, _), (_, any_client, _), (any_user, _, _) = self._keys(username, client)
        with self.engine.begin() as conn:
            conn.execute(
                delete(LoginFailure).where(
                    LoginFailure.username == user,
                    LoginFailure.client.in_([client_key, any_client]),
                )
            )
            conn.execute(
                update(LoginFailure)
                .where(
                    LoginFailure.username == any_user,
                    LoginFailure.client == client_key,
                    LoginFailure.failures > 0,
                )
                .values(failures=LoginFailure.failures - 1)
            )
