"""The council's view of one family: persons, the timeline of all three agencies, open orders
and decisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.access import may_see_names
from service.auth.roles import Principal
from service.decisions.decide import family_decisions
from service.families.members import persons
from service.families.orders import open_orders
from service.families.schemas import FamilyRead, TimelineItem
from service.families.scope import family_in_scope
from service.records.kinds import RECORD_SOURCES, content_of
from service.storage.tables import Family, ListSnapshot, SnapshotFamily


def timeline(session: Session, family_id: str) -> list[TimelineItem]:
    """All agency records about the family, by event date."""
    items = []
    for record_type, source, table in RECORD_SOURCES:
        for row in session.scalars(select(table).where(table.family_id == family_id)):
            items.append(
                TimelineItem(
                    record_id=row.record_id,
                    record_type=record_type,
                    source=source,
                    event_date=row.event_date,
                    knowledge_date=row.knowledge_date,
                    institution_id=row.institution_id,
                    content=content_of(row),
                )
            )
    items.sort(key=lambda item: (item.event_date, item.record_id))
    return items


def latest_band(session: Session, family_id: str) -> str | None:
    """The family's band in its latest list snapshot (None when never scored)."""
    return session.scalar(
        select(SnapshotFamily.band)
        .join(ListSnapshot, ListSnapshot.id == SnapshotFamily.snapshot_id)
        .where(SnapshotFamily.family_id == family_id)
        .order_by(ListSnapshot.month.desc())
        .limit(1)
    )


def family_view(
    session: Session, family: Family, *, names: bool, today: dt.date | None = None
) -> FamilyRead:
    """The council's view of one family."""
    today = today or dt.datetime.now(dt.UTC).date()
    band = latest_band(session, family.family_id)
    return FamilyRead(
        family_id=family.family_id,
        district=family.district,
        persons=persons(session, family.family_id, names=names),
        timeline=timeline(session, family.family_id),
        open_orders=open_orders(session, family.family_id, today=today, band=band),
        decisions=family_decisions(session, family.family_id),
    )


def read_family(session: Session, user: Principal, family_id: str) -> FamilyRead:
    """The family's view after the district check, with the read written to the access log
    (names only for the council of the family's district)."""
    access_log.begin_read(session)
    family = family_in_scope(session, user, family_id)
    district = family.district
    view = family_view(session, family, names=may_see_names(user, district))
    access_log.log_read(
        session, user=user, action="family.read", family_id=family_id, district=district
    )
    return view
