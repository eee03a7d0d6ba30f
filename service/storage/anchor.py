"""The running service's hold on the access log's checkpoints: check before appending, sign after.

One `Anchor` per database (registered per engine by `service.state.build_state`). Appending a
batch (`access_log._append_all`) goes through it:

1. `begin`, once the chain is locked in the database (SQLite write lock, PostgreSQL advisory
   lock): take the anchor's own lock (threads, then an `flock` for the processes of one host),
   read any checkpoints other processes appended, and compare the chain's head in the database
   with the last committed checkpoint. A head that is neither that checkpoint nor the pending
   one after it means the log was changed outside the service: `ChainMismatchError` (503), and
   nothing is appended. The ids of the new entries continue from the checkpoint, so a deleted
   id is never given again.
2. before the transaction commits, a `pending` checkpoint of the new head (flushed to disk);
3. after it commits, a `committed` checkpoint; then the lock is released. A rolled-back
   transaction just releases it (the chain is still at the committed checkpoint).

Steps 2 and 3 run in session events, so a write that logs in its own transaction (a decision,
a correction) and the group commit of reads are anchored alike. The lock is held from step 1
to step 3, so at most one batch is ever between its commit and its `committed` line.

At start-up `open` makes the same comparison. When the checkpoint file does not exist yet (the
first start with checkpoints, or an operator moved it away after an investigation), it anchors
the chain as it is, with a warning in the log.

It lives with the storage, not in `service.audit`, because `service.state` builds it and the
auth layer, which reads the state, may not depend on a domain; `service.audit.access_log` and
`service.audit.verification` use it.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import Pool

from service.errors import UnavailableError
from service.storage.checkpoints import (
    EMPTY,
    GENESIS_HASH,
    Checkpoint,
    CheckpointFile,
    Head,
    Line,
    Signer,
    check_lines,
)
from service.storage.db import WriteQueue
from service.storage.tables import AccessLogEntry

logger = logging.getLogger(__name__)

#: Seconds an append waits for the anchor's lock (as long as a SQLite writer waits).
WAIT_S: Final = 30.0
_STAGED: Final = "patronage.access_log.anchor"

REFUSAL: Final = (
    "access log: the log in the database does not match its last signed checkpoint (entries "
    "were changed, deleted or added outside the service), so nothing more is appended and "
    "reads of family data are refused; an administrator must investigate (docs/security.md)"
)


class ChainMismatchError(UnavailableError):
    """The chain's head and the latest signed checkpoint disagree: appends are refused (503)."""


@dataclass
class _Staged:
    """What a transaction appended, between `begin` and its commit or rollback."""

    anchor: Anchor
    base: Head
    head: Head
    prepared: bool = False


def _matches(row: Any, head: Head) -> bool:
    """True when the database's last entry `row` (id, hash, or None) is `head`."""
    if head.count == 0:
        return row is None
    return row is not None and row.id == head.last_id and row.hash == head.hash


