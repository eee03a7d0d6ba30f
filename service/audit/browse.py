"""The access log as the auditor reads it: pages of entries, and the check of the hash chain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.audit import access_log
from service.audit.schemas import AccessLogPage, AccessLogRead, VerifyRead


def access_log_page(
    session: Session, *, after: int = 0, limit: int = 100, family_id: str | None = None
) -> AccessLogPage:
    """Entries with id greater than `after`, oldest first; `next_after` is set when the page is
    full (there may be more)."""
    rows = access_log.read(session, after=after, limit=limit, family_id=family_id)
    entries = [
        AccessLogRead(
            id=e.id,
            at=e.at,
            username=e.username,
            role=e.role,
            action=e.action,
            family_id=e.family_id,
            district=e.district,
            list_month=e.list_month,
            hash=e.hash,
        )
        for e in rows
    ]
    return AccessLogPage(entries=entries, next_after=rows[-1].id if len(rows) == limit else None)


def verify_chain(session: Session) -> VerifyRead:
    """Recompute the hash chain of the access log (`access_log.verify`)."""
    result = access_log.verify(session)
    return VerifyRead(ok=result.ok, entries=result.entries, first_bad=result.first_bad)
