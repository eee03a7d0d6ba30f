"""A scratch PostgreSQL database on the local server, created empty (or as a copy of a template
database) and dropped (with whatever still holds a connection to it) afterwards: for the service
tests' `db_url` and `service` fixtures (`tests.service.seeded_db`) and the benchmarks that
measure on PostgreSQL (which import it, as they import `tests.service.server`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import psycopg

PG_ADMIN: Final = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def admin_connection() -> psycopg.Connection:
    """An autocommit connection to the server's `test` database; `psycopg.OperationalError`
    when the server is not reachable."""
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


@contextmanager
def scratch_database(
    admin: psycopg.Connection, prefix: str, *, template: str | None = None
) -> Iterator[str]:
    """The URL of a new database `prefix_<random>`, dropped at the end; closes `admin`.

    Empty, or a copy of the database `template` (which must have no open connection)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    copied = f' TEMPLATE "{template}"' if template is not None else ""
    admin.execute(f'CREATE DATABASE "{name}"{copied}')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