class Anchor:
    """Checks the chain against its checkpoints before each batch and signs it after."""

    def __init__(self, signer: Signer, file: CheckpointFile) -> None:
        self.signer = signer
        self.file = file
        # Threads of this process, then an flock on `<file>.write-queue` for the processes of
        # this host (the same two-level queue SQLite writers wait in).
        self._queue = WriteQueue(str(file.path))
        self._state = threading.Lock()  # guards the fields below for readers without the queue
        self._committed: Checkpoint | None = None
        self._pending: Checkpoint | None = None
        self._offset = 0  # bytes of the file this process has read or written
        self._last_digest = GENESIS_HASH  # SHA-256 of the file's last line (what comes next links)
        self.problem: str | None = None  # why appends are refused (ids and counts only)

    # -- state -------------------------------------------------------------------------------

    @property
    def committed_head(self) -> Head:
        checkpoint = self._committed
        return checkpoint.head if checkpoint is not None else EMPTY

    def latest(self) -> Checkpoint | None:
        """The latest committed checkpoint this process knows of (None before the first)."""
        with self._state:
            return self._committed

    def _apply(self, lines: list[Line], *, previous: str | None) -> None:
        """Take in lines read from the file (`previous`: the digest of the line before them,
        None when unknown), once they are well formed, linked and signed."""
        problems = check_lines(lines, self.signer, previous=previous)
        if problems:
            raise _FileProblemError(problems[0])
        for line in lines:
            checkpoint = line.checkpoint
            assert checkpoint is not None  # check_lines found no unreadable line
            self._last_digest = line.digest
            if checkpoint.pending:
                self._pending = checkpoint
            else:
                self._committed = checkpoint
                if self._pending is not None and self._pending.head.count <= checkpoint.head.count:
                    self._pending = None

    def _refresh(self) -> None:
        """Read the lines other processes appended since this one last read or wrote."""
        try:
            size = self.file.size()
        except FileNotFoundError:
            raise _FileProblemError("the checkpoint file is missing") from None
        if size == self._offset:
            return
        if size < self._offset:
            raise _FileProblemError(
                f"the checkpoint file is shorter ({size} bytes) than this service left it "
                f"({self._offset} bytes)"
            )
        lines, end = self.file.read(offset=self._offset, first_line=None)
        with self._state:
            self._apply(lines, previous=self._last_digest)
            self._offset = end

    def _write(self, head: Head, *, pending: bool) -> None:
        checkpoint = self.signer.sign(head, pending=pending, previous=self._last_digest)
        # The pending line must reach the disk before the commit it announces; the committed
        # line is not synced (losing it in a power cut leaves the pending one, still signed).
        size, digest = self.file.append(checkpoint, sync=pending)
        with self._state:
            self._offset, self._last_digest = size, digest
            if pending:
                self._pending = checkpoint
            else:
                self._committed, self._pending = checkpoint, None

    def _check(self, row: Any) -> None:
        """Compare the database's last entry with the checkpoints (the lock is held)."""
        if _matches(row, self.committed_head):
            self.problem = None
            return
        pending = self._pending
        if pending is not None and _matches(row, pending.head):
            # The last batch committed but its committed line was not written (a crash, or a
            # failed write after the commit): it is signed as pending, so confirm it.
            self._write(pending.head, pending=False)
            self.problem = None
            return
        found = f"last id {row.id}" if row is not None else "no entries"
        self._refuse(
            f"the database's log ends at {found}, the last signed checkpoint at "
            f"{self.committed_head.count} entries, last id {self.committed_head.last_id}"
        )

    def _refuse(self, problem: str) -> None:
        if problem != self.problem:
            logger.error("access log refused: %s", problem)
        self.problem = problem
        raise ChainMismatchError(REFUSAL)

    # -- start-up ----------------------------------------------------------------------------

    def open(self, engine: Engine) -> None:
        """Load the checkpoints and compare the chain with them (or anchor a chain that has
        none yet). A disagreement is logged and makes every append fail; the service still
        starts, so an auditor can run the verification."""
        self._lock()
        try:
            with Session(engine) as session:
                session.connection(execution_options={"sqlite_begin": "DEFERRED"})
                row = _last_entry(session)
                if not self.file.exists():
                    # Trust on first use: the chain as found (a chain already broken stays
                    # broken: verification still reports its first bad entry).
                    count = session.scalar(select(func.count()).select_from(AccessLogEntry))
                    head = EMPTY if row is None else Head(int(count or 0), row.id, row.hash)
                    self._write(head, pending=False)
                    logger.log(
                        logging.WARNING if head.count else logging.INFO,
                        "access log: no checkpoint file at %s; anchored the existing chain of "
                        "%d entries (first start with checkpoints, or the file was moved away)",
                        self.file.path, head.count,
                    )  # fmt: skip
                    return
                lines, end, whole = self.file.tail()
                with self._state:
                    self._apply(lines, previous=GENESIS_HASH if whole else None)
                    self._offset = end
                self._check(row)
        except _FileProblemError as exc:
            self._lock_refusal(str(exc))
        except ChainMismatchError:
            pass  # logged by _refuse; appends will fail the same way
        finally:
            self._unlock()

    def _lock_refusal(self, problem: str) -> None:
        with contextlib.suppress(ChainMismatchError):  # logged; appends will fail alike
            self._refuse(problem)

    # -- appending ---------------------------------------------------------------------------

    def _lock(self) -> None:
        try:
            self._queue.acquire(timeout=WAIT_S)
        except sqlite3.OperationalError:
            raise UnavailableError(
                "access log: the checkpoint lock is held by a stuck writer; try again"
            ) from None

    def _unlock(self) -> None:
        self._queue.release()

    def begin(self, session: Session) -> Head:
        """The head new entries chain onto, once the database's head is checked against the
        checkpoints; holds the anchor's lock until `session`'s transaction ends. Raises
        `ChainMismatchError` when they disagree."""
        staged = session.info.get(_STAGED)
        if isinstance(staged, _Staged) and staged.anchor is self:
            return staged.head  # a second append in the same transaction
        self._lock()
        try:
            try:
                self._refresh()
            except _FileProblemError as exc:
                self._refuse(str(exc))
            self._check(_last_entry(session))
        except BaseException:
            self._unlock()
            raise
        head = self.committed_head
        session.info[_STAGED] = _Staged(anchor=self, base=head, head=head)
        return head

    def stage(self, session: Session, head: Head) -> None:
        """Record that `session`'s transaction moves the chain to `head` (after `begin`)."""
        staged = session.info[_STAGED]
        assert isinstance(staged, _Staged)
        assert staged.anchor is self
        staged.head = head


