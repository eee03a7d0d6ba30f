"""What may be uploaded, by whom, with which columns.

Three families of kind:
- *live record kinds* (`school_survey`, ...): the agencies' own records, one row per record, the
  columns of the single-record `...Create` schema. Each submitting role uploads only its own
  kinds; the admin may upload them as historical files (then each row also carries its
  `knowledge_date`, and may carry `record_id` and `institution_id`).
- *register kinds* (`families`, `persons`, `register_changes`): the extract of the state register
  of individuals and its monthly changes, admin only.
- *contract kinds* (`school_surveys`, ..., `outcomes`): the Parquet contract of
  `features.contracts` (what `patronage simulate` and `patronage export` write), admin only and
  always historical: record ids, families and persons are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import BaseModel

from features.contracts import TABLES
from service.auth.roles import Principal, UserRole
from service.errors import ServiceError
from service.records.kinds import RECORD_TYPES


class ImportKind(StrEnum):
    school_survey = "school_survey"
    medical_screening = "medical_screening"
    police_signal = "police_signal"
    hospital_injury = "hospital_injury"
    guardianship_care = "guardianship_care"
    families = "families"
    persons = "persons"
    register_changes = "register_changes"
    school_surveys = "school_surveys"
    medical_screenings = "medical_screenings"
    police_signals = "police_signals"
    outcomes = "outcomes"


#: Live record kinds and the role that submits each.
LIVE_KINDS: Final[dict[ImportKind, UserRole]] = {
    ImportKind.school_survey: UserRole.school,
    ImportKind.medical_screening: UserRole.clinic,
    ImportKind.police_signal: UserRole.police,
    ImportKind.hospital_injury: UserRole.clinic,
    ImportKind.guardianship_care: UserRole.guardianship,
}
REGISTER_KINDS: Final = (ImportKind.families, ImportKind.persons, ImportKind.register_changes)
CONTRACT_KINDS: Final = (
    ImportKind.school_surveys,
    ImportKind.medical_screenings,
    ImportKind.police_signals,
    ImportKind.outcomes,
)
#: Columns a historical row of a live kind may carry besides the schema's.
HISTORICAL_COLUMNS: Final = ("knowledge_date", "record_id", "institution_id")
#: Columns that hold an IIN or a name: their values never appear in a report.
SENSITIVE_COLUMNS: Final = frozenset({"subject_iin", "iin", "full_name"})
#: The register's monthly changes.
REGISTER_CHANGE_COLUMNS: Final = (
    "change", "person_id", "family_id", "iin", "full_name", "sex", "birth_year", "role",
    "district", "date",
)  # fmt: skip
REGISTER_CHANGE_REQUIRED: Final = ("change",)


class ImportForbiddenError(ServiceError):
    """The uploader's role may not upload this kind (403)."""

    status_code = 403


@dataclass(frozen=True)
class Columns:
    """The columns of a kind: those a file must have, and those it may have."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


def parse_kind(value: str) -> ImportKind:
    """The kind named `value`, or a 422 naming the kinds there are."""
    from service.errors import FieldError

    try:
        return ImportKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in ImportKind)
        raise FieldError(
            ("body", "kind"), f"kind: expected one of {kinds}; got an unknown kind"
        ) from None


def schema_of(kind: ImportKind) -> type[BaseModel]:
    """The single-record request schema of a live kind."""
    return RECORD_TYPES[kind.value][0]


def columns_of(kind: ImportKind, *, historical: bool) -> Columns:
    """The columns a file of `kind` has (`historical`: an admin's historical upload)."""
    if kind in LIVE_KINDS:
        fields = schema_of(kind).model_fields
        required = tuple(n for n, f in fields.items() if f.is_required())
        optional = tuple(n for n, f in fields.items() if not f.is_required())
        if historical:
            return Columns((*required, "knowledge_date"), optional + HISTORICAL_COLUMNS[1:])
        return Columns(required, (*optional, "institution_id"))
    if kind is ImportKind.register_changes:
        rest = tuple(c for c in REGISTER_CHANGE_COLUMNS if c not in REGISTER_CHANGE_REQUIRED)
        return Columns(REGISTER_CHANGE_REQUIRED, rest)
    schema = TABLES[kind.value]
    if kind is ImportKind.police_signals:
        return Columns(tuple(c for c in schema if c != "valid_until"), ("valid_until",))
    return Columns(tuple(schema))


def check_allowed(user: Principal, kind: ImportKind, *, historical: bool) -> None:
    """Raise 403 unless `user` may upload `kind` (historical: admin only)."""
    if user.role is UserRole.admin:
        if kind in LIVE_KINDS and not historical:
            raise ImportForbiddenError(
                f"kind {kind.value}: the admin uploads records only as historical files "
                "(historical=true); live records come from the agency that made them"
            )
        return
    if historical:
        raise ImportForbiddenError("historical: only the admin uploads historical files")
    if LIVE_KINDS.get(kind) is not user.role:
        own = ", ".join(k.value for k, role in LIVE_KINDS.items() if role is user.role)
        raise ImportForbiddenError(
            f"kind {kind.value}: role {user.role.value} may upload only {own or 'no kind'}"
        )


def kinds_for(user: Principal) -> list[ImportKind]:
    """The kinds `user` may upload (for templates and documentation)."""
    if user.role is UserRole.admin:
        return list(ImportKind)
    return [k for k, role in LIVE_KINDS.items() if role is user.role]
