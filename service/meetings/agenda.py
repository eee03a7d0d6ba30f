"""The agenda of a district council's monthly meeting.

Five sections, each read from what is stored (the month's list snapshot, the cases and their
measures, the alerts, the police records, the priority holds):

- families new in the top k of the month's list (not in the top k of the previous month's);
- open cases due for review: a measure overdue (due date passed, not delivered), declined by the
  agency, or not delivered because the family could not be reached (until the council adds a
  new measure to the case);
- alerts recorded since the previous list was built (on or after its as-of date) and before the
  next list's;
- protective orders and court requirements expiring within 14 days of the agenda's day;
- families whose lowered priority ends with this month's list.

The agenda's day is today, kept within the month, so a past month's agenda reads as at its end.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from features.contracts import PROTECTION_KINDS
from features.months import months_after, months_before
from service.audit import access_log
from service.auth.access import district_scope, may_see_names
from service.auth.roles import Principal
from service.errors import FieldError
from service.families.orders import EXTENSION_WINDOW_DAYS
from service.lists.alerts import district_alerts
from service.lists.generate import month_start, previous_month
from service.lists.views import get_snapshot, known_district
from service.meetings.schemas import (
    AgendaAlertRead,
    AgendaCaseRead,
    AgendaFamilyRead,
    AgendaHoldRead,
    AgendaMeasureRead,
    AgendaOrderRead,
    AgendaRead,
    ReviewReason,
)
from service.storage.tables import (
    Case,
    CaseMeasure,
    Decision,
    Family,
    ListSnapshot,
    MeasureEvent,
    Person,
    PoliceSignalRow,
    PriorityHold,
    SnapshotFamily,
)

#: How an agenda left the service, as the access log records it.
AgendaAction = Literal["agenda.read", "agenda.print", "agenda.export_csv"]
#: Measure statuses still waiting for the agency (a passed due date makes them overdue).
PENDING = ("proposed", "sent", "acknowledged")
#: Statuses that end a measure without delivering it.
NOT_DELIVERED = ("declined", "unreachable")


#: The months a meeting can be about (the windows count a year back and forward from them).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def meeting_month(month: str) -> dt.date:
    """The first day of `month`, a 422 naming `month` unless it is YYYY-MM from 1900 to 2999."""
    first = month_start(month)
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise FieldError(
            ("query", "month"), f"month: expected a month from {FIRST_YEAR}-01 to {LAST_YEAR}-12"
        )
    return first


def month_day(month: str, today: dt.date) -> dt.date:
    """`today` kept within `month`: its first day before it, its last day after it."""
    first = meeting_month(month)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return min(max(today, first), last)


def names_of(session: Session, family_ids: Iterable[str]) -> dict[str, list[str]]:
    """Members' names per family (person id order)."""
    wanted = sorted(set(family_ids))
    out: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Person.family_id, Person.full_name)
            .where(Person.family_id.in_(wanted[start : start + 500]))
            .order_by(Person.family_id, Person.person_id)
        )
        for family_id, name in rows:
            out[family_id].append(name)
    return out


def top_k(session: Session, snapshot: ListSnapshot) -> list[SnapshotFamily]:
    """The snapshot's top k, in score order: the k best-scored families whose priority the list
    did not hold lowered (a lowered family's place goes to the next one)."""
    return list(
        session.scalars(
            select(SnapshotFamily)
            .where(
                SnapshotFamily.snapshot_id == snapshot.id,
                or_(SnapshotFamily.hold.is_(None), SnapshotFamily.hold != "lowered"),
            )
            .order_by(SnapshotFamily.score_rank)
            .limit(snapshot.k)
        )
    )


def new_in_top_k(session: Session, snapshot: ListSnapshot) -> list[SnapshotFamily]:
    """Listed families of the snapshot's top k that were not in the previous month's top k."""
    previous = session.scalar(
        select(ListSnapshot).where(
            ListSnapshot.district == snapshot.district,
            ListSnapshot.month == previous_month(snapshot.month),
        )
    )
    before = {row.family_id for row in top_k(session, previous)} if previous else set()
    return [row for row in top_k(session, snapshot) if row.family_id not in before]


def cases_for_review(session: Session, district: str, *, on: dt.date) -> list[AgendaCaseRead]:
    """Open cases of `district` with a measure overdue on `on`, or declined or unreachable and
    not followed by a newer measure of the case."""
    rows = session.execute(
        select(Case, CaseMeasure)
        .join(CaseMeasure, CaseMeasure.case_id == Case.id)
        .where(Case.district == district, Case.status == "open")
        .order_by(Case.opened_on, Case.id, CaseMeasure.id)
    ).all()
    measures_of: dict[int, list[CaseMeasure]] = defaultdict(list)
    cases: dict[int, Case] = {}
    for case, measure in rows:
        cases[case.id] = case
        measures_of[case.id].append(measure)
    ended = [m.id for ms in measures_of.values() for m in ms if m.status in NOT_DELIVERED]
    ended_at: dict[int, tuple[dt.datetime, dt.date]] = {}
    if ended:
        for event in session.scalars(
            select(MeasureEvent)
            .where(MeasureEvent.measure_id.in_(ended), MeasureEvent.status_to.in_(NOT_DELIVERED))
            .order_by(MeasureEvent.id)
        ):
            ended_at[event.measure_id] = (event.at, event.on)
    out = []
    for case_id, measures in measures_of.items():
        flagged: list[tuple[CaseMeasure, ReviewReason, dt.date | None]] = []
        for m in measures:
            if m.status in PENDING and m.due_on < on:
                flagged.append((m, "overdue", None))
            elif m.status in NOT_DELIVERED and m.id in ended_at:
                at, day = ended_at[m.id]
                if not any(other.created_at > at for other in measures if other.id != m.id):
                    flagged.append(
                        (m, "declined" if m.status == "declined" else "unreachable", day)
                    )
        if flagged:
            case = cases[case_id]
            out.append(
                AgendaCaseRead(
                    case_id=case.id,
                    family_id=case.family_id,
                    names=None,
                    opened_on=case.opened_on,
                    measures=[
                        AgendaMeasureRead(
                            measure_id=m.id,
                            measure=m.measure,
                            agency=m.agency,
                            due_on=m.due_on,
                            status=m.status,
                            reason=reason,
                            status_on=day,
                        )
                        for m, reason, day in flagged
                    ],
                )
            )
    return out


