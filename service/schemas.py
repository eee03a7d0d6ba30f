"""API schemas, split by direction (`...Create` comes in, `...Read` goes out).

Record request bodies are the agencies' content models from `features.contracts` plus the subject
(`subject_iin`) and `event_date`; the institution and the submitting user come from the token.
Every request body carries a valid example for the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from features.contracts import MedicalScreening, PoliceSignal, SchoolSurvey
from features.iin import validate_iin
from service.roles import UserRole

#: A valid IIN (check digit correct) of a person who does not exist; for examples only.
EXAMPLE_IIN = "850315401231"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class _Subject(BaseModel):
    subject_iin: str = Field(
        description="12-digit IIN of the person the record is about; validated (birth date, "
        "check digit) and stored only as a keyed hash.",
        min_length=12,
        max_length=12,
    )
    event_date: dt.date = Field(description="When it happened (not after today).")

    @field_validator("subject_iin")
    @classmethod
    def _valid_iin(cls, value: str) -> str:
        validate_iin(value)  # its messages never repeat the IIN
        return value


class SchoolSurveyCreate(SchoolSurvey, _Subject):
    """A school survey submitted by a school user."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_iin": "100902604561",
                    "event_date": "2025-03-14",
                    "feels_safe": 2,
                    "afraid_of_adult": True,
                    "seen_violence": True,
                    "hurt_by_adult": False,
                    "hunger_neglect": False,
                    "wants_counsellor": True,
                    "unexplained_injury": False,
                    "behaviour_change": True,
                    "days_absent": 4,
                }
            ]
        }
    )


class MedicalScreeningCreate(MedicalScreening, _Subject):
    """A violence screening submitted by a clinic user."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_iin": EXAMPLE_IIN,
                    "event_date": "2025-03-10",
                    "hits_hurt": 3,
                    "hits_insult": 4,
                    "hits_threaten": 3,
                    "hits_scream": 4,
                    "wast_tension": "a_lot",
                    "wast_arguments": "great",
                    "injury_inconsistent": True,
                    "pregnant": False,
                    "phq2": 4,
                    "alcohol_concern": True,
                    "forms": ["physical", "psychological"],
                }
            ]
        }
    )


class PoliceSignalCreate(PoliceSignal, _Subject):
    """A police signal submitted by a police user."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_iin": EXAMPLE_IIN,
                    "event_date": "2025-03-12",
                    "kind": "protective_order",
                    "forms": ["physical"],
                    "valid_until": "2025-04-11",
                }
            ]
        }
    )


RecordCreate = SchoolSurveyCreate | MedicalScreeningCreate | PoliceSignalCreate


class RecordCreated(BaseModel):
    record_id: str
    record_type: Literal["school_survey", "medical_screening", "police_signal"]
    linked: bool = Field(description="False when the subject is not in the registry yet.")
    alert: bool = Field(default=False, description="True when the signal raised an alert.")


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime


# ---- Lists -----------------------------------------------------------------------------------


