"""Migrations, the SQLite pragmas, the write queue, read-only sessions and the database loader."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from service.storage.db import make_engine, read_connection
from service.storage.events import load_events
from service.storage.migrate import upgrade
from service.storage.tables import Base, Person, PoliceSignalRow


def test_migrations_match_the_models_and_rerun(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent: start-up runs it every time
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_unlinked_records_are_not_loaded(tmp_path: Path) -> None:
    import datetime as dt

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    with Session(engine) as session:
        session.add(
            PoliceSignalRow(
                record_id="ps-x", family_id=None, person_id=None, subject_iin_hash="h",
                institution_id="p", event_date=dt.date(2025, 1, 1),
                knowledge_date=dt.date(2025, 1, 2), kind="domestic_call", forms="",
            )
        )  # fmt: skip
        session.commit()
        assert session.scalar(select(func.count()).select_from(PoliceSignalRow)) == 1
    with read_connection(engine) as conn:
        assert load_events(conn).police_signals.height == 0
    engine.dispose()


def _in_child(code: str, database: Path) -> subprocess.Popen[str]:
    """Run `code` in another Python process with `DB` bound to the database path."""
    prelude = f"import sqlite3, time\nfrom pathlib import Path\nDB = Path({str(database)!r})\n"
    return subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sqlite_writers_of_several_processes_queue_for_the_lock(tmp_path: Path) -> None:
    """A writer in another process (a second `serve` worker, a CLI job) waits in the same queue
    and gets the lock as soon as it is released; with a short timeout it gives up clearly."""
    database = tmp_path / "p.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.connect() as holder:
        holder.begin()  # BEGIN IMMEDIATE: this process now holds the write queue
        holder.execute(text("INSERT INTO login_failures VALUES ('a', 'c', 1, 0.0)"))
        gives_up = _in_child(
            """
            from service.storage.db import WriteQueue
            try:
                WriteQueue(str(DB)).acquire(timeout=0.3)
            except sqlite3.OperationalError as exc:
                print(exc)
            """,
            database,
        )
        waits = _in_child(
            """
            from sqlalchemy import text
            from service.storage.db import make_engine
            engine = make_engine(f"sqlite:///{DB}")
            t0 = time.monotonic()
            with engine.begin() as conn:
                waited = time.monotonic() - t0
                conn.execute(text("INSERT INTO login_failures VALUES ('b', 'c', 1, 0.0)"))
            print(f"{waited:.3f}")
            """,
            database,
        )
        out, err = gives_up.communicate(timeout=30)
        assert "another process" in out, err
        time.sleep(1.0)
        assert waits.poll() is None  # still queued behind this process's write
        holder.commit()
    out, err = waits.communicate(timeout=30)
    assert waits.returncode == 0, err
    assert float(out) >= 1.0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_failures")).scalar() == 2
    engine.dispose()


def test_read_only_sessions_never_hold_the_write_lock(tmp_path: Path) -> None:
    """The sessions of read-only requests: a query after logging a read (which ends the read
    transaction) begins another read, not a write, so submissions never wait for a page being
    rendered; and a write in such a session fails at once instead of racing the queue."""
    import sqlalchemy.exc

    from service.audit import access_log
    from service.auth.roles import Principal, UserRole
    from service.storage.db import make_sessionmaker
    from service.storage.tables import AccessLogEntry, LoginFailure

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    reads = make_sessionmaker(engine, read_only=True)
    writes = make_sessionmaker(engine)
    user = Principal(id=1, username="a", role=UserRole.auditor, district=None, institution_id=None)
    with reads() as session:
        access_log.begin_read(session)
        access_log.log_read(session, user=user, action="test.read")
        assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == 1
        # The read session's transaction is open; a writer still gets in at once.
        with writes() as writer:
            writer.add(LoginFailure(username="u", client="c", failures=1, last_at=0.0))
            writer.commit()
        session.add(LoginFailure(username="v", client="c", failures=1, last_at=0.0))
        with pytest.raises(sqlalchemy.exc.OperationalError, match="readonly"):
            session.flush()
    with writes() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1
    engine.dispose()


def test_sql_errors_do_not_show_their_parameters(db_url: str) -> None:
    """A failed statement's message reaches the logs; its parameters may be names."""
    import sqlalchemy.exc

    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session:
        session.add(
            Person(
                person_id="P1", family_id="no-such-family", role="adult", sex="female",
                birth_year=1990, full_name="Secret Name", iin_hash="h" * 64,
            )
        )  # fmt: skip
        with pytest.raises(sqlalchemy.exc.DBAPIError) as caught:
            session.commit()
    assert "Secret Name" not in str(caught.value)
    engine.dispose()
