"""Council decisions: measures from a catalogue, priority and reason; never edited, superseded.

Raising priority is free; lowering it needs a written reason of at least 20 characters
(guardrail 4: professional judgement may raise risk, never lower it without reasons).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.decisions.schemas import MIN_LOWER_REASON, DecisionCreate, DecisionRead, Priority
from service.errors import ConflictError, FieldError
from service.families.scope import logged_family_write
from service.storage.tables import Decision, Family, User


def create_decision(
    session: Session, family: Family, body: DecisionCreate, *, user: Principal
) -> Decision:
    """Store a decision about `family` (flushes; `record_decision` commits it with its
    access-log entry)."""
    if body.priority is Priority.lower_ and len(body.reason.strip()) < MIN_LOWER_REASON:
        raise FieldError(
            ("body", "reason"),
            f"reason: lowering priority needs a reason of at least {MIN_LOWER_REASON} "
            f"characters, got {len(body.reason.strip())}",
        )
    if body.supersedes_id is not None:
        old = session.get(Decision, body.supersedes_id)
        if old is None or old.family_id != family.family_id:
            raise FieldError(
                ("body", "supersedes_id"),
                "supersedes_id: expected the id of a decision about this family",
            )
        newer = session.scalar(select(Decision.id).where(Decision.supersedes_id == old.id))
        if newer is not None:
            raise ConflictError(
                f"supersedes_id: decision {old.id} is already superseded by decision {newer}"
            )
    decision = Decision(
        family_id=family.family_id,
        district=family.district,
        user_id=user.id,
        measures=json.dumps([m.value for m in body.measures]),
        priority=body.priority.value,
        reason=body.reason.strip(),
        list_month=body.list_month,
        supersedes_id=body.supersedes_id,
    )
    session.add(decision)
    session.flush()
    return decision


def record_decision(
    session: Session, family_id: str, body: DecisionCreate, *, user: Principal
) -> DecisionRead:
    """Check the family's district, store the decision and its access-log entry, and commit
    both together (or neither)."""
    with logged_family_write(
        session, user, family_id, action="family.decision", list_month=body.list_month
    ) as family:
        decision = create_decision(session, family, body, user=user)
    return to_read(decision, user.username)


def family_decisions(session: Session, family_id: str) -> list[DecisionRead]:
    """Every decision about the family, oldest first, with who decided and what superseded it."""
    rows = session.execute(
        select(Decision, User.username)
        .join(User, User.id == Decision.user_id)
        .where(Decision.family_id == family_id)
        .order_by(Decision.id)
    ).all()
    superseded_by = {d.supersedes_id: d.id for d, _ in rows if d.supersedes_id is not None}
    return [to_read(d, username, superseded_by.get(d.id)) for d, username in rows]


def to_read(decision: Decision, username: str, superseded_by: int | None = None) -> DecisionRead:
    return DecisionRead(
        id=decision.id,
        family_id=decision.family_id,
        measures=json.loads(decision.measures),
        priority=decision.priority,
        reason=decision.reason,
        list_month=decision.list_month,
        supersedes_id=decision.supersedes_id,
        superseded_by=superseded_by,
        decided_by=username,
        created_at=decision.created_at,
    )
