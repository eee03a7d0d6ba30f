"""API schemas of council decisions: the catalogue of measures, priorities, and the decision."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from features.months import MONTH_PATTERN
from service.api_types import DbId, StrictBody, UtcDateTime, example_config


class Measure(StrEnum):
    """The council's catalogue of measures (domain brief, section 1)."""

    psychologist = "psychologist"
    social_patronage_visit = "social_patronage_visit"
    guardianship_authority = "guardianship_authority"
    employment_help = "employment_help"
    crisis_centre = "crisis_centre"
    correctional_programme = "correctional_programme"
    court_extension_request = "court_extension_request"
    no_action = "no_action"


class Priority(StrEnum):
    raise_ = "raise"
    keep = "keep"
    lower_ = "lower"


MIN_LOWER_REASON = 20


class DecisionCreate(StrictBody):
    """A council decision. Lowering priority needs a reason of at least 20 characters."""

    model_config = example_config(
        {
            "measures": ["psychologist", "social_patronage_visit"],
            "priority": "raise",
            "reason": "Teacher and clinic both report new concerns this month.",
            "list_month": "2025-04",
            "supersedes_id": None,
        },
        forbid=True,
    )
    measures: list[Measure] = Field(min_length=1)
    priority: Priority = Priority.keep
    reason: str = Field(default="", max_length=4000)
    list_month: str | None = Field(default=None, pattern=MONTH_PATTERN)
    supersedes_id: DbId | None = None


class DecisionRead(BaseModel):
    id: int
    family_id: str
    measures: list[str]
    priority: str
    reason: str
    list_month: str | None
    supersedes_id: int | None
    superseded_by: int | None
    decided_by: str
    created_at: UtcDateTime
