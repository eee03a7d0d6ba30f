"""Council decisions: measures from a catalogue, priority and reason; never edited, superseded.

Raising priority is free; lowering it needs a written reason of at least 20 characters
(guardrail 4: professional judgement may raise risk, never lower it without reasons).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.cases.holds import end_decision_holds, place_holds
from service.cases.plan import open_or_update_case
from service.decisions.schemas import MIN_LOWER_REASON, DecisionCreate, DecisionRead, Priority
from service.errors import ConflictError, FieldError
from service.families.scope import logged_family_write
from service.storage.tables import Case, CaseMeasure, Decision, Family, User


def create_decision(
    session: Session, family: Family, body: DecisionCreate, *, user: Principal
) -> Decision:
    """Store a decision about `family` (flushes; `record_decision` commits it with its
    access-log entry, its case and its priority hold)."""
    if body.hold_months is not None and body.priority is not Priority.lower_:
        raise FieldError(
            ("body", "hold_months"),
            f"hold_months: expected only with priority lower, got priority {body.priority.value}",
        )
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
        measures=json.dumps(
            list(
                dict.fromkeys(
                    [*(m.value for m in body.measures), *(p.measure.value for p in body.plan)]
                )
            )
        ),
        priority=body.priority.value,
        reason=body.reason.strip(),
        list_month=body.list_month,
        supersedes_id=body.supersedes_id,
    )
    session.add(decision)
    session.flush()
    return decision


def record_decision(
    session: Session,
    family_id: str,
    body: DecisionCreate,
    *,
    user: Principal,
    today: dt.date | None = None,
) -> DecisionRead:
    """Check the family's district, store the decision, open or update the family's case with
    its plan (`service.cases.plan`), place its priority hold (`service.cases.holds`) and the
    access-log entry, and commit them together (or nothing). A decision that supersedes
    another first ends the holds the other placed (a lowered priority or a watch no longer in
    force). `today` is the council's day (default: the server's UTC date)."""
    day = today or dt.datetime.now(dt.UTC).date()
    with logged_family_write(
        session, user, family_id, action="family.decision", list_month=body.list_month
    ) as family:
        decision = create_decision(session, family, body, user=user)
        if body.supersedes_id is not None:
            end_decision_holds(session, body.supersedes_id, today=day)
        case = open_or_update_case(session, family, decision, body, user=user, today=day)
        place_holds(
            session, family, decision, case, priority=body.priority.value,
            hold_months=body.hold_months, today=day,
        )  # fmt: skip
        case_id = case.id if case is not None else None
    return to_read(decision, user.username, case_id=case_id)


def family_decisions(session: Session, family_id: str) -> list[DecisionRead]:
    """Every decision about the family, oldest first, with who decided and what superseded it."""
    rows = session.execute(
        select(Decision, User.username)
        .join(User, User.id == Decision.user_id)
        .where(Decision.family_id == family_id)
        .order_by(Decision.id)
    ).all()
    superseded_by = {d.supersedes_id: d.id for d, _ in rows if d.supersedes_id is not None}
    case_of = decision_cases(session, family_id)
    return [
        to_read(d, username, superseded_by.get(d.id), case_id=case_of.get(d.id))
        for d, username in rows
    ]


def decision_cases(session: Session, family_id: str) -> dict[int, int]:
    """Decision id -> the case it opened or added measures to."""
    out: dict[int, int] = {}
    for decision_id, case_id in session.execute(
        select(CaseMeasure.decision_id, CaseMeasure.case_id)
        .join(Case, Case.id == CaseMeasure.case_id)
        .where(Case.family_id == family_id)
    ):
        if decision_id is not None:
            out[decision_id] = case_id
    for decision_id, case_id in session.execute(
        select(Case.first_decision_id, Case.id).where(Case.family_id == family_id)
    ):
        out[decision_id] = case_id
    return out


def to_read(
    decision: Decision,
    username: str,
    superseded_by: int | None = None,
    *,
    case_id: int | None = None,
) -> DecisionRead:
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
        case_id=case_id,
    )
