"""The access log as the auditor reads it: pages of entries, the verification of the chain
against its signed checkpoints, and the latest checkpoint to keep a copy of."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.audit import access_log, verification
from service.audit.schemas import (
    AccessLogPage,
    AccessLogRead,
    CheckpointRead,
    LatestCheckpointRead,
    VerifyRead,
)
from service.errors import FieldError
from service.storage.anchor import Anchor
from service.storage.checkpoints import SIGNED_PREFIX, Checkpoint, CheckpointFormatError


def access_log_page(
    session: Session, *, after: int = 0, limit: int = 100, family_id: str | None = None
) -> AccessLogPage:
    """Entries with id greater than `after`, oldest first; `next_after` is set when the page is
    full (there may be more)."""
    rows = access_log.read(session, after=after, limit=limit, family_id=family_id)
    entries = [AccessLogRead.model_validate(e, from_attributes=True) for e in rows]
    return AccessLogPage(entries=entries, next_after=rows[-1].id if len(rows) == limit else None)


def checkpoint_read(checkpoint: Checkpoint | None) -> CheckpointRead | None:
    return None if checkpoint is None else CheckpointRead.model_validate(checkpoint.as_json())


def verify_chain(
    session: Session, anchor: Anchor, *, checkpoint: CheckpointRead | None = None
) -> VerifyRead:
    """Verify the access log's chain against its signed checkpoints and, when given, the
    auditor's own checkpoint (`service.audit.verification`)."""
    try:
        auditor = None if checkpoint is None else Checkpoint.parse(checkpoint.model_dump())
    except CheckpointFormatError as exc:  # well-typed fields that do not fit together
        raise FieldError(["body", "checkpoint"], str(exc)) from None
    result = verification.verify(session, anchor, auditor=auditor)
    return VerifyRead.model_validate(
        {
            "ok": result.ok,
            "entries": result.entries,
            "first_bad": result.first_bad,
            "checkpoint": checkpoint_read(result.checkpoint),
            "problems": [{"code": p.code, "detail": p.detail} for p in result.problems],
        }
    )


def latest_checkpoint(anchor: Anchor) -> LatestCheckpointRead:
    """The latest committed checkpoint, with what an auditor needs to check its signature."""
    return LatestCheckpointRead(
        checkpoint=checkpoint_read(anchor.latest()),
        public_key=anchor.signer.public_key_b64(),
        key_id=anchor.signer.key_id,
        signed_message=SIGNED_PREFIX.decode(),
    )
