"""Storage: the engine and sessions (`db`), the ORM tables, the Alembic migrations, the event
loader of the feature pipeline and the one helper that commits a write (`transaction`)."""
