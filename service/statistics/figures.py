"""The month's figures per district, and the protected tables of a district, a region or the
country (docs/statistics.md defines every figure).

`district_counts` counts each figure per district from storage (a plain function of the
session and the month). `protected_tables` builds every table the service publishes for the
month, the national one (a row per region) and one per region (a row per district), and
suppresses small counts in all of them together (`service.statistics.suppression`): a region's
row of the national table and the region's own totals are the same numbers, so they are
suppressed in both places or in neither, and a district's figures are its row of its region's
table. Whatever level a reader asks for, they see the same protected numbers.

The case figures (issue 12's `cases`, `case_measures`, `measure_events`) are counted when those
tables exist in the database, and are absent otherwise (not zero).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sqlalchemy import Date, String, and_, column, func, inspect, or_, select, table
from sqlalchemy.orm import Session

from features.contracts import ALERT_KINDS, PROTECTION_KINDS
from features.months import months_after, months_before
from features.pipeline.protection import EXTENSION_GRACE_DAYS
from model.bands import BANDS
from service.decisions.schemas import Measure
from service.statistics.suppression import (
    MIN_COUNT,
    IntGrid,
    Link,
    Mask,
    augment,
    suppress_linked,
)
from service.storage.tables import (
    Alert,
    CarePlacementRow,
    Family,
    HospitalInjuryRow,
    ListSnapshot,
    MedicalScreeningRow,
    Person,
    PoliceSignalRow,
    SchoolSurveyRow,
    SnapshotFamily,
)

#: A checklist list's entries have no band.
NO_BAND: Final = "no_band"
#: School age: 6 to 17 in the month's year.
SCHOOL_AGE: Final = (6, 17)
COVERAGE_DAYS: Final = 365
REPEAT_DAYS: Final = 365
#: Statuses of a case measure (docs/cases-model: proposed -> sent -> acknowledged -> ...).
MEASURE_STATUSES: Final = ("proposed", "sent", "acknowledged", "delivered", "declined",
                           "unreachable")  # fmt: skip
_PROTECTIONS: Final = sorted(k.value for k in PROTECTION_KINDS)
_ALERTS: Final = sorted(k.value for k in ALERT_KINDS)
_WOMEN: Final = ("female", "f")

#: Each figure's categories, in the order the tables show them.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "listed": tuple(
        f"{band}:{kind}" for band in (*BANDS, NO_BAND) for kind in ("new", "recurring")
    ),
    "alerts": tuple(_ALERTS),
    "orders_issued": tuple(_PROTECTIONS),
    "orders_expired": ("extended", "not_extended", "window_open"),
    "children_surveyed": ("surveyed", "not_surveyed"),
    "women_screened": ("screened", "not_screened"),
    "cases_opened": ("open", "closed"),
    "measures_by_status": MEASURE_STATUSES,
    "measures_by_type": tuple(m.value for m in Measure),
    "measures_delivered": ("on_time", "late"),
    "repeat": ("repeat", "no_repeat"),
}
CASE_FIGURES: Final = (
    "cases_opened", "measures_by_status", "measures_by_type", "measures_delivered", "repeat",
)  # fmt: skip
#: Figures counting the same things (their row totals are equal): linked for suppression.
SAME_POPULATION: Final = (("measures_by_status", "measures_by_type"),)

Counts = dict[str, dict[str, list[int]]]  # figure -> district -> one count per column


@dataclass(frozen=True)
class Period:
    """The calendar month of the figures: [start, end)."""

    month: str
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, month: str, start: dt.date) -> Period:
        return cls(month=month, start=start, end=months_after(start, 1))


def _add(counts: Counts, figure: str, district: str, category: str, n: int = 1) -> None:
    row = counts[figure].setdefault(district, [0] * len(COLUMNS[figure]))
    row[COLUMNS[figure].index(category)] += n


def _listed(session: Session, period: Period, counts: Counts) -> None:
    rows = session.execute(
        select(ListSnapshot.district, SnapshotFamily.band, SnapshotFamily.change, func.count())
        .join(SnapshotFamily, SnapshotFamily.snapshot_id == ListSnapshot.id)
        .where(ListSnapshot.month == period.month, SnapshotFamily.list_rank.is_not(None))
        .group_by(ListSnapshot.district, SnapshotFamily.band, SnapshotFamily.change)
    )
    for district, band, change, n in rows:
        kind = "new" if change in (None, "new") else "recurring"
        band = band if band in BANDS else NO_BAND
        _add(counts, "listed", district, f"{band}:{kind}", int(n))


def _alerts(session: Session, period: Period, counts: Counts) -> None:
    rows = session.execute(
        select(Alert.district, Alert.kind, func.count())
        .where(Alert.event_date >= period.start, Alert.event_date < period.end)
        .group_by(Alert.district, Alert.kind)
    )
    for district, kind, n in rows:
        if kind in _ALERTS:
            _add(counts, "alerts", district, kind, int(n))


def _orders(session: Session, period: Period, counts: Counts, *, today: dt.date) -> None:
    rows = session.execute(
        select(
            PoliceSignalRow.family_id,
            Family.district,
            PoliceSignalRow.kind,
            PoliceSignalRow.event_date,
            PoliceSignalRow.valid_until,
        )
        .join(Family, Family.family_id == PoliceSignalRow.family_id)
        .where(PoliceSignalRow.kind.in_(_PROTECTIONS), PoliceSignalRow.valid_until.is_not(None))
        .distinct()
    ).all()
    orders: list[tuple[str, str, str, dt.date, dt.date]] = [
        (str(fid), district, kind, start, end)
        for fid, district, kind, start, end in rows
        if end is not None
    ]
    by_family: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for fid, _district, _kind, start, end in orders:
        by_family[fid].append((start, end))
    grace = dt.timedelta(days=EXTENSION_GRACE_DAYS)
    seen: set[tuple[str, dt.date, dt.date]] = set()
    for fid, district, kind, start, end in orders:
        if period.start <= start < period.end:
            _add(counts, "orders_issued", district, kind)
        if not period.start <= end < period.end or (fid, start, end) in seen:
            continue
        seen.add((fid, start, end))  # one protection, whatever its kind was recorded as
        extended = any(e2 > end and s2 <= end + grace for s2, e2 in by_family[fid])
        if extended:
            _add(counts, "orders_expired", district, "extended")
        elif today <= end + grace:
            _add(counts, "orders_expired", district, "window_open")
        else:
            _add(counts, "orders_expired", district, "not_extended")


def _coverage(session: Session, period: Period, counts: Counts) -> None:
    since = period.end - dt.timedelta(days=COVERAGE_DAYS)
    alive = or_(Person.died_on.is_(None), Person.died_on >= period.start)
    youngest, oldest = SCHOOL_AGE
    groups = (
        ("children_surveyed", SchoolSurveyRow,
         and_(Person.role == "child",
              Person.birth_year.between(period.start.year - oldest,
                                        period.start.year - youngest))),
        ("women_screened", MedicalScreeningRow,
         and_(Person.role == "adult", Person.sex.in_(_WOMEN))),
    )  # fmt: skip
    for figure, record, who in groups:
        population = session.execute(
            select(Family.district, func.count(Person.person_id))
            .join(Family, Family.family_id == Person.family_id)
            .where(who, alive)
            .group_by(Family.district)
        ).all()
        reached_ids = (
            select(record.person_id)
            .where(record.event_date >= since, record.event_date < period.end)
            .distinct()
        )
        reached = dict(
            session.execute(
                select(Family.district, func.count(Person.person_id))
                .join(Family, Family.family_id == Person.family_id)
                .where(who, alive, Person.person_id.in_(reached_ids))
                .group_by(Family.district)
            ).all()
        )
        yes, no = COLUMNS[figure]
        for district, total in population:
            got = int(reached.get(district, 0))
            _add(counts, figure, district, yes, got)
            _add(counts, figure, district, no, int(total) - got)


# The case tables of issue 12, named as its contract names them (docs in cases-model): read
# through lightweight table clauses, so this module works before and after they exist.
_cases = table(
    "cases",
    column("id"),
    column("family_id", String),
    column("district", String),
    column("opened_on", Date),
    column("closed_on", Date),
)
_measures = table(
    "case_measures",
    column("id"),
    column("case_id"),
    column("measure", String),
    column("due_on", Date),
    column("created_on", Date),
)
_events = table(
    "measure_events",
    column("id"),
    column("measure_id"),
    column("on", Date),
    column("status_to", String),
)


def case_tables_exist(session: Session) -> bool:
    """Whether the database has issue 12's case tables."""
    inspector = inspect(session.connection())
    return all(inspector.has_table(name) for name in ("cases", "case_measures", "measure_events"))