class _FileProblemError(Exception):
    """The checkpoint file is missing, shorter than written, or holds a line not ours."""


def _last_entry(session: Session) -> Any:
    return session.execute(
        select(AccessLogEntry.id, AccessLogEntry.hash).order_by(AccessLogEntry.id.desc()).limit(1)
    ).first()


# -- the transaction hooks (every Session; a dictionary lookup for those that did not append) --


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    staged = session.info.get(_STAGED)
    if isinstance(staged, _Staged) and staged.head != staged.base and not staged.prepared:
        # Raising here (disk full) fails the commit: entries are never committed unsigned.
        staged.anchor._write(staged.head, pending=True)
        staged.prepared = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    staged = session.info.pop(_STAGED, None)
    if not isinstance(staged, _Staged):
        return
    try:
        if staged.prepared:
            staged.anchor._write(staged.head, pending=False)
    except Exception as exc:  # committed already: the next append confirms the pending line
        logger.error("access log: the committed checkpoint was not written: %s",
                     type(exc).__name__)  # fmt: skip
    finally:
        staged.anchor._unlock()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    staged = session.info.pop(_STAGED, None)
    if isinstance(staged, _Staged):  # rolled back, or closed without a commit
        staged.anchor._unlock()


# -- one anchor per database -------------------------------------------------------------------

#: Keyed by the engine's pool, which the read-only engine of the same database shares.
_ANCHORS: weakref.WeakKeyDictionary[Pool, Anchor] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def register(engine: Engine, anchor: Anchor) -> None:
    """Make `anchor` the one that appends to `engine`'s access log go through."""
    with _GUARD:
        _ANCHORS[engine.pool] = anchor


def anchor_for(session: Session) -> Anchor | None:
    """The anchor of `session`'s database; None for an engine no service registered (a test or
    a tool that opens the database directly appends unanchored entries, which a service then
    refuses: they are not signed)."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with _GUARD:
        return _ANCHORS.get(engine.pool)


def anchor_database(engine: Engine, signer: Signer, file: CheckpointFile) -> Anchor:
    """The anchor of `engine`'s access log, checked against `file` and registered."""
    anchor = Anchor(signer, file)
    anchor.open(engine)
    register(engine, anchor)
    return anchor
