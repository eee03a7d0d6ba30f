"""Verifying the access log against its signed checkpoints (and an auditor's own copy of one).

The chain's hashes alone catch an entry changed, inserted or deleted in the middle. The
checkpoints add what the chain cannot say about itself:

- the chain must contain the latest committed checkpoint unchanged: its entry number `count`
  has id `last_id` and hash `head`. Deleting the newest entries, all of them, restoring an older
  backup, or rewriting an entry and recomputing every later hash all fail this;
- the chain's last entry must be a head the service signed (committed, or pending while its
  batch commits). Entries appended by anyone else, even with correct hashes, fail this;
- every line of the checkpoint file must be well formed and follow the line before (each
  signs the SHA-256 of its predecessor), and the last must be signed by the service's key;
- an auditor's checkpoint (one they kept from an earlier `GET /v1/audit/access-log/checkpoint`)
  must be genuine and contained in the chain. That catches a rollback of the database together
  with the checkpoint file, which nothing inside the service can.

The file is read before the chain is walked (a checkpoint committed by then must be contained)
and again after (a head reached meanwhile must be signed by then: its pending line is written
before its commit), so verification runs while the service keeps appending.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.audit import access_log
from service.storage.anchor import Anchor
from service.storage.checkpoints import (
    GENESIS_HASH,
    Checkpoint,
    Head,
    Line,
    Signer,
    check_lines,
)


@dataclass(frozen=True)
class Problem:
    """One finding: a stable `code` (the pages translate it) and an English sentence."""

    code: str
    detail: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad: int | None
    checkpoint: Checkpoint | None  # the latest committed checkpoint the chain was checked against
    problems: list[Problem] = field(default_factory=list)


def _contains(walk: access_log.ChainWalk, head: Head) -> bool:
    return head.count == 0 or walk.at.get(head.count) == head


def _latest_committed(lines: list[Line]) -> Checkpoint | None:
    committed = [
        line.checkpoint
        for line in lines
        if line.checkpoint is not None and not line.checkpoint.pending
    ]
    return committed[-1] if committed else None


def _trusted(lines: list[Line], signer: Signer) -> list[Line]:
    """The lines vouched for by a signature: the last line signed by `signer` and the run of
    lines before it that its `previous` links reach (all of them, in an untouched file)."""
    end = next(
        (
            i
            for i in range(len(lines) - 1, -1, -1)
            if (checkpoint := lines[i].checkpoint) is not None and signer.is_genuine(checkpoint)
        ),
        None,
    )
    if end is None:
        return []
    start = end
    while start > 0:
        checkpoint, before = lines[start].checkpoint, lines[start - 1]
        if checkpoint is None or before.checkpoint is None or checkpoint.previous != before.digest:
            break
        start -= 1
    return lines[start : end + 1]


def _file_problems(lines: list[Line], signer: Signer, *, previous: str) -> list[Problem]:
    problems = [
        Problem("checkpoint_file_invalid", problem)
        for problem in check_lines(lines, signer, previous=previous)
    ]
    best = 0
    for line in lines:
        checkpoint = line.checkpoint
        if checkpoint is None or checkpoint.pending:
            continue
        if checkpoint.head.count < best:
            problems.append(
                Problem(
                    "checkpoint_file_invalid",
                    f"line {line.number} of the checkpoint file goes back to "
                    f"{checkpoint.head.count} entries after {best}",
                )
            )
        best = max(best, checkpoint.head.count)
    return problems


def verify(session: Session, anchor: Anchor, *, auditor: Checkpoint | None = None) -> Verification:
    """Verify the chain in `session`'s database against `anchor`'s checkpoint file and, when
    given, the auditor's own checkpoint."""
    problems: list[Problem] = []
    offset: int | None = None
    try:
        before, offset = anchor.file.read()
    except FileNotFoundError:
        before = []
        problems.append(Problem("checkpoint_file_missing", "the checkpoint file is missing"))
    problems += _file_problems(before, anchor.signer, previous=GENESIS_HASH)
    latest = _latest_committed(_trusted(before, anchor.signer))
    if auditor is not None and not anchor.signer.is_genuine(auditor):
        problems.append(
            Problem("auditor_checkpoint_invalid", "the given checkpoint is not signed by this key")
        )
        auditor = None
    wanted = [c.head.count for c in (latest, auditor) if c is not None]
    walk = access_log.walk_chain(session, wanted)
    if walk.first_bad is not None:
        problems.append(
            Problem("entry_mismatch", f"entry {walk.first_bad} does not match the chain")
        )
    else:
        if latest is not None and not _contains(walk, latest.head):
            problems.append(_missing("checkpoint_not_contained", latest, walk))
        if auditor is not None and not _contains(walk, auditor.head):
            problems.append(_missing("auditor_checkpoint_not_contained", auditor, walk))
        after = before
        if offset is not None:
            more, _ = anchor.file.read(offset=offset, first_line=len(before) + 1)
            previous = before[-1].digest if before else GENESIS_HASH
            problems += _file_problems(more, anchor.signer, previous=previous)
            after = before + more
        signed = {
            line.checkpoint.head
            for line in _trusted(after, anchor.signer)
            if line.checkpoint is not None
        }
        if walk.count > 0 and walk.head not in signed:
            problems.append(
                Problem(
                    "unanchored_entries",
                    f"the log ends at entry {walk.head.last_id}, which no checkpoint signed: "
                    "entries were added outside the service",
                )
            )
        if auditor is not None and (latest is None or latest.head.count < auditor.head.count):
            problems.append(
                Problem(
                    "checkpoint_file_behind_auditor",
                    "the checkpoint file ends before the given checkpoint: it was truncated or "
                    "replaced",
                )
            )
    entries = walk.count if walk.first_bad is None else access_log.count_entries(session)
    return Verification(
        ok=not problems,
        entries=entries,
        first_bad=walk.first_bad,
        checkpoint=latest,
        problems=problems,
    )


def _missing(code: str, checkpoint: Checkpoint, walk: access_log.ChainWalk) -> Problem:
    head = checkpoint.head
    if walk.count < head.count:
        return Problem(
            code,
            f"the log has {walk.count} entries, but a checkpoint signed {head.count} (last id "
            f"{head.last_id}): entries were deleted or an older copy restored",
        )
    return Problem(
        code,
        f"entry number {head.count} is not the one the checkpoint signed (id {head.last_id}): "
        "the log was rewritten",
    )
