"""Row validation: the same checks as single records, with a report a clerk can act on.

Live record rows are validated by the single-record `...Create` schemas (so a bulk row and a
`POST /v1/records/...` body are held to the same rules); register and contract rows by the
models below, built on the content models of `features.contracts`. A failure becomes
`RowError`s: row number, column, what was expected, and what came, where what came is shown
only when it cannot be an IIN or a name (a number, a date, a yes/no, a known code).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from features.contracts import (
    MedicalScreening,
    OutcomeKind,
    PoliceSignal,
    Role,
    SchoolSurvey,
)
from features.iin import validate_iin
from service.imports.kinds import SENSITIVE_COLUMNS, ImportKind, schema_of
from service.records.schemas import RecordCreate

_SHOWABLE: Final = re.compile(r"^[0-9.:/ T-]{0,19}$")
_WORDS: Final = frozenset(
    {"true", "false", "yes", "no", "1", "0", "none", "some", "a_lot", "great", "male", "female"}
)


@dataclass(frozen=True)
class RowError:
    """One problem of one row. `got` never holds an IIN or a name."""

    row: int
    column: str | None
    expected: str
    got: str | None = None


def shown(column: str | None, value: object) -> str | None:
    """What a report may show of `value`: short numbers, dates and codes as they are, anything
    else (which could be an IIN or a name) only by its shape."""
    if value is None or value == "":
        return "nothing"
    text = str(value).strip()
    if column in SENSITIVE_COLUMNS:
        return f"text of {len(text)} characters"
    if isinstance(value, bool | int | float | dt.date):
        return text if not re.fullmatch(r"\d{6,}", text) else f"a number of {len(text)} digits"
    if (_SHOWABLE.match(text) and not re.search(r"\d{6,}", text)) or text.lower() in _WORDS:
        return text
    if re.fullmatch(r"[a-z_]{1,32}", text):  # a code (an enum value)
        return text
    return f"text of {len(text)} characters"


def errors_of(row: int, exc: ValidationError, raw: dict[str, Any]) -> list[RowError]:
    out = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = error.get("loc", ())
        column = str(loc[0]) if loc else None
        message = str(error.get("msg", "a valid value"))
        message = message.removeprefix("Value error, ")
        got = shown(column, raw.get(column)) if column is not None else None
        if error.get("type") == "missing":
            message, got = "a value (the column is required)", "nothing"
        out.append(RowError(row=row, column=column, expected=message, got=got))
    return out


_FORM_SEPARATORS: Final = re.compile(r"[,;|]")


_TRUE: Final = frozenset({"yes", "true", "1", "y", "t", "да", "иә"})
_FALSE: Final = frozenset({"no", "false", "0", "n", "f", "нет", "жоқ"})
_BOOLS: Final = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _to_bool(value: Any) -> Any:
    if value.__class__ is str:
        found = _BOOLS.get(value) if value in _BOOLS else _BOOLS.get(value.lower())
        return value if found is None else found  # else: refused by the schema, column named
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # XLSX stores every number as a float
    if isinstance(value, str):
        text = value.removesuffix(".0")
        if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
            return int(text)
    return value


def _to_float(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return value
    return value


_CONVERTERS: Final = {bool: _to_bool, int: _to_int, float: _to_float}


@lru_cache(maxsize=64)
def converters(model: type[BaseModel]) -> dict[str, Callable[[Any], Any]]:
    """A converter per scalar field of `model`: the request schemas are strict (a JSON body
    must send numbers and booleans as such), while a file's cells are text."""
    out: dict[str, Callable[[Any], Any]] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        for kind, convert in _CONVERTERS.items():
            if annotation in (kind, kind | None):
                out[name] = convert
    return out


def clean(raw: dict[str, Any], model: type[BaseModel] | None = None) -> dict[str, Any]:
    """Blank cells left out (so defaults apply and required columns are reported as missing),
    text trimmed, numbers and yes/no (also in Russian and Kazakh) read from text for `model`'s
    fields, `forms` split on commas."""
    convert = converters(model) if model is not None else {}
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if value.__class__ is str:
            value = value.strip()
            if not value:
                continue
            if key == "forms":
                value = [f.strip() for f in _FORM_SEPARATORS.split(value) if f.strip()]
        converter = convert.get(key)
        data[key] = converter(value) if converter is not None else value
    if "forms" in raw and "forms" not in data:
        data["forms"] = []
    return data


class HistoricalFields(BaseModel):
    """The columns a historical row of a live kind adds."""

    model_config = ConfigDict(extra="forbid")

    knowledge_date: dt.date
    record_id: str | None = Field(default=None, min_length=1, max_length=64)
    institution_id: str | None = Field(default=None, min_length=1, max_length=64)


