"""Migrated and seeded template databases, copied for each service test.

Migrating an empty database (Alembic, ~0.6 s on SQLite, ~1.3 s on PostgreSQL) and seeding the
registry (~0.4 s, argon2 included) once per test made most of the service tests' time. Each test
process (each xdist worker) now does it once per backend and gives every test a copy:

- SQLite: a template file in a temporary directory of the process, copied to the test's path;
- PostgreSQL: a template database, cloned with `CREATE DATABASE ... TEMPLATE`. (Making the
  next clone in a background thread while a test runs was tried: it made the tests slower.)

A copy holds exactly what `upgrade` then `seed_registry` (with the tests' IIN key) write; the
access log is empty, so the app started on it anchors an empty chain in its own home, as on a
freshly seeded database. The `Seeded` description is plain data (ids, IINs, frozen principals,
the same in every copy: copies keep the ids and the sequences); each test gets its own deep copy.
"""

from __future__ import annotations

import atexit
import copy
import functools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from service.storage.db import make_engine
from service.storage.migrate import upgrade
from tests.service.factory import Seeded, seed_registry
from tests.service.scratch_db import admin_connection, scratch_database

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Template:
    """A migrated database holding the seeded registry, and what was seeded in it."""

    url: str
    seeded: Seeded

    def seeded_copy(self) -> Seeded:
        """A copy of the seeded description the test may change freely."""
        return copy.deepcopy(self.seeded)


def seed_database(url: str, *, iin_key: bytes) -> Seeded:
    """Migrate the (empty) database at `url`, seed the registry, close every connection."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            return seed_registry(session, iin_key=iin_key)
    finally:
        engine.dispose()


@functools.cache
def sqlite_template(iin_key: bytes) -> Template:
    """This process's SQLite template (built on first use, deleted when the process exits)."""
    directory = Path(tempfile.mkdtemp(prefix="patronage-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "template.db"
    seeded = seed_database(f"sqlite:///{path}", iin_key=iin_key)
    # Disposing the engine checkpointed the WAL: the main file alone holds the database.
    leftovers = [p.name for p in directory.iterdir() if p.name.startswith("template.db-")]
    assert not leftovers, f"SQLite template not checkpointed: {leftovers}"
    return Template(url=str(path), seeded=seeded)


def copy_sqlite_template(path: Path, *, iin_key: bytes) -> Seeded:
    """Write a copy of the SQLite template at `path` (a new file); what it holds."""
    template = sqlite_template(iin_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template.url, path)
    return template.seeded_copy()


@contextmanager
def postgres_template(admin: psycopg.Connection, *, iin_key: bytes) -> Iterator[Template]:
    """A PostgreSQL template database, migrated and seeded, dropped at the end (through
    `admin`, an `admin_connection`, closed then).

    No connection to it stays open (the engine is disposed), as `CREATE DATABASE ... TEMPLATE`
    requires.
    """
    with scratch_database(admin, "patronage_tmpl") as url:
        yield Template(url=url, seeded=seed_database(url, iin_key=iin_key))


@contextmanager
def postgres_copy(template: Template) -> Iterator[str]:
    """The URL of a new database cloned from `template` (no other test ever sees it), dropped
    at the end."""
    name = template.url.rsplit("/", 1)[1]
    with scratch_database(admin_connection(), "patronage_test", template=name) as url:
        yield url
