"""The one place a write is committed: `transaction(session)`.

Every service function that changes data runs its writes in `with transaction(session):` and so
commits before it returns: a route answers `201` only for a write that is already durable, and a
page, a CLI command or the demo that calls the same function gets the same guarantee. When the
block raises, everything it did is rolled back, so a refused write leaves nothing behind and the
caller (a page that shows the form again, say) can go on reading with the same session.

Why not commit in the request's session dependency instead: FastAPI runs a dependency's exit
code after the response has been sent (too late to turn a failed commit into an error), and the
web pages turn refusals into pages inside the route, where a dependency would see a success.

Reads do not use it: they end with `service.audit.access_log.log_read`, which has its own
protocol (the read transaction ends, its log entry is group-committed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit `session` when the block completes; roll it back when the block or the commit
    raises."""
    try:
        yield session
        session.commit()
    except BaseException:  # the block's error, or a failed commit
        session.rollback()
        raise
