"""API schemas of council decisions: the catalogue of measures, priorities, and the decision."""

from __future__ import annotations

import datetime as dt
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
MIN_HOLD_MONTHS = 1
MAX_HOLD_MONTHS = 12


class Agency(StrEnum):
    """Who carries a measure out."""

    school = "school"
    clinic = "clinic"
    police = "police"
    social_services = "social_services"
    guardianship = "guardianship"
    crisis_centre = "crisis_centre"
    correctional_programme = "correctional_programme"
    court_via_police = "court_via_police"


class Target(StrEnum):
    """The person a measure is aimed at (a member of the family), or the family as a whole."""

    victim = "victim"
    child = "child"
    aggressor = "aggressor"
    family = "family"


_INSTITUTION = Field(
    default=None,
    max_length=64,
    pattern=r"^[A-Za-z0-9._-]+$",
    description="The institution (a user's `institution_id`); null: the agency of the district.",
)


class MeasurePlan(StrictBody):
    """One measure of a plan: what, which agency, for whom, by when."""

    model_config = example_config(
        {
            "measure": "psychologist",
            "agency": "clinic",
            "institution_id": None,
            "officer": "Dr. Seitkali",
            "target": "child",
            "person_id": "P0001c",
            "due_on": "2030-12-31",
        },
        forbid=True,
    )
    measure: Measure
    agency: Agency
    institution_id: str | None = _INSTITUTION
    officer: str | None = Field(default=None, max_length=200)
    target: Target
    person_id: str | None = Field(
        default=None,
        max_length=64,
        description="A member of the family; null only for the target `family`.",
    )
    due_on: dt.date = Field(description="Not in the past.")


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
    plan: list[MeasurePlan] = Field(
        default=[],
        max_length=50,
        description="The measures with their agency, target person and due date (issue 12). "
        "A catalogue code in `measures` without a plan item gets a proposed measure for the "
        "catalogue's agency, aimed at the family, due in 30 days; `no_action` alone opens no "
        "case.",
    )
    hold_months: int | None = Field(
        default=None,
        ge=MIN_HOLD_MONTHS,
        le=MAX_HOLD_MONTHS,
        description="Priority `lower` only: how many monthly lists the family is kept off the "
        "top k (default 3), unless a new alert, violation or order puts it back.",
    )


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
    case_id: int | None = Field(
        default=None, description="The case the decision opened or added to (null: none)."
    )