def expiring_orders(session: Session, district: str, *, on: dt.date) -> list[AgendaOrderRead]:
    """Orders of the district's families known by `on` that expire within 14 days of it."""
    rows = session.scalars(
        select(PoliceSignalRow)
        .join(Family, Family.family_id == PoliceSignalRow.family_id)
        .where(
            Family.district == district,
            PoliceSignalRow.kind.in_([k.value for k in PROTECTION_KINDS]),
            PoliceSignalRow.knowledge_date <= on,
            PoliceSignalRow.valid_until >= on,
            PoliceSignalRow.valid_until <= on + dt.timedelta(days=EXTENSION_WINDOW_DAYS),
        )
        .order_by(PoliceSignalRow.valid_until, PoliceSignalRow.record_id)
    )
    return [
        AgendaOrderRead(
            family_id=r.family_id or "",
            names=None,
            record_id=r.record_id,
            kind=r.kind,
            valid_until=r.valid_until,
            days_left=(r.valid_until - on).days,
        )
        for r in rows
        if r.valid_until is not None and r.family_id is not None
    ]


def holds_ending(session: Session, district: str, month: str) -> list[AgendaHoldRead]:
    """Lowered priorities of the district whose last list is `month` and that are still on."""
    rows = session.execute(
        select(PriorityHold, Decision.reason)
        .join(Decision, Decision.id == PriorityHold.decision_id)
        .where(
            PriorityHold.district == district,
            PriorityHold.kind == "lowered",
            PriorityHold.until_month == month,
            PriorityHold.ended_on.is_(None),
        )
        .order_by(PriorityHold.family_id, PriorityHold.id)
    ).all()
    return [
        AgendaHoldRead(
            family_id=hold.family_id,
            names=None,
            from_month=hold.from_month,
            until_month=hold.until_month or month,
            began_on=hold.began_on,
            reason=reason,
        )
        for hold, reason in rows
    ]


def agenda_view(
    session: Session, district: str, month: str, *, today: dt.date, names: bool
) -> AgendaRead:
    """The agenda of `district` for `month` (404 without the month's list); names only when
    `names` is true."""
    snapshot = get_snapshot(session, district, month)
    on = month_day(month, today)
    since = months_before(snapshot.as_of, 1)
    until = months_after(snapshot.as_of, 1)
    new = [
        AgendaFamilyRead(
            family_id=row.family_id,
            names=None,
            rank=row.list_rank or 0,
            score_rank=row.score_rank,
            band=row.band,
            probability=row.probability,
            hold=row.hold,
        )
        for row in new_in_top_k(session, snapshot)
    ]
    alerts = [
        AgendaAlertRead(
            family_id=a.family_id,
            names=None,
            kind=a.kind,
            event_date=a.event_date,
            recorded_on=a.recorded_on,
            band=a.band,
            probability=a.probability,
        )
        for a in district_alerts(session, district, since=since, until=until)
    ]
    agenda = AgendaRead(
        district=district,
        month=month,
        on=on,
        list_as_of=snapshot.as_of,
        k=snapshot.k,
        alerts_since=since,
        new_in_top_k=new,
        cases_for_review=cases_for_review(session, district, on=on),
        alerts=alerts,
        expiring_orders=expiring_orders(session, district, on=on),
        holds_ending=holds_ending(session, district, month),
    )
    if names:
        _add_names(session, agenda)
    else:
        for hold in agenda.holds_ending:
            hold.reason = None  # the council's free text may name people
    return agenda


def _add_names(session: Session, agenda: AgendaRead) -> None:
    sections: list[
        list[AgendaFamilyRead]
        | list[AgendaCaseRead]
        | list[AgendaAlertRead]
        | list[AgendaOrderRead]
        | list[AgendaHoldRead]
    ] = [
        agenda.new_in_top_k,
        agenda.cases_for_review,
        agenda.alerts,
        agenda.expiring_orders,
        agenda.holds_ending,
    ]
    people = names_of(session, (item.family_id for section in sections for item in section))
    for section in sections:
        for item in section:
            item.names = people.get(item.family_id, [])


def read_agenda(
    session: Session,
    user: Principal,
    district: str,
    month: str,
    *,
    today: dt.date | None = None,
    action: AgendaAction = "agenda.read",
) -> AgendaRead:
    """The agenda after the district check, with the read written to the access log as
    `action` (read on a screen, printed or exported); names only for the council of the
    district."""
    meeting_month(month)
    district_scope(user, district)
    access_log.begin_read(session)
    known_district(session, district)
    agenda = agenda_view(
        session, district, month, today=today or dt.datetime.now(dt.UTC).date(),
        names=may_see_names(user, district),
    )  # fmt: skip
    access_log.log_read(session, user=user, action=action, district=district, list_month=month)
    return agenda
