"""One family's data: the timeline of all three agencies, open orders, decisions, and the
subject-access export of everything held about the family. Callers log every read."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.contracts import PROTECTION_KINDS
from service.decisions import family_decisions
from service.errors import NotFoundError
from service.schemas import FamilyRead, OrderRead, PersonRead, TimelineItem
from service.tables import (
    AccessLogEntry,
    Alert,
    Base,
    Correction,
    Family,
    ListSnapshot,
    MedicalScreeningRow,
    Person,
    PoliceSignalRow,
    RecordBase,
    SchoolSurveyRow,
    SnapshotFamily,
)

#: Days before expiry when a protective order of a high-band family suggests a court extension.
EXTENSION_WINDOW_DAYS: Final = 14
HIGH_BANDS: Final = frozenset({"high", "very_high"})
_RECORDS: Final[tuple[tuple[str, str, type[RecordBase]], ...]] = (
    ("school_survey", "school", SchoolSurveyRow),
    ("medical_screening", "clinic", MedicalScreeningRow),
    ("police_signal", "police", PoliceSignalRow),
)
_COMMON: Final = frozenset(
    {
        "record_id",
        "family_id",
        "person_id",
        "subject_iin_hash",
        "institution_id",
        "submitted_by",
        "event_date",
        "knowledge_date",
        "created_at",
    }
)


def get_family(session: Session, family_id: str) -> Family:
    """The family or `NotFoundError` (404)."""
    family = session.get(Family, family_id)
    if family is None:
        raise NotFoundError(f"family_id: no family {family_id!r}")
    return family


def _columns(row: Base) -> dict[str, Any]:
    table: Any = row.__table__
    return {c.key: getattr(row, c.key) for c in table.columns}


def content_of(row: RecordBase) -> dict[str, Any]:
    content = {k: v for k, v in _columns(row).items() if k not in _COMMON}
    if "forms" in content:
        content["forms"] = [f for f in str(content["forms"]).split(",") if f]
    return content


def timeline(session: Session, family_id: str) -> list[TimelineItem]:
    """All agency records about the family, by event date."""
    items = []
    for record_type, source, table in _RECORDS:
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


def order_read(
    record_id: str, kind: str, valid_until: dt.date, *, today: dt.date, band: str | None
) -> OrderRead:
    days = (valid_until - today).days
    return OrderRead(
        record_id=record_id,
        kind=kind,
        valid_until=valid_until,
        days_to_expiry=days,
        suggest_extension=days <= EXTENSION_WINDOW_DAYS and band in HIGH_BANDS,
    )


def open_orders(
    session: Session, family_id: str, *, today: dt.date, band: str | None = None
) -> list[OrderRead]:
    """Protective orders and court requirements known and in force on `today`."""
    rows = session.scalars(
        select(PoliceSignalRow)
        .where(
            PoliceSignalRow.family_id == family_id,
            PoliceSignalRow.kind.in_([k.value for k in PROTECTION_KINDS]),
            PoliceSignalRow.valid_until >= today,
            PoliceSignalRow.knowledge_date <= today,
        )
        .order_by(PoliceSignalRow.valid_until)
    )
    return [
        order_read(r.record_id, r.kind, r.valid_until, today=today, band=band)
        for r in rows
        if r.valid_until is not None
    ]


def latest_band(session: Session, family_id: str) -> str | None:
    """The family's band in its latest list snapshot (None when never scored)."""
    return session.scalar(
        select(SnapshotFamily.band)
        .join(ListSnapshot, ListSnapshot.id == SnapshotFamily.snapshot_id)
        .where(SnapshotFamily.family_id == family_id)
        .order_by(ListSnapshot.month.desc())
        .limit(1)
    )


def persons(session: Session, family_id: str, *, names: bool) -> list[PersonRead]:
    rows = session.scalars(
        select(Person).where(Person.family_id == family_id).order_by(Person.person_id)
    )
    return [
        PersonRead(
            person_id=p.person_id,
            role=p.role,
            sex=p.sex,
            birth_year=p.birth_year,
            full_name=p.full_name if names else None,
        )
        for p in rows
    ]


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


def export_family(session: Session, family: Family) -> dict[str, Any]:
    """Everything held about the family, for a subject-access request (JSON-ready).

    Includes the registry rows (with the attributes kept for fairness audits), every record,
    decision, correction, alert, every list entry with its score, and who read the family's data.
    The keyed IIN hashes are left out: they are not data about the family but a lookup key.
    """
    fid = family.family_id
    snapshots = session.execute(
        select(ListSnapshot.month, ListSnapshot.model_version, SnapshotFamily)
        .join(SnapshotFamily, SnapshotFamily.snapshot_id == ListSnapshot.id)
        .where(SnapshotFamily.family_id == fid)
        .order_by(ListSnapshot.month)
    ).all()
    corrections = session.scalars(select(Correction).where(Correction.family_id == fid))
    reads = session.scalars(select(AccessLogEntry).where(AccessLogEntry.family_id == fid))
    return {
        "family": _columns(family),
        "persons": [
            {k: v for k, v in _columns(p).items() if k != "iin_hash"}
            for p in session.scalars(select(Person).where(Person.family_id == fid))
        ],
        "records": [item.model_dump(mode="json") for item in timeline(session, fid)],
        "decisions": [d.model_dump(mode="json") for d in family_decisions(session, fid)],
        "corrections": [_columns(c) for c in corrections],
        "alerts": [
            _columns(a) for a in session.scalars(select(Alert).where(Alert.family_id == fid))
        ],
        "scores": [
            {
                "month": month,
                "model_version": version,
                "probability": sf.probability,
                "band": sf.band,
                "score_rank": sf.score_rank,
                "list_rank": sf.list_rank,
                "change": sf.change,
                "signals": json.loads(sf.signals) if sf.signals else None,
            }
            for month, version, sf in snapshots
        ],
        "access_log": [
            {"at": e.at, "username": e.username, "role": e.role, "action": e.action} for e in reads
        ],
    }
