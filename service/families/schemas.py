"""API schemas of one family's data: persons, the agencies' timeline, open orders, decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from service.decisions.schemas import DecisionRead


class OrderRead(BaseModel):
    record_id: str
    kind: str
    valid_until: dt.date
    days_to_expiry: int
    suggest_extension: bool = Field(
        description="Expires within 14 days while the family's band is high or very high."
    )


class TimelineItem(BaseModel):
    record_id: str
    record_type: str
    source: str
    event_date: dt.date
    knowledge_date: dt.date
    institution_id: str
    content: dict[str, Any]


class PersonRead(BaseModel):
    person_id: str
    role: str
    sex: str
    birth_year: int
    full_name: str | None = None


class FamilyRead(BaseModel):
    family_id: str
    district: str
    persons: list[PersonRead]
    timeline: list[TimelineItem]
    open_orders: list[OrderRead]
    decisions: list[DecisionRead]
