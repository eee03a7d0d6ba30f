"""The append-only, hash-chained log of every read of family-level data.

Each entry's hash is sha256(previous hash + canonical JSON of the entry); the first entry chains
from 64 zeros. Appends are serialised (SQLite: the request's `BEGIN IMMEDIATE` already holds the
write lock; PostgreSQL: a transaction-scoped advisory lock), so the chain never forks. `verify`
recomputes the chain and reports the first entry whose stored hash does not match, which catches
a row changed, inserted or deleted directly in the database. What the chain cannot see (its
newest entries deleted, a rewrite with every later hash recomputed, an older backup restored)
the signed checkpoints outside the database catch: every batch is checked against them before
it is appended and signed after it commits (`service.storage.anchor`), and
`service.audit.verification` checks the whole chain against them.

Two ways in:
- `append` adds an entry in the caller's transaction, for a write that must be logged atomically
  with what it logs (a decision, a correction);
- `log_read` ends a read and waits until its entry is committed, batched with the entries of
  concurrent reads (group commit: one transaction, one lock hand-off and one fsync per batch
  instead of per read). A response still leaves only after its entry is durable; if the batch
  fails, every read in it fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypedDict, Unpack

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.errors import UnavailableError
from service.storage.anchor import ChainMismatchError, anchor_for
from service.storage.checkpoints import EMPTY, Head
from service.storage.tables import AccessLogEntry, utcnow

logger = logging.getLogger(__name__)

GENESIS: Final = "0" * 64
_PG_LOCK_ID: Final = 0x70617472  # "patr": one lock for the whole chain
_BATCH: Final = 5000
#: Seconds a read waits for its log entry's turn (as long as a SQLite writer waits for the lock).
WAIT_S: Final = 30.0


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None


#: The fields of an entry that its hash covers: all but the hash itself.
HASHED_FIELDS: Final = (
    "id", "at", "user_id", "username", "role", "action", "family_id", "district", "list_month",
)  # fmt: skip


def canonical(entry: AccessLogEntry | Mapping[str, object]) -> str:
    """The canonical JSON of an entry: every field except the hash, sorted keys, no spaces."""
    if isinstance(entry, AccessLogEntry):
        fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
    else:
        fields = {name: entry[name] for name in HASHED_FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, entry: AccessLogEntry | Mapping[str, object]) -> str:
    return hashlib.sha256((previous + canonical(entry)).encode()).hexdigest()


def begin_read(session: Session) -> None:
    """Start the session's transaction as a plain read (SQLite: deferred, no write lock).

    Read routes read in such a transaction, then call `log_read`, which ends it and commits the
    log entry in a short write transaction of its own (shared with concurrent reads): the write
    lock is held for log entries only, and the response still leaves only after its entry is
    committed."""
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def end_read(session: Session) -> None:
    """End the read transaction begun by `begin_read` (objects loaded in it expire)."""
    session.rollback()


@dataclass(frozen=True)
class EntryFields:
    """What one entry records, before it gets its id, time and hash."""

    user_id: int | None
    username: str
    role: str
    action: str
    family_id: str | None = None
    district: str | None = None
    list_month: str | None = None


class Scope(TypedDict, total=False):
    """What an entry's read or write was about (keywords of `append` and `log_read`)."""

    family_id: str | None
    district: str | None
    list_month: str | None


def _fields(user: Principal, action: str, scope: Scope) -> EntryFields:
    return EntryFields(
        user_id=user.id, username=user.username, role=user.role.value, action=action, **scope
    )


def _append_all(session: Session, batch: list[EntryFields]) -> list[dict[str, object]]:
    """Chain `batch` onto the log in the session's transaction (serialised, see above).

    One Core INSERT for the whole batch (executemany): the ORM's unit of work cost more than
    the hashing for the short entries of a read."""
    if session.get_bind().dialect.name == "postgresql":
        # Bounded like SQLite's busy timeout: a stuck holder fails this batch, not the server.
        session.execute(text(f"SET LOCAL lock_timeout = '{int(WAIT_S)}s'"))
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    anchor = anchor_for(session)
    if anchor is not None:
        # Checked against the signed checkpoints; ids continue from them, never reused.
        base = anchor.begin(session)
    else:  # a database no service anchors (tools, tests): its entries are not signed
        last = session.execute(
            select(AccessLogEntry.id, AccessLogEntry.hash)
            .order_by(AccessLogEntry.id.desc())
            .limit(1)
        ).first()
        base = Head(count=0, last_id=last[0], hash=last[1]) if last else EMPTY
    previous_id, previous_hash = base.last_id, base.hash
    rows: list[dict[str, object]] = []
    for offset, fields in enumerate(batch, start=1):
        row: dict[str, object] = {
            "id": previous_id + offset,
            "at": utcnow().isoformat(timespec="microseconds"),
            **dataclasses.asdict(fields),
        }
        row["hash"] = previous_hash = chain_hash(previous_hash, row)
        rows.append(row)
    session.execute(insert(AccessLogEntry), rows)
    if anchor is not None:
        head = Head(
            count=base.count + len(rows), last_id=previous_id + len(rows), hash=previous_hash
        )
        anchor.stage(session, head)
    return rows


