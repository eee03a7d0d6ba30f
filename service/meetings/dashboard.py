"""The council's own figures for a district and month, small counts suppressed.

Every figure describes what was recorded: cases opened and closed, families whose plan included
each type of measure (by the measure's status now), the share delivered by the due date, days
from the list to the first contact, the share of cases with a recorded serious incident within
3, 6 and 12 months of opening (only over cases whose window is over), and how the council's
decisions about the month's list relate to the score. None says that a measure caused or
prevented anything.

Suppression, by the same code as the published statistics (`service.statistics.suppression`):
a count from 1 to 9 is never shown (`MIN_COUNT`; a zero identifies nobody and is shown). Where
parts add up to a shown total (families by measure and status; families with and without
action; cases with and without an incident; measures delivered on time or not), the parts and
their total are suppressed as one table, so no hidden part can be worked out from the shown
ones by subtraction. A share is shown only when both of its parts are; a median only over at
least `MIN_COUNT` cases.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.months import months_after, months_before
from service.audit import access_log
from service.auth.access import district_scope
from service.auth.roles import Principal
from service.lists.generate import month_start
from service.lists.views import known_district
from service.meetings.agenda import meeting_month, month_day, top_k
from service.meetings.followup import WINDOWS, CaseRecord, case_records, incident_days
from service.meetings.schemas import (
    CountRead,
    DashboardRead,
    FollowedRead,
    MeasureCountRead,
    RepeatRead,
    ValueRead,
)
from service.statistics.suppression import MIN_COUNT, augment, suppress
from service.storage.tables import Case, CaseMeasure, Decision, ListSnapshot, SnapshotFamily, utcnow


def hidden_parts(parts: Sequence[int]) -> list[bool]:
    """Which parts of a shown total to hide: the parts as one row of a table with its total,
    suppressed like every published table (primary and complementary)."""
    if not parts:
        return []
    mask = suppress(augment([list(parts)]))
    return [bool(hidden) for hidden in mask[0, : len(parts)]]


def count(n: int, *, hide: bool | None = None) -> CountRead:
    """`n`, suppressed from 1 to 9 (or when `hide` says so)."""
    suppressed = (0 < n < MIN_COUNT) if hide is None else hide
    return CountRead(value=None if suppressed else n, suppressed=suppressed)


def split(parts: Sequence[int]) -> list[CountRead]:
    """Parts of a shown total, each shown or suppressed (`hidden_parts`)."""
    return [count(n, hide=h) for n, h in zip(parts, hidden_parts(parts), strict=True)]


def share(part: CountRead, rest: CountRead, n_part: int, n_total: int) -> ValueRead:
    """`n_part / n_total`, shown only when neither part is suppressed and the total is not
    small."""
    if part.suppressed or rest.suppressed or n_total < MIN_COUNT:
        return ValueRead(value=None, suppressed=True)
    return ValueRead(value=n_part / n_total, suppressed=False)


def median(values: Sequence[int]) -> ValueRead:
    if len(values) < MIN_COUNT:
        return ValueRead(value=None, suppressed=True)
    return ValueRead(value=float(statistics.median(values)), suppressed=False)


def _in(day: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return day is not None and first <= day <= last


def _repeat(
    records: Sequence[CaseRecord], days: dict[str, list[dt.date]], on: dt.date
) -> list[RepeatRead]:
    out = []
    for months in WINDOWS:
        cutoff = months_before(on, months)
        cohort = [r.case for r in records if r.case.opened_on <= cutoff]
        with_incident = 0
        for case in cohort:
            window_end = months_after(case.opened_on, months)
            if any(case.opened_on < d <= window_end for d in days.get(case.family_id, [])):
                with_incident += 1
        yes, no = split([with_incident, len(cohort) - with_incident])
        out.append(
            RepeatRead(
                months=months,
                cases=count(len(cohort)),
                with_incident=yes,
                share=share(yes, no, with_incident, len(cohort)),
            )
        )
    return out


def _followed(session: Session, district: str, month: str) -> FollowedRead | None:
    snapshot = session.scalar(
        select(ListSnapshot).where(ListSnapshot.district == district, ListSnapshot.month == month)
    )
    if snapshot is None:
        return None
    listed = set(
        session.scalars(
            select(SnapshotFamily.family_id).where(
                SnapshotFamily.snapshot_id == snapshot.id, SnapshotFamily.list_rank.is_not(None)
            )
        )
    )
    latest: dict[str, Decision] = {}
    for decision in session.scalars(
        select(Decision)
        .where(Decision.district == district, Decision.list_month == month)
        .order_by(Decision.id)
    ):
        latest[decision.family_id] = decision  # the newest decision of the month counts
    acted = {
        fid
        for fid, d in latest.items()
        if fid in listed and set(json.loads(d.measures)) - {"no_action"}
    }
    in_top = {row.family_id for row in top_k(session, snapshot)}
    raised = {fid for fid, d in latest.items() if d.priority == "raise" and fid not in in_top}
    lowered = {fid for fid, d in latest.items() if d.priority == "lower" and fid in in_top}
    with_action, without_action = split([len(acted), len(listed) - len(acted)])
    return FollowedRead(
        listed=count(len(listed)),
        with_action=with_action,
        without_action=without_action,
        raised_outside_top_k=count(len(raised)),
        lowered_inside_top_k=count(len(lowered)),
    )


def dashboard_view(session: Session, district: str, month: str, *, today: dt.date) -> DashboardRead:
    """The district's figures for `month`, counted up to the month's day (`month_day`)."""
    first = month_start(month)
    on = month_day(month, today)
    cases = list(
        session.scalars(
            select(Case).where(Case.district == district, Case.opened_on <= on).order_by(Case.id)
        )
    )
    records = case_records(session, cases)
    opened = [r for r in records if _in(r.case.opened_on, first, on)]
    closed = [r for r in records if _in(r.case.closed_on, first, on)]
    # Measures added to plans in the month; families (cases) by the measure's type and status.
    added = [m for r in records for m in r.measures if _in(m.created_on, first, on)]
    plans = {(m.measure, m.status, m.case_id) for m in added}
    by_type = Counter((measure, status) for measure, status, _case in plans)
    cells = sorted(by_type.items())
    shown_cells = split([n for _, n in cells])
    # Measures due in the month whose due date passed by `on`, or delivered.
    due: list[tuple[CaseMeasure, dt.date | None]] = []
    for r in records:
        delivered = r.delivered_on()
        for m in r.measures:
            if _in(m.due_on, first, on) and (m.due_on < on or m.id in delivered):
                due.append((m, delivered.get(m.id)))
    on_time = sum(1 for m, day in due if day is not None and day <= m.due_on)
    yes, no = split([on_time, len(due) - on_time])
    contacts = [d for r in opened if (d := r.days_to_first_contact()) is not None]
    days = incident_days(session, (c.family_id for c in cases), on=on)
    return DashboardRead(
        district=district,
        month=month,
        on=on,
        min_count=MIN_COUNT,
        cases_opened=count(len(opened)),
        cases_closed=count(len(closed)),
        measures=[
            MeasureCountRead(measure=measure, status=status, count=shown)
            for ((measure, status), _), shown in zip(cells, shown_cells, strict=True)
        ],
        measures_total=count(len(added)),
        measures_due=count(len(due)),
        delivered_on_time=yes,
        on_time_share=share(yes, no, on_time, len(due)),
        cases_with_contact=count(len(contacts)),
        median_days_to_first_contact=median(contacts),
        repeat=_repeat(records, days, on),
        followed=_followed(session, district, month),
        generated_at=utcnow(),
    )


def read_dashboard(
    session: Session, user: Principal, district: str, month: str, *, today: dt.date | None = None
) -> DashboardRead:
    """The dashboard after the district check, with the read written to the access log
    (`dashboard.read`)."""
    meeting_month(month)
    district_scope(user, district)
    access_log.begin_read(session)
    known_district(session, district)
    view = dashboard_view(session, district, month, today=today or dt.datetime.now(dt.UTC).date())
    access_log.log_read(
        session, user=user, action="dashboard.read", district=district, list_month=month
    )
    return view