def _cases_and_measures(session: Session, period: Period, counts: Counts) -> None:
    for district, closed_on in session.execute(
        select(_cases.c.district, _cases.c.closed_on).where(
            _cases.c.opened_on >= period.start, _cases.c.opened_on < period.end
        )
    ):
        closed = closed_on is not None and closed_on < period.end
        _add(counts, "cases_opened", district, "closed" if closed else "open")
    measures = session.execute(
        select(
            _measures.c.id, _cases.c.district, _measures.c.measure, _measures.c.due_on,
            _measures.c.created_on,
        ).join(_cases, _cases.c.id == _measures.c.case_id)
    ).all()  # fmt: skip
    events: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for measure_id, on, event_id, status in session.execute(
        select(_events.c.measure_id, _events.c.on, _events.c.id, _events.c.status_to).where(
            _events.c.on < period.end
        )
    ):
        events[int(measure_id)].append((on, int(event_id), status))
    for measure_id, district, measure, due_on, created_on in measures:
        history = sorted(events.get(int(measure_id), []))
        if period.start <= created_on < period.end:
            status = history[-1][2] if history else "proposed"
            if status in MEASURE_STATUSES:
                _add(counts, "measures_by_status", district, status)
            if measure in COLUMNS["measures_by_type"]:
                _add(counts, "measures_by_type", district, measure)
        for on, _id, status in history:
            if status == "delivered" and period.start <= on < period.end:
                _add(counts, "measures_delivered", district, "on_time" if on <= due_on else "late")


