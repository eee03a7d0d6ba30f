"""Slowing down repeated failed logins, shared by every server process through the database."""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from service.db import read_connection
from service.tables import LoginFailure

#: Longest username kept as a key (the column's width); longer ones share their prefix's count.
_KEY_CHARS = 64
#: Counts idle this long are forgotten (at the next failure), so guessed usernames do not pile up.
FORGET_AFTER_S = 24 * 3600


class LoginThrottle:
    """Failed logins per (username, client), stored in the `login_failures` table.

    After `free` failures each further attempt must wait `base * 2**(failures - free)` seconds
    (capped at `cap`); a success clears the count, and so does a day without failures. The table
    makes the count the same in every process of `patronage serve --workers N` and survives a
    restart.
    """

    def __init__(
        self, engine: Engine, *, free: int = 3, base: float = 1.0, cap: float = 900.0
    ) -> None:
        self.engine = engine
        self.free = free
        self.base = base
        self.cap = cap

    def retry_after(self, username: str, client: str) -> float:
        """Seconds to wait before another attempt is allowed (0 when allowed now)."""
        query = select(LoginFailure.failures, LoginFailure.last_at).where(
            LoginFailure.username == username[:_KEY_CHARS], LoginFailure.client == client
        )
        with read_connection(self.engine) as conn:
            row = conn.execute(query).first()
        if row is None or row.failures < self.free:
            return 0.0
        delay = min(self.cap, self.base * 2.0 ** (row.failures - self.free))
        return float(max(0.0, row.last_at + delay - time.time()))

    def failed(self, username: str, client: str) -> None:
        """Count one more failure (an atomic upsert: concurrent failures all count)."""
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        now = time.time()
        statement = insert(LoginFailure).values(
            username=username[:_KEY_CHARS], client=client, failures=1, last_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[LoginFailure.username, LoginFailure.client],
            set_={"failures": LoginFailure.failures + 1, "last_at": now},
        )
        with self.engine.begin() as conn:
            conn.execute(delete(LoginFailure).where(LoginFailure.last_at < now - FORGET_AFTER_S))
            conn.execute(statement)

    def succeeded(self, username: str, client: str) -> None:
        """Clear the count after a successful login."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(LoginFailure).where(
                    LoginFailure.username == username[:_KEY_CHARS], LoginFailure.client == client
                )
            )
