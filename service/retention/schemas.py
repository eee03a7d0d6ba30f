"""API schemas of retention and deletion: the admin's deletion on a legal ground, the tombstone
it leaves, and the retention report (what is past its period, what was destroyed)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, Field

from service.api_types import UtcDateTime, example_config

#: Twelve digits in a row look like an IIN: a reason must not carry one.
_IIN_LIKE: Final = re.compile(r"(?<!\d)\d{12}(?!\d)")
MIN_REASON: Final = 10


class Ground(StrEnum):
    """The legal ground of a deletion by the admin."""

    court_decision = "court_decision"  # a court ordered the data destroyed
    wrong_subject = "wrong_subject"  # the record was filed about the wrong person
    unlawful = "unlawful"  # collected or kept without a ground (the data-protection officer)
    subject_request = "subject_request"  # the person's request, where the ground has ended


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) < MIN_REASON:
        raise ValueError(f"expected at least {MIN_REASON} characters, got {len(text)}")
    if _IIN_LIKE.search(text):
        raise ValueError(
            "expected no IIN or other 12-digit number: name the decision by its number and "
            "date, never the person"
        )
    return text


Reason = Annotated[
    str,
    Field(
        max_length=2000,
        description="Why, in words a later reader understands (at least 10 characters): the "
        "court decision's number and date, or what was wrong. Never a name or an IIN.",
    ),
    AfterValidator(_reason),
]


class DeletionCreate(BaseModel):
    model_config = example_config(
        {
            "ground": "court_decision",
            "reason": "Decision of the district court No. 2-1234/2026 of 12 November 2026.",
        },
        forbid=True,
    )
    ground: Ground
    reason: Reason


RecordType = Literal[
    "school_survey", "medical_screening", "police_signal", "hospital_injury", "guardianship_care"
]


class DeletionRead(BaseModel):
    """A tombstone: what was destroyed, never its content."""

    id: int
    kind: str = Field(description="family, person, record, unlinked or reports.")
    ground: str
    reason: str | None
    record_type: str | None
    district: str | None
    counts: dict[str, int] = Field(description="Rows destroyed (or pseudonymised) per table.")
    snapshots_marked: int = Field(description="Stored lists marked as having used the data.")
    created_at: UtcDateTime


class DistrictDue(BaseModel):
    district: str
    families: int


class RetentionReport(BaseModel):
    """What is past its retention period on `today` (a dry run), or what was destroyed."""

    today: dt.date
    applied: bool
    families: int
    by_district: list[DistrictDue]
    unlinked_records: int
    import_reports: int
    upload_files: int
    deletions: list[int] = Field(
        default_factory=list, description="Ids of the tombstones written (applied runs)."
    )
