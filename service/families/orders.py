"""Protective orders and court requirements in force, with days to expiry and whether a court
extension should be suggested."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.contracts import PROTECTION_KINDS
from service.families.schemas import OrderRead
from service.storage.tables import PoliceSignalRow

#: Days before expiry when a protective order of a high-band family suggests a court extension.
EXTENSION_WINDOW_DAYS: Final = 14
HIGH_BANDS: Final = frozenset({"high", "very_high"})


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
