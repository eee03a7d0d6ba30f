"""What was recorded after a case was opened: serious incidents at 3, 6 and 12 months, measures
delivered and on time, days from the list to the first contact.

Descriptive only. An incident is the label's recorded serious incident as
`service.storage.events` defines outcomes (criminal offenses, protective-order violations,
hospital-treated injuries, children taken into care), counted when its event date falls after
the opening day and within the window, and it was known by the day asked for. A window not over
yet gives null, never zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.months import months_after
from service.audit import access_log
from service.auth.roles import Principal
from service.cases.plan import case_in_scope
from service.lists.generate import month_start
from service.meetings.schemas import CaseFollowUpRead, IncidentsRead
from service.storage.events import load_events
from service.storage.tables import Case, CaseMeasure, MeasureEvent

#: Months after the opening day at which incidents are counted.
WINDOWS: Final = (3, 6, 12)
#: An agency reached the family: the first such event of a case is its first contact.
CONTACT: Final = ("acknowledged", "delivered")


@dataclass(frozen=True)
class CaseRecord:
    """A case with its measures and their history, as the follow-up reads it."""

    case: Case
    measures: list[CaseMeasure]
    events: list[MeasureEvent]

    def delivered_on(self) -> dict[int, dt.date]:
        """Measure id -> the day it was delivered."""
        return {e.measure_id: e.on for e in self.events if e.status_to == "delivered"}

    def first_contact(self) -> dt.date | None:
        days = [e.on for e in self.events if e.status_to in CONTACT]
        return min(days) if days else None

    def list_day(self) -> dt.date:
        """The as-of date of the case's list (the opening day when it came from no list)."""
        month = self.case.list_month
        return month_start(month) if month else self.case.opened_on

    def days_to_first_contact(self) -> int | None:
        first = self.first_contact()
        return None if first is None else (first - self.list_day()).days


def case_records(session: Session, cases: Sequence[Case]) -> list[CaseRecord]:
    """`cases` with their measures and events (three queries whatever their number)."""
    ids = [c.id for c in cases]
    measures: dict[int, list[CaseMeasure]] = defaultdict(list)
    events: dict[int, list[MeasureEvent]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.scalars(
            select(CaseMeasure).where(CaseMeasure.case_id.in_(chunk)).order_by(CaseMeasure.id)
        )
        case_of: dict[int, int] = {}
        for m in rows:
            measures[m.case_id].append(m)
            case_of[m.id] = m.case_id
        measure_ids = list(case_of)
        for m_start in range(0, len(measure_ids), 500):
            for e in session.scalars(
                select(MeasureEvent)
                .where(MeasureEvent.measure_id.in_(measure_ids[m_start : m_start + 500]))
                .order_by(MeasureEvent.id)
            ):
                events[case_of[e.measure_id]].append(e)
    return [CaseRecord(case=c, measures=measures[c.id], events=events[c.id]) for c in cases]


def incident_days(
    session: Session, family_ids: Iterable[str], *, on: dt.date
) -> dict[str, list[dt.date]]:
    """Event dates of the recorded serious incidents of each family known by `on` (the
    outcomes of `service.storage.events.load_events`)."""
    wanted = sorted(set(family_ids))
    out: dict[str, list[dt.date]] = defaultdict(list)
    if not wanted:
        return out
    outcomes = load_events(session.connection(), family_ids=wanted).outcomes
    known = outcomes.filter(pl.col("knowledge_date") <= on).sort("event_date")
    for family_id, day in zip(
        known["family_id"].to_list(), known["event_date"].to_list(), strict=True
    ):
        out[family_id].append(day)
    return out


def incidents(opened_on: dt.date, days: Sequence[dt.date], *, on: dt.date) -> list[IncidentsRead]:
    """Incidents after `opened_on` within each window; null while the window is not over."""
    out = []
    for months in WINDOWS:
        end = months_after(opened_on, months)
        count = sum(1 for d in days if opened_on < d <= end) if end <= on else None
        out.append(IncidentsRead(months=months, observable_on=end, incidents=count))
    return out


def follow_up(record: CaseRecord, days: Sequence[dt.date], *, on: dt.date) -> CaseFollowUpRead:
    """One case's follow-up counted up to `on`."""
    case = record.case
    delivered = record.delivered_on()
    due = {m.id: m.due_on for m in record.measures}
    return CaseFollowUpRead(
        case_id=case.id,
        family_id=case.family_id,
        district=case.district,
        status=case.status,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        list_month=case.list_month,
        on=on,
        incidents=incidents(case.opened_on, days, on=on),
        measures=len(record.measures),
        delivered=len(delivered),
        delivered_on_time=sum(1 for mid, day in delivered.items() if day <= due[mid]),
        declined=sum(1 for m in record.measures if m.status == "declined"),
        unreachable=sum(1 for m in record.measures if m.status == "unreachable"),
        first_contact_on=record.first_contact(),
        days_to_first_contact=record.days_to_first_contact(),
    )


def read_follow_up(
    session: Session, user: Principal, case_id: int, *, today: dt.date | None = None
) -> CaseFollowUpRead:
    """A case's follow-up after the district check, with the read written to the access log
    (`case.followup`). A missing case and another district's case both answer 404 naming
    `case_id` (`service.cases.plan.case_in_scope`, as every case route does)."""
    access_log.begin_read(session)
    case = case_in_scope(session, user, case_id)
    on = today or dt.datetime.now(dt.UTC).date()
    (record,) = case_records(session, [case])
    days = incident_days(session, [case.family_id], on=on)[case.family_id]
    view = follow_up(record, days, on=on)
    access_log.log_read(
        session, user=user, action="case.followup", family_id=case.family_id,
        district=case.district,
    )  # fmt: skip
    return view