def append(
    session: Session, *, user: Principal, action: str, **scope: Unpack[Scope]
) -> AccessLogEntry:
    """Append one entry in the caller's transaction (the caller commits with its write)."""
    row = _append_all(session, [_fields(user, action, scope)])[0]
    return AccessLogEntry(**row)


def log_read(session: Session, *, user: Principal, action: str, **scope: Unpack[Scope]) -> None:
    """End the read begun by `begin_read` and return once its entry is committed.

    Raises `UnavailableError` (503) when the entry's batch could not be committed, so the read's
    response is never sent unlogged."""
    end_read(session)
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    _writer(engine).write(engine, _fields(user, action, scope))


@dataclass(eq=False)
class _Pending:
    fields: EntryFields
    done: bool = False
    error: BaseException | None = field(default=None, repr=False)


class GroupCommitWriter:
    """Batches the entries of concurrent reads into one transaction.

    No thread of its own: the first waiting request whose entry is not written yet becomes the
    leader, takes every queued entry, writes and commits them, then wakes the others. While it
    writes, new entries queue for the next batch."""

    def __init__(self) -> None:
        # No reference to the engine: writers are kept per engine in a WeakKeyDictionary, and a
        # value that referred to its key would keep both alive for ever.
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False

    def write(self, engine: Engine, fields: EntryFields, *, timeout: float = WAIT_S) -> None:
        """Return once `fields` is committed to the log of `engine`'s database.

        An entry still queued after `timeout` seconds (a batch ahead of it is stuck) is taken
        out of the queue and the read fails with 503; one already being written is waited for,
        since its batch's transaction is itself bounded by the database's lock timeouts."""
        pending = _Pending(fields)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._queue.append(pending)
            while not pending.done and self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0 and pending in self._queue:
                    self._queue.remove(pending)
                    _raise_if_failed(TimeoutError(f"queued for more than {timeout:g} s"))
                self._cond.wait(timeout=max(remaining, 0.05))
            if pending.done:
                _raise_if_failed(pending.error)
                return
            batch, self._queue = self._queue, []
            self._writing = True
        error: BaseException | None = RuntimeError("the batch was interrupted")
        try:
            with Session(engine) as session:
                # The reader's bind may default to read-only transactions: this one writes.
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
                _append_all(session, [p.fields for p in batch])
                session.commit()
            error = None
        except Exception as exc:  # every waiter of the batch must learn of it
            logger.error("access log: a batch of %d read entries failed: %s", len(batch),
                         type(exc).__name__)  # fmt: skip
            error = exc
        finally:  # even when interrupted, so that no waiter waits for ever
            with self._cond:
                for item in batch:
                    item.done, item.error = True, error
                self._writing = False
                self._cond.notify_all()
        _raise_if_failed(error)


def _raise_if_failed(error: BaseException | None) -> None:
    if isinstance(error, ChainMismatchError):  # its own message says what to do
        raise ChainMismatchError(error.detail) from error
    if error is not None:
        raise UnavailableError(
            "access log: this read could not be logged, so it is not shown; try again"
        ) from error


_WRITERS: weakref.WeakKeyDictionary[Engine, GroupCommitWriter] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer(engine: Engine) -> GroupCommitWriter:
    with _WRITERS_GUARD:
        writer = _WRITERS.get(engine)
        if writer is None:
            writer = _WRITERS[engine] = GroupCommitWriter()
        return writer


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


@dataclass
class ChainWalk:
    """The chain as recomputed: how many entries match, the head they reach, the id of the
    first that does not, and the head at each entry number asked for."""

    count: int = 0
    head: Head = EMPTY
    first_bad: int | None = None
    at: dict[int, Head] = field(default_factory=dict)


def walk_chain(session: Session, positions: Iterable[int] = ()) -> ChainWalk:
    """Recompute the chain (ids 1, 2, 3, ..., each hash chained on the one before), noting the
    head at each entry number in `positions`; stops at the first entry that does not match. A
    gap in ids means a deleted row: the entry after the gap is the first bad one."""
    wanted = set(positions)
    walk = ChainWalk()
    previous, after = GENESIS, 0
    while True:
        batch = read(session, after=after, limit=_BATCH)
        if not batch:
            return walk
        for entry in batch:
            if entry.id != walk.count + 1 or chain_hash(previous, entry) != entry.hash:
                walk.first_bad = entry.id
                return walk
            walk.count += 1
            previous = entry.hash
            walk.head = Head(count=walk.count, last_id=entry.id, hash=entry.hash)
            if walk.count in wanted:
                walk.at[walk.count] = walk.head
        after = batch[-1].id


def verify(session: Session) -> VerifyResult:
    """Recompute the chain; `first_bad` is the id of the first entry that does not match. The
    chain alone cannot see its newest entries deleted or a rewrite with every later hash
    recomputed: `service.audit.verification` also checks it against the signed checkpoints."""
    walk = walk_chain(session)
    if walk.first_bad is None:
        return VerifyResult(ok=True, entries=walk.count, first_bad=None)
    return VerifyResult(ok=False, entries=count_entries(session), first_bad=walk.first_bad)


def count_entries(session: Session) -> int:
    """Rows in the log, whether they chain or not."""
    return int(session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0)
