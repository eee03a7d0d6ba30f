"""API schemas of agency records and their corrections, split by direction (`...Create` comes
in, `...Read` goes out).

Record request bodies are the agencies' content models from `features.contracts` plus the subject
(`subject_iin`) and `event_date`; the institution and the submitting user come from the token.
Every request body carries a valid example for the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from features.contracts import (
    GuardianshipCare,
    HospitalInjury,
    MedicalScreening,
    PoliceSignal,
    SchoolSurvey,
)
from features.iin import validate_iin
from service.api_types import IIN_DESCRIPTION, IinStr, StrictBody, UtcDateTime, example_config

#: A valid IIN (check digit correct) of a person who does not exist; for examples only.
EXAMPLE_IIN = "850315401231"


#: No agency record is about an event before this day (year 0001 is a typing error).
EARLIEST_EVENT_DATE: Final = dt.date(1900, 1, 1)
#: The longest a protective order or court requirement is taken to run: today's orders last up
#: to 30 days and court requirements up to 12 months (proposals: extensions while danger
#: remains), so 5 years is generous; a later `valid_until` (9999-12-31) is a typing error.
MAX_VALIDITY: Final = dt.timedelta(days=5 * 365 + 1)


#: One valid body of each record kind: the OpenAPI document's examples (tests start from them).
SCHOOL_SURVEY_EXAMPLE: Final[dict[str, Any]] = {
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

MEDICAL_SCREENING_EXAMPLE: Final[dict[str, Any]] = {
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

POLICE_SIGNAL_EXAMPLE: Final[dict[str, Any]] = {
    "subject_iin": EXAMPLE_IIN,
    "event_date": "2025-03-12",
    "kind": "protective_order",
    "forms": ["physical"],
    "valid_until": "2025-04-11",
}

HOSPITAL_INJURY_EXAMPLE: Final[dict[str, Any]] = {
    "subject_iin": EXAMPLE_IIN,
    "event_date": "2025-03-11",
    "admitted": True,
    "forms": ["physical"],
}

GUARDIANSHIP_CARE_EXAMPLE: Final[dict[str, Any]] = {
    "subject_iin": "100902604561",
    "event_date": "2025-03-13",
    "placement": "relatives",
    "temporary": True,
}


class _Subject(StrictBody):
    subject_iin: Annotated[
        IinStr,
        Field(
            description="The person the record is about, stored only as a keyed hash. "
            + IIN_DESCRIPTION
        ),
    ]
    event_date: dt.date = Field(
        ge=EARLIEST_EVENT_DATE,
        description="When it happened: from 1900-01-01, not after today.",
    )

    @field_validator("subject_iin")
    @classmethod
    def _valid_iin(cls, value: str) -> str:
        validate_iin(value)  # its messages never repeat the IIN
        return value


class SchoolSurveyCreate(SchoolSurvey, _Subject):
    """A school survey submitted by a school user."""

    model_config = example_config(SCHOOL_SURVEY_EXAMPLE)


class MedicalScreeningCreate(MedicalScreening, _Subject):
    """A violence screening submitted by a clinic user."""

    model_config = example_config(MEDICAL_SCREENING_EXAMPLE)


class PoliceSignalCreate(PoliceSignal, _Subject):
    """A police signal submitted by a police user."""

    model_config = example_config(POLICE_SIGNAL_EXAMPLE)

    @model_validator(mode="after")
    def _valid_until_after_event(self) -> PoliceSignalCreate:
        if self.valid_until is None:
            return self
        if self.valid_until < self.event_date:
            raise ValueError(
                "valid_until: expected a date on or after event_date, got an earlier date"
            )
        if self.valid_until > self.event_date + MAX_VALIDITY:
            raise ValueError(
                "valid_until: expected a date at most 5 years after event_date, got a later one"
            )
        return self


class HospitalInjuryCreate(HospitalInjury, _Subject):
    """A hospital-treated injury submitted by a clinic user (an outcome of the label)."""

    model_config = example_config(HOSPITAL_INJURY_EXAMPLE)


class GuardianshipCareCreate(GuardianshipCare, _Subject):
    """A child taken into care, submitted by the district's guardianship authority."""

    model_config = example_config(GUARDIANSHIP_CARE_EXAMPLE)


RecordCreate = (
    SchoolSurveyCreate
    | MedicalScreeningCreate
    | PoliceSignalCreate
    | HospitalInjuryCreate
    | GuardianshipCareCreate
)
RecordType = Literal[
    "school_survey", "medical_screening", "police_signal", "hospital_injury", "guardianship_care"
]


class RecordCreated(BaseModel):
    record_id: str
    record_type: RecordType
    linked: bool = Field(description="False when the subject is not in the registry yet.")
    alert: bool = Field(default=False, description="True when the signal raised an alert.")


class CorrectionCreate(BaseModel):
    """Correct one field of one record of the family; the old value is kept and logged."""

    model_config = example_config(
        {
            "record_type": "school_survey",
            "record_id": "r-000001",
            "field": "days_absent",
            "new_value": 2,
            "reason": "The school confirmed a typing error in the absence count.",
        },
        forbid=True,
    )
    record_type: RecordType
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
    created_at: UtcDateTime


# --- issue 13: the submitting institution's own records (helper B1) -------------------------

#: The most records one page of `GET /v1/submissions` returns.
MAX_SUBMISSIONS_PAGE: Final = 500


class RecordCorrectionCreate(BaseModel):
    """Correct one of your institution's own records: the changed fields and why. The record
    gets a new version; the old one is kept and both are logged."""

    model_config = example_config(
        {
            "changes": {"days_absent": 2, "event_date": "2025-03-13"},
            "reason": "Typing error: the teacher counted two days, not four.",
        },
        forbid=True,
    )
    changes: dict[str, Any] = Field(
        min_length=1,
        max_length=20,
        description="Field name -> new value: content fields of the record kind, and "
        "`event_date`. The subject cannot be changed (withdraw and submit again).",
    )
    reason: str = Field(min_length=10, max_length=4000)


class RecordVersionRead(BaseModel):
    """One version of a record: version 1 is the record as first stored."""

    record_type: RecordType
    record_id: str
    version: int
    event_date: dt.date
    content: dict[str, Any]
    reason: str | None
    created_at: UtcDateTime
    #: The author (`users.id`), never serialised: a page shows a version's reason only to the
    #: author's own institution (a council's correction carries the council's words).
    user_id: int | None = Field(default=None, exclude=True)


class SubmissionRead(BaseModel):
    """One record the caller's institution submitted: what was reported, never a score."""

    record_id: str
    record_type: RecordType
    event_date: dt.date
    knowledge_date: dt.date
    submitted_at: UtcDateTime
    linked: bool = Field(description="False while the subject is not in the registry.")
    version: int = Field(description="1 until the record is corrected.")
    content: dict[str, Any]


class SubmissionsRead(BaseModel):
    total: int = Field(description="Records matching the filters, on every page.")
    items: list[SubmissionRead]
