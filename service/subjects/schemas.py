"""API schemas of subject access: a person's export, disputes and their outcomes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Literal

from pydantic import BaseModel, Field, model_validator

from features.i18n import N_
from service.api_types import UtcDateTime, example_config
from service.records.schemas import RecordType

DisputeStatus = Literal["open", "accepted", "rejected"]

#: Why a child's record in a parent's export holds no answers (the parent asking may be the
#: adult the child is afraid of).
CHILD_CONFIDENCE: Final = N_(
    "Answers a child gave in confidence are not given to a parent; the child, or the "
    "guardianship authority on the child's behalf, can ask for them."
)
#: What a person's export never holds, whatever the family's records are (the same list in
#: every export, so it tells nothing about the family).
WITHHELD: Final = (
    N_("Records about other adults of the family, their screening answers included."),
    N_("Records about children aged 18 or over: they ask for their own."),
    N_("Who submitted a record: no user and no institution of the reporting agency."),
    N_(
        "The written reasons and measures of the council's decisions: the council explains "
        "its decisions in person."
    ),
    N_("The names of the officials who read the family's data: their role is shown."),
    N_("Other members' own requests: their exports, explanations and disputes."),
    N_("The keyed IIN hashes: a lookup key, not data about the person."),
    CHILD_CONFIDENCE,
)


class ExportPerson(BaseModel):
    person_id: str
    relation: Literal["self", "child"] = Field(
        description="`self`: the person asking; `child`: a child of the household under 18."
    )
    role: str
    sex: str
    birth_year: int
    full_name: str
    died_on: dt.date | None


class ExportRecord(BaseModel):
    """A record about the person or their child, as it stands now (corrections applied)."""

    record_id: str
    record_type: str
    source: str = Field(description="The kind of agency: school, clinic, police, guardianship.")
    about: str = Field(description="The person_id the record is about.")
    event_date: dt.date
    knowledge_date: dt.date
    content: dict[str, Any]
    withheld: str | None = Field(
        default=None,
        description="Set on a child's record in a parent's export: why the answers that tell "
        "what happens at home are left out of `content`.",
    )


class ExportCorrection(BaseModel):
    record_type: str
    record_id: str
    field: str
    old_value: Any
    new_value: Any
    reason: str
    created_at: UtcDateTime


class ExportListMonth(BaseModel):
    month: str
    on_list: bool = Field(description="The family was on the council's list of that month.")
    band: str | None


class ExportDecision(BaseModel):
    created_at: UtcDateTime
    list_month: str | None
    priority: str


class ExportAccess(BaseModel):
    at: str
    role: str
    action: str


class DisputeCreate(BaseModel):
    """A person disputes a record (or, without a record, something else held about them)."""

    model_config = example_config(
        {
            "record_type": "school_survey",
            "record_id": "ss-000001",
            "field": "days_absent",
            "statement": "My son was in hospital those days; the school has the certificate.",
        },
        forbid=True,
    )
    record_type: RecordType | None = None
    record_id: str | None = Field(default=None, min_length=1, max_length=64)
    field: str | None = Field(default=None, min_length=1, max_length=64)
    statement: str = Field(min_length=10, max_length=4000)

    @model_validator(mode="after")
    def _record_together(self) -> DisputeCreate:
        if (self.record_type is None) != (self.record_id is None):
            raise ValueError("record_id: expected record_type and record_id together, got one")
        if self.field is not None and self.record_id is None:
            raise ValueError("field: expected a record_type and record_id with it, got none")
        return self


class DisputeOutcomeCreate(BaseModel):
    """The council's outcome of a dispute: `accepted` corrects the record (a new version, the
    old one kept) with `new_value` of `field`; `rejected` keeps it and says why."""

    model_config = example_config(
        {
            "outcome": "accepted",
            "field": "days_absent",
            "new_value": 0,
            "reason": "The hospital certificate covers the days counted as absent.",
        },
        forbid=True,
    )
    outcome: Literal["accepted", "rejected"]
    field: str | None = Field(
        default=None, description="The field to correct (default: the dispute's field)."
    )
    new_value: Any = Field(default=None, description="The corrected value (accepted only).")
    reason: str = Field(min_length=10, max_length=4000)


class DisputeRead(BaseModel):
    id: int
    person_id: str
    family_id: str
    district: str
    record_type: str | None
    record_id: str | None
    field: str | None
    statement: str
    status: DisputeStatus
    outcome_reason: str | None
    correction_id: int | None
    received_at: UtcDateTime
    decided_at: UtcDateTime | None = Field(
        description="UTC, RFC 3339 with offset; null while open."
    )


class PersonExport(BaseModel):
    """What is held about one person (and, for an adult, the household's children under 18)."""

    generated_at: UtcDateTime
    person: ExportPerson
    children: list[ExportPerson]
    household: dict[str, Any] = Field(
        description="The family's registry row, the attributes kept for fairness audits too."
    )
    records: list[ExportRecord]
    corrections: list[ExportCorrection]
    disputes: list[DisputeRead]
    lists: list[ExportListMonth]
    decisions: list[ExportDecision]
    access_log: list[ExportAccess]
    withheld: list[str] = Field(description="What a person's export never holds.")