def _repeat(session: Session, period: Period, counts: Counts) -> None:
    """Cases opened in the month twelve months before: did the family have a new incident
    within `REPEAT_DAYS` after the case was opened?"""
    start = months_before(period.start, 12)
    cohort = session.execute(
        select(_cases.c.family_id, _cases.c.district, _cases.c.opened_on).where(
            _cases.c.opened_on >= start, _cases.c.opened_on < months_after(start, 1)
        )
    ).all()
    if not cohort:
        return
    families = sorted({fid for fid, _d, _o in cohort})
    incidents: dict[str, list[dt.date]] = defaultdict(list)
    sources: list[Any] = [
        select(PoliceSignalRow.family_id, PoliceSignalRow.event_date).where(
            PoliceSignalRow.kind.in_(_ALERTS)
        ),
        select(HospitalInjuryRow.family_id, HospitalInjuryRow.event_date),
        select(CarePlacementRow.family_id, CarePlacementRow.event_date),
    ]
    for chunk_start in range(0, len(families), 500):
        chunk = families[chunk_start : chunk_start + 500]
        for query in sources:
            rows = session.execute(query.where(query.selected_columns[0].in_(chunk)))
            for fid, day in rows:
                incidents[fid].append(day)
    horizon = dt.timedelta(days=REPEAT_DAYS)
    for fid, district, opened_on in cohort:
        repeat = any(opened_on < day <= opened_on + horizon for day in incidents.get(fid, []))
        _add(counts, "repeat", district, "repeat" if repeat else "no_repeat")


def district_counts(session: Session, period: Period, *, today: dt.date, cases: bool) -> Counts:
    """Every figure's counts per district for `period` (the case figures only with `cases`)."""
    figures = [f for f in COLUMNS if cases or f not in CASE_FIGURES]
    counts: Counts = {figure: {} for figure in figures}
    _listed(session, period, counts)
    _alerts(session, period, counts)
    _orders(session, period, counts, today=today)
    _coverage(session, period, counts)
    if cases:
        _cases_and_measures(session, period, counts)
        _repeat(session, period, counts)
    return counts


