"""The append-only, hash-chained log of every read of family-level data.

Each entry's hash is sha256(previous hash + canonical JSON of the entry); the first entry chains
from 64 zeros. Appends are serialised (SQLite: the request's `BEGIN IMMEDIATE` already holds the
write lock; PostgreSQL: a transaction-scoped advisory lock), so the chain never forks. `verify`
recomputes the chain and reports the first entry whose stored hash does not match, which catches
a row changed, inserted or deleted directly in the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from service.roles import Principal
from service.tables import AccessLogEntry, utcnow

GENESIS: Final = "0" * 64
_PG_LOCK_ID: Final = 0x70617472  # "patr": one lock for the whole chain
_BATCH: Final = 5000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None


def canonical(entry: AccessLogEntry) -> str:
    """The canonical JSON of an entry: every field except the hash, sorted keys, no spaces."""
    fields = {
        "id": entry.id,
        "at": entry.at,
        "user_id": entry.user_id,
        "username": entry.username,
        "role": entry.role,
        "action": entry.action,
        "family_id": entry.family_id,
        "district": entry.district,
        "list_month": entry.list_month,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, entry: AccessLogEntry) -> str:
    return hashlib.sha256((previous + canonical(entry)).encode()).hexdigest()


def begin_read(session: Session) -> None:
    """Start the session's transaction as a plain read (SQLite: deferred, no write lock).

    Read routes read in such a transaction, end it, then `append` and commit in a short write
    transaction of their own: the write lock is held for the log entry only, and the response
    still leaves only after its entry is committed."""
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def end_read(session: Session) -> None:
    """End the read transaction begun by `begin_read` (objects loaded in it expire)."""
    session.rollback()


def append(
    session: Session,
    *,
    user: Principal,
    action: str,
    family_id: str | None = None,
    district: str | None = None,
    list_month: str | None = None,
) -> AccessLogEntry:
    """Append one entry in the caller's transaction (the caller commits with its read)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    last = session.execute(
        select(AccessLogEntry.id, AccessLogEntry.hash).order_by(AccessLogEntry.id.desc()).limit(1)
    ).first()
    previous_id, previous_hash = (last[0], last[1]) if last else (0, GENESIS)
    entry = AccessLogEntry(
        id=previous_id + 1,
        at=utcnow().isoformat(timespec="microseconds"),
        user_id=user.id,
        username=user.username,
        role=user.role.value,
        action=action,
        family_id=family_id,
        district=district,
        list_month=list_month,
        hash="",
    )
    entry.hash = chain_hash(previous_hash, entry)
    session.add(entry)
    session.flush()
    return entry


def read(
    session: Session,
    *,
    after: int = 0,
    limit: int = 100,
    family_id: str | None = None,
) -> list[AccessLogEntry]:
    """Entries with id greater than `after`, oldest first."""
    query = select(AccessLogEntry).where(AccessLogEntry.id > after)
    if family_id is not None:
        query = query.where(AccessLogEntry.family_id == family_id)
    return list(session.scalars(query.order_by(AccessLogEntry.id).limit(limit)))


def verify(session: Session) -> VerifyResult:
    """Recompute the chain; `first_bad` is the id of the first entry that does not match."""
    previous = GENESIS
    expected_id = 1
    count = 0
    after = 0
    while True:
        batch = read(session, after=after, limit=_BATCH)
        if not batch:
            return VerifyResult(ok=True, entries=count, first_bad=None)
        for entry in batch:
            count += 1
            # A gap in ids means a deleted row: the entry after the gap is the first bad one.
            if entry.id != expected_id or chain_hash(previous, entry) != entry.hash:
                return VerifyResult(ok=False, entries=_count(session), first_bad=entry.id)
            previous = entry.hash
            expected_id += 1
        after = batch[-1].id


def _count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0)
