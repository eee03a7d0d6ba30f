"""Engine and sessions: SQLite (WAL, foreign keys, synchronous FULL) or PostgreSQL.

SQLite transactions start with `BEGIN IMMEDIATE` so that a request which reads and then writes
(every read of family data appends to the access log) takes the write lock up front instead of
failing later with "database is locked". Bulk readers (list generation) opt out with the
execution option `sqlite_begin="DEFERRED"` so they never block submissions.

Within one process, writers queue on a Python lock before `BEGIN IMMEDIATE` (released right after
COMMIT or ROLLBACK): SQLite's own busy handler polls with sleeps of up to 100 ms, which under 32
concurrent requests turned a 1 ms wait into second-long tail latencies. Other processes still
meet SQLite's busy timeout.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

#: Seconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30


def is_sqlite(engine: Engine) -> bool:
    """True when `engine` talks to SQLite."""
    return engine.dialect.name == "sqlite"


_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(database: str) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(database, threading.Lock())


class _QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on a per-database Python lock."""

    write_lock: threading.Lock | None = None
    holds_lock = False

    def acquire_write(self) -> None:
        if self.write_lock is None or self.holds_lock:
            return
        if not self.write_lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked (waited for the write queue)")
        self.holds_lock = True

    def _release(self) -> None:
        if self.holds_lock and self.write_lock is not None:
            self.holds_lock = False
            self.write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def make_engine(url: str) -> Engine:
    """Create the engine for `url`, creating the SQLite file's directory when needed."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_S,
                "check_same_thread": False,
                "factory": _QueuedConnection,
            },
            pool_size=20,
            max_overflow=20,
        )
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        _configure_sqlite(engine, _write_lock(str(database)))
        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, lock: threading.Lock) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN instead of the driver.
        dbapi_connection.isolation_level = None
        dbapi_connection.write_lock = lock
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"sqlite_begin: expected IMMEDIATE, DEFERRED or EXCLUSIVE, got {mode}")
        if mode != "DEFERRED":
            dbapi = conn.connection.dbapi_connection
            if isinstance(dbapi, _QueuedConnection):
                dbapi.acquire_write()
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for long reads: a deferred transaction on SQLite, so writers are not blocked."""
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="DEFERRED")
        with conn.begin():
            yield conn
