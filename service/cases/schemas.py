"""API schemas of cases: agencies, targets, statuses, the plan, referrals and their history."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, Field

from service.api_types import StrictBody, UtcDateTime, example_config
from service.auth.roles import UserRole
from service.decisions.schemas import Agency, Measure, MeasurePlan, Target
from service.families.schemas import PersonRead

__all__ = ["Agency", "MeasurePlan", "Target"]


class MeasureStatus(StrEnum):
    proposed = "proposed"
    sent = "sent"
    acknowledged = "acknowledged"
    delivered = "delivered"
    declined = "declined"
    unreachable = "unreachable"


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


#: Agencies whose staff have a user role in the product: they acknowledge and report their
#: referrals themselves. The council records the steps of the others.
AGENCY_ROLE: Final[dict[Agency, UserRole]] = {
    Agency.school: UserRole.school,
    Agency.clinic: UserRole.clinic,
    Agency.police: UserRole.police,
    Agency.court_via_police: UserRole.police,
    Agency.guardianship: UserRole.guardianship,
}

#: Agencies with several institutions per district (schools, clinics): a measure names the
#: institution that will act before it is sent; the police and the guardianship authority act
#: for the whole district.
NAMED_INSTITUTION: Final = frozenset({Agency.school, Agency.clinic})

#: The agency a catalogue measure goes to when the decision has no plan item for it.
DEFAULT_AGENCY: Final[dict[Measure, Agency]] = {
    Measure.psychologist: Agency.clinic,
    Measure.social_patronage_visit: Agency.social_services,
    Measure.guardianship_authority: Agency.guardianship,
    Measure.employment_help: Agency.social_services,
    Measure.crisis_centre: Agency.crisis_centre,
    Measure.correctional_programme: Agency.correctional_programme,
    Measure.court_extension_request: Agency.court_via_police,
}
#: Days until a default measure is due.
DEFAULT_DUE_DAYS: Final = 30
#: A decline needs a reason at least this long.
MIN_DECLINE_NOTE: Final = 10
#: A case is closed with a note at least this long.
MIN_CLOSE_NOTE: Final = 10


class StatusChange(StrictBody):
    """A measure's next status and a note (a decline needs a reason of 10 characters or more).
    Sending a school's or a clinic's measure needs its institution: the measure's own, or
    `institution_id` here."""

    model_config = example_config(
        {"status": "sent", "note": None, "institution_id": "school-almaly-1"}, forbid=True
    )
    status: MeasureStatus
    note: str | None = Field(default=None, max_length=4000)
    institution_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Only when sending a proposed measure that names no institution: the "
        "institution that will act (a user's `institution_id` of the agency in the family's "
        "district). Required for a school or a clinic (several per district).",
    )


class CaseClose(StrictBody):
    """Closing a case needs a note of at least 10 characters."""

    model_config = example_config(
        {"note": "Plan delivered; no new incident in three months."}, forbid=True
    )
    note: str = Field(max_length=4000)


class MeasureEventRead(BaseModel):
    at: UtcDateTime
    on: dt.date = Field(description="The day of the step (the council's or the agency's).")
    by: str = Field(description="The user who recorded the step.")
    status_from: str | None = Field(description="Null: the measure's creation.")
    status_to: str
    note: str | None = Field(description="Null in an auditor's read: free text may name people.")


class MeasureRead(BaseModel):
    id: int
    case_id: int
    decision_id: int | None
    measure: str
    agency: str
    institution_id: str | None
    officer: str | None = Field(description="Null in an auditor's read.")
    target: str
    person_id: str | None
    person_name: str | None = Field(
        default=None, description="Council of the family's district only."
    )
    due_on: dt.date
    status: str
    overdue: bool = Field(description="Not delivered, declined or unreachable after its due date.")
    created_on: dt.date
    history: list[MeasureEventRead]


class CaseRead(BaseModel):
    id: int
    family_id: str
    district: str
    status: str
    watch: bool = Field(description="Priority raised: listed every month until closed.")
    opened_on: dt.date
    opened_by: str
    first_decision_id: int
    list_month: str | None
    closed_on: dt.date | None
    closed_by: str | None
    close_note: str | None = Field(description="Null in an auditor's read.")
    measures: list[MeasureRead]


class FamilyCasesRead(BaseModel):
    family_id: str
    district: str
    members: list[PersonRead] = Field(
        description="The family's members (the `person_id` a measure targets); names for the "
        "council of the family's district only."
    )
    cases: list[CaseRead] = Field(description="Newest first; at most one open.")


class CaseSummaryRead(BaseModel):
    id: int
    family_id: str
    status: str
    watch: bool
    opened_on: dt.date
    closed_on: dt.date | None
    measures: int
    delivered: int
    overdue: int


class DistrictCasesRead(BaseModel):
    district: str
    cases: list[CaseSummaryRead]


class ReferralRead(BaseModel):
    """A measure as the agency it is addressed to sees it: never a score, band, rank, reason
    or the list."""

    id: int
    family_id: str
    district: str
    members: list[str] = Field(description="Names of the family's members.")
    measure: str
    agency: str
    institution_id: str | None
    officer: str | None
    target: str
    person_name: str | None
    due_on: dt.date
    status: str
    history: list[MeasureEventRead]


class ReferralsRead(BaseModel):
    referrals: list[ReferralRead]