class LiveExtra(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution_id: str | None = Field(default=None, min_length=1, max_length=64)


_NO_EXTRA: Final = LiveExtra()


@dataclass(frozen=True)
class LiveRow:
    body: RecordCreate
    knowledge_date: dt.date | None
    record_id: str | None
    institution_id: str | None


def live_row(
    kind: ImportKind, number: int, raw: dict[str, Any], *, historical: bool, today: dt.date
) -> LiveRow | list[RowError]:
    """A row of a live record kind, validated like a single submission."""
    schema = schema_of(kind)
    data = clean(raw, schema)
    extra_names = ("knowledge_date", "record_id", "institution_id")
    extra = {k: data.pop(k) for k in extra_names if k in data}
    errors: list[RowError] = []
    body: Any = None
    try:
        # Lax scalars: a CSV cell is text ("3"), unlike a JSON body (service.api_types).
        body = schema_of(kind).model_validate(data, strict=False)
    except ValidationError as exc:
        errors.extend(errors_of(number, exc, raw))
    fields: HistoricalFields | LiveExtra | None = None
    if not extra and not historical:
        fields = _NO_EXTRA  # the common case, without a second validation
    else:
        try:
            fields = (HistoricalFields if historical else LiveExtra).model_validate(extra)
        except ValidationError as exc:
            errors.extend(errors_of(number, exc, raw))
    if body is not None and body.event_date > today:
        errors.append(RowError(number, "event_date", "a date not after today", "a later date"))
    if body is not None and isinstance(fields, HistoricalFields):
        if fields.knowledge_date > today:
            errors.append(
                RowError(number, "knowledge_date", "a date not after today", "a later date")
            )
        if fields.knowledge_date < body.event_date:
            errors.append(
                RowError(number, "knowledge_date", "a date on or after event_date", "an earlier")
            )
    if errors or body is None or fields is None:
        return errors
    past = fields if isinstance(fields, HistoricalFields) else None
    return LiveRow(
        body=body,
        knowledge_date=past.knowledge_date if past else None,
        record_id=past.record_id if past else None,
        institution_id=fields.institution_id,
    )


# ---- register and contract rows --------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FamilyRecord(_Strict):
    family_id: str = Field(min_length=1, max_length=64)
    region: str = Field(min_length=1, max_length=64)
    district: str = Field(min_length=1, max_length=64)
    urban: bool
    n_children: int = Field(ge=0, le=30)
    ethnicity: str = Field(max_length=64)
    language: str = Field(max_length=64)
    income_group: str = Field(max_length=64)
    disability_in_household: bool
    single_parent: bool


class PersonRecord(_Strict):
    person_id: str = Field(min_length=1, max_length=64)
    family_id: str = Field(min_length=1, max_length=64)
    role: Role
    sex: Literal["female", "male"]
    birth_year: int = Field(ge=1900, le=2100)
    full_name: str = Field(min_length=1, max_length=200)
    iin: str = Field(min_length=12, max_length=12)

    @field_validator("iin")
    @classmethod
    def _valid_iin(cls, value: str) -> str:
        validate_iin(value)  # its messages never repeat the IIN
        return value


class RegisterChange(_Strict):
    """One line of the register's monthly changes."""

    change: Literal["new_member", "move", "family_move", "death"]
    person_id: str | None = Field(default=None, min_length=1, max_length=64)
    family_id: str | None = Field(default=None, min_length=1, max_length=64)
    iin: str | None = Field(default=None, min_length=12, max_length=12)
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    sex: Literal["female", "male"] | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    role: Role | None = None
    district: str | None = Field(default=None, min_length=1, max_length=64)
    date: dt.date | None = None

    @field_validator("iin")
    @classmethod
    def _valid_iin(cls, value: str | None) -> str | None:
        if value is not None:
            validate_iin(value)
        return value


#: What each change needs besides `change`.
CHANGE_NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "new_member": ("person_id", "family_id", "iin", "full_name", "sex", "birth_year", "role"),
    "move": ("person_id", "family_id"),
    "family_move": ("family_id", "district"),
    "death": ("person_id", "date"),
}


class _RecordColumns(_Strict):
    record_id: str = Field(min_length=1, max_length=64)
    family_id: str = Field(min_length=1, max_length=64)
    person_id: str | None = Field(default=None, max_length=64)
    institution_id: str = Field(min_length=1, max_length=64)
    event_date: dt.date
    knowledge_date: dt.date


class SchoolSurveyRecord(SchoolSurvey, _RecordColumns):
    pass


class MedicalScreeningRecord(MedicalScreening, _RecordColumns):
    pass


class PoliceSignalRecord(PoliceSignal, _RecordColumns):
    pass


class OutcomeRecord(_Strict):
    record_id: str = Field(min_length=1, max_length=64)
    family_id: str = Field(min_length=1, max_length=64)
    kind: OutcomeKind
    event_date: dt.date
    knowledge_date: dt.date


MODELS: Final[dict[ImportKind, type[BaseModel]]] = {
    ImportKind.families: FamilyRecord,
    ImportKind.persons: PersonRecord,
    ImportKind.register_changes: RegisterChange,
    ImportKind.school_surveys: SchoolSurveyRecord,
    ImportKind.medical_screenings: MedicalScreeningRecord,
    ImportKind.police_signals: PoliceSignalRecord,
    ImportKind.outcomes: OutcomeRecord,
}


def model_row(
    kind: ImportKind, number: int, raw: dict[str, Any], *, today: dt.date
) -> BaseModel | list[RowError]:
    """A register or contract row, validated by its model (dates of records checked too)."""
    try:
        model = MODELS[kind]
        row = model.model_validate(clean(raw, model))
    except ValidationError as exc:
        return errors_of(number, exc, raw)
    errors = []
    if isinstance(row, RegisterChange):
        missing = [c for c in CHANGE_NEEDS[row.change] if getattr(row, c) is None]
        errors += [
            RowError(number, c, f"a value (change {row.change} needs it)", "nothing")
            for c in missing
        ]
    event = getattr(row, "event_date", None)
    known = getattr(row, "knowledge_date", None)
    if event is not None and known is not None:
        if event > today:
            errors.append(RowError(number, "event_date", "a date not after today", "a later date"))
        if known > today:
            errors.append(
                RowError(number, "knowledge_date", "a date not after today", "a later date")
            )
        if known < event:
            errors.append(
                RowError(number, "knowledge_date", "a date on or after event_date", "an earlier")
            )
    return errors or row