@dataclass(frozen=True)
class Protected:
    """One published table: its augmented grid (row totals last, column totals last) and which
    entries are suppressed."""

    rows: tuple[str, ...]
    grid: IntGrid
    suppressed: Mask


#: (figure, None) is the national table, (figure, region) a region's.
TableKey = tuple[str, str | None]


def protected_tables(
    counts: Mapping[str, Mapping[str, Sequence[int]]],
    regions: Mapping[str, Sequence[str]],
    *,
    min_count: int = MIN_COUNT,
) -> dict[TableKey, Protected]:
    """The national and regional table of every figure, suppressed together (see the module's
    docstring). `regions` maps each region to its districts (every district of the registry,
    also those with nothing to count)."""
    names = sorted(regions)
    grids: dict[TableKey, IntGrid] = {}
    rows_of: dict[TableKey, tuple[str, ...]] = {}
    for figure, per_district in counts.items():
        width = len(COLUMNS[figure])
        national_rows = []
        for region in names:
            districts = tuple(sorted(regions[region]))
            cells = [list(per_district.get(d, [0] * width)) for d in districts]
            grids[(figure, region)] = augment(cells)
            rows_of[(figure, region)] = districts
            national_rows.append(grids[(figure, region)][-1, :-1])
        grids[(figure, None)] = augment(np.array(national_rows, dtype=np.int64).reshape(-1, width))
        rows_of[(figure, None)] = tuple(names)
    links: list[Link] = []
    for figure in counts:
        width = len(COLUMNS[figure])
        for k, region in enumerate(names):
            last = len(regions[region])
            links.extend(
                Link((((figure, None), k, j), ((figure, region), last, j)))
                for j in range(width + 1)
            )
    for group in SAME_POPULATION:
        present = [f for f in group if f in counts]
        for a, b in itertools.pairwise(present):
            areas: list[str | None] = [None, *names]
            for area in areas:
                grid_a, grid_b = grids[(a, area)], grids[(b, area)]
                links.extend(
                    Link((((a, area), i, grid_a.shape[1] - 1), ((b, area), i, grid_b.shape[1] - 1)))
                    for i in range(grid_a.shape[0])
                )  # fmt: skip
    masks = _suppress_groups(grids, links, min_count=min_count)
    return {
        key: Protected(rows=rows_of[key], grid=grid, suppressed=masks[key])
        for key, grid in grids.items()
    }


def _suppress_groups(
    grids: dict[TableKey, IntGrid], links: list[Link], *, min_count: int
) -> dict[TableKey, Mask]:
    """`suppress_linked` per group of tables that links connect (a figure, or figures of one
    population), which is the same result, found faster."""
    group_of: dict[str, str] = {}
    for group in SAME_POPULATION:
        for figure in group:
            group_of[figure] = group[0]
    by_group: dict[str, dict[TableKey, IntGrid]] = defaultdict(dict)
    for key, grid in grids.items():
        by_group[group_of.get(key[0], key[0])][key] = grid
    links_by_group: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        name: str = link.entries[0][0][0]
        links_by_group[group_of.get(name, name)].append(link)
    out: dict[TableKey, Mask] = {}
    for name, members in by_group.items():
        masks = suppress_linked(members, links_by_group[name], min_count=min_count)
        out.update({key: masks[key] for key in members})
    return out


def regions_of(session: Session) -> dict[str, list[str]]:
    """Each region of the registry and its districts (a district listed under one region: the
    first by name, should the registry disagree with itself)."""
    seen: dict[str, str] = {}
    for region, district in session.execute(
        select(Family.region, Family.district).distinct().order_by(Family.region, Family.district)
    ):
        seen.setdefault(district, region)
    out: dict[str, list[str]] = defaultdict(list)
    for district, region in seen.items():
        out[region].append(district)
    return {region: sorted(districts) for region, districts in sorted(out.items())}


def published(values: Iterable[int], hidden: Iterable[bool]) -> list[int | None]:
    """Counts with suppressed ones as None."""
    return [None if h else int(v) for v, h in zip(values, hidden, strict=True)]
