"""The kinds of agency record: request schema, table row, id prefix and source agency,
and the content of a stored row (what the agency reported, without the bookkeeping columns)."""

from __future__ import annotations

from typing import Any, Final

from service.records.schemas import (
    GuardianshipCareCreate,
    HospitalInjuryCreate,
    MedicalScreeningCreate,
    PoliceSignalCreate,
    RecordCreate,
    SchoolSurveyCreate,
)
from service.storage.tables import (
    Base,
    CarePlacementRow,
    HospitalInjuryRow,
    MedicalScreeningRow,
    PoliceSignalRow,
    RecordBase,
    SchoolSurveyRow,
)

#: record type -> (request schema, table row, id prefix)
RECORD_TYPES: Final[dict[str, tuple[type[RecordCreate], type[RecordBase], str]]] = {
    "school_survey": (SchoolSurveyCreate, SchoolSurveyRow, "ss"),
    "medical_screening": (MedicalScreeningCreate, MedicalScreeningRow, "ms"),
    "police_signal": (PoliceSignalCreate, PoliceSignalRow, "ps"),
    "hospital_injury": (HospitalInjuryCreate, HospitalInjuryRow, "hi"),
    "guardianship_care": (GuardianshipCareCreate, CarePlacementRow, "gc"),
}
#: record type, source agency and table row, in timeline order
RECORD_SOURCES: Final[tuple[tuple[str, str, type[RecordBase]], ...]] = (
    ("school_survey", "school", SchoolSurveyRow),
    ("medical_screening", "clinic", MedicalScreeningRow),
    ("police_signal", "police", PoliceSignalRow),
    ("hospital_injury", "clinic", HospitalInjuryRow),
    ("guardianship_care", "guardianship", CarePlacementRow),
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
        "historical",
        "import_id",
    }
)


def record_type_of(body: RecordCreate) -> str:
    """The record type name of a request body."""
    for name, (schema, _row, _prefix) in RECORD_TYPES.items():
        if isinstance(body, schema):
            return name
    raise TypeError(f"body: expected a record schema, got {type(body).__name__}")


def columns(row: Base) -> dict[str, Any]:
    """Every column of a row by name."""
    table: Any = row.__table__
    return {c.key: getattr(row, c.key) for c in table.columns}


def content_of(row: RecordBase) -> dict[str, Any]:
    """The reported content of a record row (`forms` as a list)."""
    content = {k: v for k, v in columns(row).items() if k not in _COMMON}
    if "forms" in content:
        content["forms"] = [f for f in str(content["forms"]).split(",") if f]
    return content


def content_columns(body: RecordCreate) -> dict[str, Any]:
    """The content columns of a request body, as stored (`content_of` reads them back):
    everything but the subject and the event date, `forms` comma-joined."""
    data = body.model_dump(exclude={"subject_iin", "event_date"})
    if "forms" in data:
        data["forms"] = ",".join(str(f) for f in data["forms"])
    return data
