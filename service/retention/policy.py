"""The retention policy: how long each kind of data is kept, and what is past it on a given day.

A family's data (registry rows, the agencies' records, decisions, case work) is kept for
`retention_family_years` after its last activity, and at least until
`retention_after_majority_years` after the end of the year its youngest member turns 18. It
is never due while the family has an open case, an active priority hold, or a protective order
or court requirements in force. A family the agencies never recorded anything about is the
register's mirror, not a case: it has no retention clock (the register's own changes remove it).

Unlinked records (a subject the register never knew) are kept `retention_unlinked_years` after
the service learned them; an upload's job and per-row report `retention_import_report_days`
after it ended. docs/data-protection.md is the register of every kind of data and its period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from features.contracts import PROTECTION_KINDS
from service.settings import Settings
from service.storage.tables import Base, Family, Person, PoliceSignalRow

#: Age of majority in Kazakhstan (Civil Code, art. 17).
MAJORITY_AGE: Final = 18

#: Where a family's activity is dated: (table, family column, date columns). The latest of these
#: dates is the family's last activity. Tables not in the schema are skipped (`metadata`).
ACTIVITY: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("school_surveys", "family_id", ("event_date", "knowledge_date")),
    ("medical_screenings", "family_id", ("event_date", "knowledge_date")),
    ("police_signals", "family_id", ("event_date", "knowledge_date", "valid_until")),
    ("hospital_injuries", "family_id", ("event_date", "knowledge_date")),
    ("care_placements", "family_id", ("event_date", "knowledge_date")),
    ("outcomes", "family_id", ("event_date", "knowledge_date")),
    ("alerts", "family_id", ("created_at",)),
    ("decisions", "family_id", ("created_at",)),
    ("corrections", "family_id", ("created_at",)),
    ("cases", "family_id", ("opened_on", "closed_on")),
    ("priority_holds", "family_id", ("began_on", "ended_on")),
)


@dataclass(frozen=True)
class RetentionPolicy:
    """The periods, each at least 1 (the settings refuse anything else)."""

    family_years: int = 5
    after_majority_years: int = 1
    unlinked_years: int = 2
    import_report_days: int = 365

    def __post_init__(self) -> None:
        for name in ("family_years", "after_majority_years", "unlinked_years",
                     "import_report_days"):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"PATRONAGE_RETENTION_{name.upper()}: expected a whole number of at least "
                    f"1, got {value!r}"
                )

    @classmethod
    def of(cls, settings: Settings) -> RetentionPolicy:
        return cls(
            family_years=settings.retention_family_years,
            after_majority_years=settings.retention_after_majority_years,
            unlinked_years=settings.retention_unlinked_years,
            import_report_days=settings.retention_import_report_days,
        )


def add_years(day: dt.date, years: int) -> dt.date:
    """`day` moved by `years` (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def majority_end(birth_year: int) -> dt.date:
    """The last day of the year a person born in `birth_year` turns 18 (the register gives the
    year only)."""
    return dt.date(birth_year + MAJORITY_AGE, 12, 31)


@dataclass(frozen=True)
class FamilyDue:
    family_id: str
    district: str
    last_activity: dt.date
    keep_until: dt.date


def table(name: str) -> Table | None:
    """The table `name` of the schema, or None when it does not exist (yet)."""
    return Base.metadata.tables.get(name)


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite returns text from max() of dates


def last_activity(session: Session) -> dict[str, dt.date]:
    """The latest dated activity of every family that has any."""
    out: dict[str, dt.date] = {}
    for name, family_column, date_columns in ACTIVITY:
        source = table(name)
        if source is None:
            continue
        for date_column in date_columns:
            rows = session.execute(
                select(source.c[family_column], func.max(source.c[date_column]))
                .where(source.c[family_column].is_not(None))
                .group_by(source.c[family_column])
            )
            for family_id, latest in rows:
                day = _as_date(latest)
                if day is not None and (family_id not in out or day > out[family_id]):
                    out[family_id] = day
    return out


def _held(session: Session, *, today: dt.date) -> set[str]:
    """Families that are never due today: an open case, an active hold, an order in force."""
    held: set[str] = set(
        session.scalars(
            select(PoliceSignalRow.family_id).where(
                PoliceSignalRow.family_id.is_not(None),
                PoliceSignalRow.kind.in_([k.value for k in PROTECTION_KINDS]),
                PoliceSignalRow.valid_until >= today,
            )
        )
    )
    cases = table("cases")
    if cases is not None:
        held.update(session.scalars(select(cases.c.family_id).where(cases.c.status == "open")))
    holds = table("priority_holds")
    if holds is not None:
        # A watch hold counts while not ended; a lowered one only up to its last list
        # (`until_month`): a lowered hold whose last month has passed is never ended.
        month = f"{today.year:04d}-{today.month:02d}"
        held.update(
            session.scalars(
                select(holds.c.family_id).where(
                    holds.c.ended_at.is_(None),
                    or_(
                        holds.c.kind != "lowered",
                        holds.c.until_month.is_(None),
                        holds.c.until_month >= month,
                    ),
                )
            )
        )
    return held


def due_families(session: Session, policy: RetentionPolicy, *, today: dt.date) -> list[FamilyDue]:
    """Families whose data is past its retention period on `today`, by district and id."""
    activity = last_activity(session)
    youngest = dict(
        session.execute(
            select(Person.family_id, func.max(Person.birth_year)).group_by(Person.family_id)
        ).all()
    )
    held = _held(session, today=today)
    due = []
    for family_id, district in session.execute(
        select(Family.family_id, Family.district).order_by(Family.district, Family.family_id)
    ):
        last = activity.get(family_id)
        if last is None or family_id in held:
            continue
        keep_until = add_years(last, policy.family_years)
        born = youngest.get(family_id)
        if born is not None:
            keep_until = max(
                keep_until, add_years(majority_end(int(born)), policy.after_majority_years)
            )
        if keep_until < today:
            due.append(FamilyDue(family_id, district, last, keep_until))
    return due


def record_tables() -> Iterator[Table]:
    """The agency record tables (every table with `record_id` and `subject_iin_hash`)."""
    for source in Base.metadata.sorted_tables:
        if "record_id" in source.c and "subject_iin_hash" in source.c:
            yield source


def due_unlinked(session: Session, policy: RetentionPolicy, *, today: dt.date) -> list[str]:
    """Ids of unlinked records (no family) known longer than the period before `today`."""
    cutoff = add_years(today, -policy.unlinked_years)
    ids: list[str] = []
    for source in record_tables():
        ids += session.scalars(
            select(source.c.record_id).where(
                source.c.family_id.is_(None), source.c.knowledge_date < cutoff
            )
        )
    return sorted(ids)


def import_reports_cutoff(policy: RetentionPolicy, *, today: dt.date) -> dt.datetime:
    """Upload jobs that ended before this moment are past their period."""
    day = today - dt.timedelta(days=policy.import_report_days)
    return dt.datetime.combine(day, dt.time())
