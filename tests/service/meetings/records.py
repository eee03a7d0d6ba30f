"""Cases, measures, alerts and holds written straight into the database, so that the meeting's
tests set up exactly the history they count (the case-work functions have their own tests)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.storage.tables import (
    Alert,
    Case,
    CaseMeasure,
    Decision,
    ListSnapshot,
    MeasureEvent,
    PoliceSignalRow,
    PriorityHold,
    SnapshotFamily,
)

_ids = itertools.count(1)


@dataclass
class Step:
    status: str
    on: dt.date


@dataclass
class MeasureSpec:
    measure: str
    due_on: dt.date
    created_on: dt.date
    steps: Sequence[Step] = field(default_factory=list)
    agency: str = "social_services"


def decision(
    session: Session,
    family_id: str,
    district: str,
    user_id: int,
    *,
    measures: Sequence[str] = ("psychologist",),
    priority: str = "keep",
    list_month: str | None = None,
    reason: str = "",
) -> Decision:
    row = Decision(
        family_id=family_id, district=district, user_id=user_id,
        measures=json.dumps(list(measures)), priority=priority, reason=reason,
        list_month=list_month,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def case(
    session: Session,
    family_id: str,
    district: str,
    user_id: int,
    *,
    opened_on: dt.date,
    measures: Sequence[MeasureSpec] = (),
    list_month: str | None = None,
    closed_on: dt.date | None = None,
    priority: str = "keep",
) -> Case:
    """A case opened on `opened_on` by a decision, with `measures` and their history."""
    first = decision(
        session, family_id, district, user_id, measures=[m.measure for m in measures] or
        ["psychologist"], priority=priority, list_month=list_month,
    )  # fmt: skip
    row = Case(
        family_id=family_id, district=district, status="closed" if closed_on else "open",
        watch=False, opened_by=user_id, opened_on=opened_on, first_decision_id=first.id,
        list_month=list_month, closed_on=closed_on,
        closed_at=dt.datetime.combine(closed_on, dt.time(12)) if closed_on else None,
        closed_by=user_id if closed_on else None, close_note="done" if closed_on else None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    for spec in measures:
        add_measure(session, row, user_id, spec)
    return row


def add_measure(session: Session, case: Case, user_id: int, spec: MeasureSpec) -> CaseMeasure:
    created = dt.datetime.combine(spec.created_on, dt.time(9)) + dt.timedelta(
        microseconds=next(_ids)
    )
    status = spec.steps[-1].status if spec.steps else "proposed"
    measure = CaseMeasure(
        case_id=case.id, decision_id=case.first_decision_id, measure=spec.measure,
        agency=spec.agency, target="family", due_on=spec.due_on, status=status,
        created_by=user_id, created_at=created, created_on=spec.created_on,
    )  # fmt: skip
    session.add(measure)
    session.flush()
    previous: str | None = None
    chain = [Step("proposed", spec.created_on), *spec.steps]
    for i, step in enumerate(chain):
        session.add(
            MeasureEvent(
                measure_id=measure.id, at=dt.datetime.combine(step.on, dt.time(10, i)),
                on=step.on, user_id=user_id, status_from=previous, status_to=step.status,
                note="The family moved away." if step.status in ("declined",) else None,
            )
        )  # fmt: skip
        previous = step.status
    session.flush()
    return measure


def police_signal(
    session: Session,
    family_id: str,
    *,
    kind: str,
    event_date: dt.date,
    knowledge_date: dt.date,
    valid_until: dt.date | None = None,
) -> PoliceSignalRow:
    row = PoliceSignalRow(
        record_id=f"ps-meet-{next(_ids)}", family_id=family_id, person_id=f"P{family_id}a",
        institution_id="police-1", event_date=event_date, knowledge_date=knowledge_date,
        kind=kind, forms="physical", valid_until=valid_until,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def alert(
    session: Session, family_id: str, district: str, *, event_date: dt.date, known: dt.date
) -> Alert:
    """A criminal-offense signal and its alert, recorded on `known`."""
    signal = police_signal(
        session, family_id, kind="criminal_offense", event_date=event_date, knowledge_date=known
    )
    row = Alert(
        record_id=signal.record_id, family_id=family_id, district=district,
        kind="criminal_offense", event_date=event_date,
        created_at=dt.datetime.combine(known, dt.time(8)),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def lowered_hold(
    session: Session,
    family_id: str,
    district: str,
    user_id: int,
    *,
    until_month: str,
    reason: str,
    ended_on: dt.date | None = None,
) -> PriorityHold:
    first = decision(
        session, family_id, district, user_id, measures=["no_action"], priority="lower",
        reason=reason,
    )  # fmt: skip
    row = PriorityHold(
        family_id=family_id, district=district, decision_id=first.id, kind="lowered",
        began_on=dt.date(2025, 3, 10), from_month="2025-04", until_month=until_month,
        ended_on=ended_on,
        ended_at=dt.datetime.combine(ended_on, dt.time(9)) if ended_on else None,
        ended_reason="new_signal" if ended_on else None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def ranks(session: Session, district: str, month: str) -> tuple[int, dict[str, int], set[str]]:
    """k, score rank per family and the listed families of a stored list."""
    snapshot = session.scalars(
        select(ListSnapshot).where(ListSnapshot.district == district, ListSnapshot.month == month)
    ).one()
    rows = session.scalars(
        select(SnapshotFamily).where(SnapshotFamily.snapshot_id == snapshot.id)
    ).all()
    listed = {r.family_id for r in rows if r.list_rank is not None}
    return snapshot.k, {r.family_id: r.score_rank for r in rows}, listed
