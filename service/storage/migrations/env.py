"""Alembic environment. Run programmatically by `service.storage.migrate.upgrade(engine)`; the
caller passes an open connection in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from service.storage.tables import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through service.storage.migrate.upgrade(engine)")
_run(connection)
