"""Priority holds: what "raise" and "lower" do to the monthly lists.

- **watch** (priority raised, with a case): the family is on every list, marked `watch`, until
  the council closes the case.
- **lowered** (priority lowered with a reason): the family is kept off the top k for
  `hold_months` lists (default 3), unless a new alert, violation or protective order known on or
  after the hold's first day puts it back (the hold then ends, `new_signal`). Guardrail: an open
  protective order or a recent violation keeps the family listed whatever the hold.

A hold applies to the list of month M when `from_month <= M` (and `M <= until_month` for a
lowered hold) and it had not ended by M's as-of date (the 1st of M). `compute_lists` honours
the holds it is given (`service.lists.generate`); this module stores and selects them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from features.months import first_of_month, format_month, months_after, parse_month
from service.storage.tables import Case, Decision, Family, PriorityHold, utcnow

#: Lists a lowered priority is held for when the decision does not say.
DEFAULT_HOLD_MONTHS: Final = 3
MAX_HOLD_MONTHS: Final = 12


class HoldKind(StrEnum):
    watch = "watch"
    lowered = "lowered"


class HoldEnd(StrEnum):
    case_closed = "case_closed"
    new_signal = "new_signal"
    superseded = "superseded"


@dataclass(frozen=True)
class ActiveHold:
    """A hold as the list logic sees it: its kind and the day it began (signals known on or
    after that day break a lowered hold)."""

    kind: HoldKind
    began_on: dt.date


def first_list_month(today: dt.date) -> str:
    """The first list a hold placed on `today` applies to: next month's."""
    return format_month(months_after(first_of_month(today), 1))


def _active(session: Session, family_id: str) -> list[PriorityHold]:
    return list(
        session.scalars(
            select(PriorityHold)
            .where(PriorityHold.family_id == family_id, PriorityHold.ended_on.is_(None))
            .order_by(PriorityHold.id)
        )
    )


def _end(hold: PriorityHold, *, reason: HoldEnd, today: dt.date) -> None:
    hold.ended_at = utcnow()
    hold.ended_on = today
    hold.ended_reason = reason.value


def place_holds(
    session: Session,
    family: Family,
    decision: Decision,
    case: Case | None,
    *,
    priority: str,
    hold_months: int | None,
    today: dt.date,
) -> PriorityHold | None:
    """The holds a decision places (flushes; the decision's transaction commits).

    "raise" with a case: a watch hold until the case closes (a lowered hold ends). "lower": a
    lowered hold for `hold_months` lists (every active hold ends, the case's watch too).
    "keep" changes nothing."""
    active = _active(session, family.family_id)
    start = first_list_month(today)
    hold: PriorityHold | None = None
    if priority == "raise":
        for old in active:
            if old.kind == HoldKind.lowered:
                _end(old, reason=HoldEnd.superseded, today=today)
        if case is not None and not any(h.kind == HoldKind.watch for h in active):
            hold = PriorityHold(
                family_id=family.family_id, district=family.district, decision_id=decision.id,
                case_id=case.id, kind=HoldKind.watch.value, began_on=today, from_month=start,
            )  # fmt: skip
    elif priority == "lower":
        for old in active:
            _end(old, reason=HoldEnd.superseded, today=today)
        if case is not None:
            case.watch = False
        months = hold_months or DEFAULT_HOLD_MONTHS
        until = format_month(months_after(parse_month(start), months - 1))
        hold = PriorityHold(
            family_id=family.family_id, district=family.district, decision_id=decision.id,
            case_id=case.id if case is not None else None, kind=HoldKind.lowered.value,
            began_on=today, from_month=start, until_month=until,
        )  # fmt: skip
    if hold is not None:
        session.add(hold)
        session.flush()
    return hold


def end_decision_holds(session: Session, decision_id: int, *, today: dt.date) -> int:
    """End the active holds placed by decision `decision_id`, which a new decision supersedes
    (`superseded`; flushes, returns how many ended). A watch it placed ends with its case's
    watch flag; the superseding decision's own priority then places its holds."""
    ended = 0
    for hold in session.scalars(
        select(PriorityHold).where(
            PriorityHold.decision_id == decision_id, PriorityHold.ended_on.is_(None)
        )
    ):
        _end(hold, reason=HoldEnd.superseded, today=today)
        if hold.kind == HoldKind.watch and hold.case_id is not None:
            case = session.get(Case, hold.case_id)
            if case is not None:
                case.watch = False
        ended += 1
    session.flush()
    return ended


def end_case_holds(session: Session, case: Case, *, today: dt.date) -> None:
    """A closed case ends its family's watch (flushes)."""
    for hold in _active(session, case.family_id):
        if hold.kind == HoldKind.watch:
            _end(hold, reason=HoldEnd.case_closed, today=today)
    session.flush()


def holds_for_month(
    session: Session, month: str, *, districts: Sequence[str] | None = None
) -> dict[str, ActiveHold]:
    """Per family, the hold the list of `month` honours (a watch wins over a lowered hold)."""
    as_of = parse_month(month)
    query = select(PriorityHold).where(
        PriorityHold.from_month <= month,
        or_(PriorityHold.until_month.is_(None), PriorityHold.until_month >= month),
        or_(PriorityHold.ended_on.is_(None), PriorityHold.ended_on > as_of),
    )
    if districts is not None:
        query = query.where(PriorityHold.district.in_(list(districts)))
    out: dict[str, ActiveHold] = {}
    for hold in session.scalars(query.order_by(PriorityHold.id)):
        current = out.get(hold.family_id)
        if current is None or hold.kind == HoldKind.watch:
            out[hold.family_id] = ActiveHold(HoldKind(hold.kind), hold.began_on)
    return out


def end_holds(
    session: Session, family_ids: Iterable[str], *, reason: HoldEnd, today: dt.date
) -> int:
    """End the active lowered holds of `family_ids` (a new signal put them back on the list);
    flushes and returns how many ended."""
    ids = list(family_ids)
    if not ids:
        return 0
    ended = 0
    for hold in session.scalars(
        select(PriorityHold).where(
            PriorityHold.family_id.in_(ids),
            PriorityHold.kind == HoldKind.lowered.value,
            PriorityHold.ended_on.is_(None),
        )
    ):
        _end(hold, reason=reason, today=today)
        ended += 1
    session.flush()
    return ended
