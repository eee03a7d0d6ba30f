"""Slowing down repeated failed logins, shared by every server process through the database."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite

from service.storage.db import read_connection
from service.storage.tables import LoginFailure

#: Counts idle this long are forgotten (at the next attempt), so guessed usernames do not pile up.
FORGET_AFTER_S: Final = 24 * 3600
#: Width of the client column: longer client addresses are cut (they are addresses, not keys).
_CLIENT_CHARS: Final = 64
#: One lock for all attempts on PostgreSQL ("thrt"); SQLite's write lock serialises them there.
_PG_LOCK_ID: Final = 0x74687274


class LoginThrottle:
    """Failed logins per (username, client), stored in the `login_failures` table.

    After `free` failures each further attempt must wait `base * 2**(failures - free)` seconds
    (capped at `cap`); a success clears the count, and so does a day without attempts.

    `attempt` counts an attempt as failed *before* the slow password check, in one serialised
    transaction, and `succeeded` takes it back: concurrent attempts cannot all pass the check
    before any of them is counted. The table makes the count the same in every process of
    `patronage serve --workers N` and survives a restart. Usernames are stored as a keyed hash,
    so a password typed into the username field is not kept in clear.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        key: bytes,
        free: int = 3,
        base: float = 1.0,
        cap: float = 900.0,
    ) -> None:
        self.engine = engine
        self.key = key
        self.free = free
        self.base = base
        self.cap = cap

    def _ids(self, username: str, client: str) -> tuple[str, str]:
        digest = hmac.new(self.key, username.encode(), hashlib.sha256).hexdigest()
        return digest, client[:_CLIENT_CHARS]

    def _wait(self, failures: int, last_at: float, now: float) -> float:
        if failures < self.free:
            return 0.0
        delay = min(self.cap, self.base * 2.0 ** (failures - self.free))
        return float(max(0.0, last_at + delay - now))

    def attempt(self, username: str, client: str) -> float:
        """Seconds to wait before an attempt is allowed; 0 means allowed, and then the attempt
        is already counted as a failure until `succeeded` clears it."""
        user_key, client = self._ids(username, client)
        now = time.time()
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        with self.engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE, serialised
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            conn.execute(delete(LoginFailure).where(LoginFailure.last_at < now - FORGET_AFTER_S))
            row = conn.execute(
                select(LoginFailure.failures, LoginFailure.last_at).where(
                    LoginFailure.username == user_key, LoginFailure.client == client
                )
            ).first()
            wait = self._wait(row.failures, row.last_at, now) if row is not None else 0.0
            if wait > 0:
                return wait
            statement = insert(LoginFailure).values(
                username=user_key, client=client, failures=1, last_at=now
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
        user_key, client = self._ids(username, client)
        with read_connection(self.engine) as conn:
            row = conn.execute(
                select(LoginFailure.failures, LoginFailure.last_at).where(
                    LoginFailure.username == user_key, LoginFailure.client == client
                )
            ).first()
        return self._wait(row.failures, row.last_at, time.time()) if row is not None else 0.0

    def succeeded(self, username: str, client: str) -> None:
        """Clear the count after a successful login (the attempt's own count included)."""
        user_key, client = self._ids(username, client)
        with self.engine.begin() as conn:
            conn.execute(
                delete(LoginFailure).where(
                    LoginFailure.username == user_key, LoginFailure.client == client
                )
            )