class ListsCreate(BaseModel):
    """Which month's lists to build, and for which districts (null: all)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"month": "2025-04", "districts": None}]},
    )
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM; features as of its 1st day.")
    districts: list[str] | None = None


class SnapshotRead(BaseModel):
    district: str
    month: str
    model_version: str
    data_fingerprint: str
    n_families: int
    k: int
    created: bool = Field(description="False when the snapshot already existed (immutable).")


class ListsCreated(BaseModel):
    snapshots: list[SnapshotRead]


class ReasonRead(BaseModel):
    feature: str
    value: float | None
    contribution: float
    text: str


class OrderRead(BaseModel):
    record_id: str
    kind: str
    valid_until: dt.date
    days_to_expiry: int
    suggest_extension: bool = Field(
        description="Expires within 14 days while the family's band is high or very high."
    )


class ListEntryRead(BaseModel):
    family_id: str
    names: list[str] | None = Field(
        default=None, description="Council of the family's own district only."
    )
    probability: float
    band: str
    rank: int
    score_rank: int
    change: str = Field(description="new, up, down or same against last month's list.")
    reasons: list[ReasonRead]
    open_orders: list[OrderRead]
    violations: list[dt.date]
    alerts: list[dt.date]


class ListRead(BaseModel):
    district: str
    month: str
    model_version: str
    data_fingerprint: str
    k: int
    n_families: int
    lang: str
    entries: list[ListEntryRead]


class ListMonthsRead(BaseModel):
    district: str
    months: list[str]


class AlertRead(BaseModel):
    id: int
    family_id: str
    kind: str
    event_date: dt.date
    created_at: dt.datetime
    probability: float | None
    band: str | None
    model_version: str | None


class AlertsRead(BaseModel):
    district: str
    alerts: list[AlertRead]


class ContributionRead(BaseModel):
    feature: str
    value: float | None
    contribution: float
    reason: str


class ExplanationRead(BaseModel):
    family_id: str
    month: str
    model_version: str
    base_value: float
    raw_score: float
    probability: float
    band: str
    contributions: list[ContributionRead]


# ---- Decisions -------------------------------------------------------------------------------


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


class DecisionCreate(BaseModel):
    """A council decision. Lowering priority needs a reason of at least 20 characters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "measures": ["psychologist", "social_patronage_visit"],
                    "priority": "raise",
                    "reason": "Teacher and clinic both report new concerns this month.",
                    "list_month": "2025-04",
                    "supersedes_id": None,
                }
            ]
        },
    )
    measures: list[Measure] = Field(min_length=1)
    priority: Priority = Priority.keep
    reason: str = Field(default="", max_length=4000)
    list_month: str | None = Field(default=None, pattern=MONTH_PATTERN)
    supersedes_id: int | None = None


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
    created_at: dt.datetime


# ---- Families --------------------------------------------------------------------------------


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


class CorrectionCreate(BaseModel):
    """Correct one field of one record of the family; the old value is kept and logged."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "record_type": "school_survey",
                    "record_id": "r-000001",
                    "field": "days_absent",
                    "new_value": 2,
                    "reason": "The school confirmed a typing error in the absence count.",
                }
            ]
        },
    )
    record_type: Literal["school_survey", "medical_screening", "police_signal"]
    record_id: str
    field: str
    new_value: Any
    reason: str = Field(min_length=10, max_length=4000)


class CorrectionRead(BaseModel):
    id: int
    record_type: str
    record_id: str
    field: str
    old_value: Any
    new_value: Any
    reason: str
    created_at: dt.datetime


# ---- Audit, models, admin --------------------------------------------------------------------


class AccessLogRead(BaseModel):
    id: int
    at: str
    username: str
    role: str
    action: str
    family_id: str | None
    district: str | None
    list_month: str | None
    hash: str


class AccessLogPage(BaseModel):
    entries: list[AccessLogRead]
    next_after: int | None


class VerifyRead(BaseModel):
    ok: bool
    entries: int
    first_bad: int | None


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "council.almaly",
                    "password": "a long passphrase of five words",
                    "role": "council",
                    "district": "Almaly",
                    "institution_id": None,
                }
            ]
        },
    )
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=12, max_length=256)
    role: UserRole
    district: str | None = None
    institution_id: str | None = None


class UserRead(BaseModel):
    id: int
    username: str
    role: str
    district: str | None
    institution_id: str | None
    active: bool


class UnlinkedRead(BaseModel):
    record_type: str
    record_id: str
    institution_id: str
    knowledge_date: dt.date


class UnlinkedPage(BaseModel):
    total: int
    records: list[UnlinkedRead]


class RelinkRead(BaseModel):
    linked: int
    still_unlinked: int


class CapacityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"capacity": 0.05}]})
    capacity: float = Field(gt=0, le=1, description="Share of the district's families listed.")


class CapacityRead(BaseModel):
    district: str
    capacity: float
