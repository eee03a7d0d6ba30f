"""Engine and sessions: SQLite (WAL, foreign keys, synchronous FULL) or PostgreSQL.

SQLite transactions start with `BEGIN IMMEDIATE` so that a transaction which reads and then
writes takes the write lock up front instead of failing later with "database is locked". Readers
opt out with the execution option `sqlite_begin="DEFERRED"` (bulk reads, `read_connection`, and
the sessions of read-only requests, `make_sessionmaker(read_only=True)`), so they never block
submissions; a write in a deferred transaction fails at once (`PRAGMA query_only`).

Writers queue before `BEGIN IMMEDIATE` (and leave the queue right after COMMIT or ROLLBACK):
SQLite's own busy handler polls with sleeps of up to 100 ms, which under 32 concurrent requests
turned a 1 ms wait into second-long tail latencies. The queue is a `WriteQueue`: a Python lock
for the threads of one process (first come, first served), then an exclusive `flock` on
`<database>.write-queue` for the processes of one machine (several `patronage serve --workers`,
a CLI job), polled with back-off up to 2 ms because `flock` has no timeout. Between processes
the order is not first come, first served: a busy writer process can make another wait up to
the 30 s timeout. The kernel drops the lock of a process that dies. A process that does not
queue (the sqlite3 shell, say) still meets SQLite's busy timeout.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
import weakref
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


class WriteQueue:
    """The queue SQLite writers of one database wait in: threads, then processes (see above)."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}.write-queue" if database and database != ":memory:" else None
        self._fd: int | None = None
        self._pid = os.getpid()

    def acquire(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the write lock; raise sqlite3.OperationalError."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            raise sqlite3.OperationalError("database is locked (waited for the write queue)")
        try:
            if self._path is not None:
                self._lock_file(deadline)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _lock_file(self, deadline: float) -> None:
        assert self._path is not None
        if self._fd is not None and self._pid != os.getpid():
            # A forked child: the inherited descriptor shares the parent's lock; if the parent
            # died holding it, keeping that descriptor open would keep the lock held.
            os.close(self._fd)
            self._fd = None
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
            weakref.finalize(self, os.close, self._fd)
        # flock has no timeout: poll, backing off to 2 ms (SQLite's own handler backs off to
        # 100 ms, which is what made its waits slow).
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError(
                        "database is locked (waited for another process's write)"
                    ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.002)


#: One queue per database file while an engine (through its connections) still uses it.
_QUEUES: weakref.WeakValueDictionary[str, WriteQueue] = weakref.WeakValueDictionary()
_QUEUES_GUARD = threading.Lock()


def _write_queue(database: str | None) -> WriteQueue:
    with _QUEUES_GUARD:
        queue = _QUEUES.get(str(database))
        if queue is None:
            queue = _QUEUES[str(database)] = WriteQueue(database)
        return queue


class _QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions wait in the database's `WriteQueue`."""

    write_queue: WriteQueue | None = None
    holds_lock = False

    def acquire_write(self) -> None:
        if self.write_queue is None or self.holds_lock:
            return
        self.write_queue.acquire(timeout=SQLITE_BUSY_TIMEOUT_S)
        self.holds_lock = True

    def _release(self) -> None:
        if self.holds_lock and self.write_queue is not None:
            self.holds_lock = False
            self.write_queue.release()

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
    """Create the engine for `url`, creating the SQLite file's directory when needed.

    SQL errors never show their parameters (`hide_parameters`): a failed statement's message
    reaches logs, and its parameters may be names or hashed IINs."""
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
            hide_parameters=True,
        )
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        _configure_sqlite(engine, _write_queue(database))
        return engine
    return create_engine(
        url, pool_size=20, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )


def _configure_sqlite(engine: Engine, queue: WriteQueue) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN instead of the driver.
        dbapi_connection.isolation_level = None
        dbapi_connection.write_queue = queue
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
        # A deferred transaction is a read: it does not wait in the write queue, so a write in
        # it would race the queue. `query_only` makes such a write fail at once, loudly.
        conn.exec_driver_sql(f"PRAGMA query_only={'ON' if mode == 'DEFERRED' else 'OFF'}")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after it).

    With `read_only`, every transaction of a session begins deferred on SQLite (no write lock,
    and a write in it fails): the sessions of requests that only read, which must never hold
    the write lock, not even when they query again after logging their read."""
    bind = engine.execution_options(sqlite_begin="DEFERRED") if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for long reads: a deferred transaction on SQLite, so writers are not blocked."""
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="DEFERRED")
        with conn.begin():
            yield conn
