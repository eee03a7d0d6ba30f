"""The front-line record forms: one declarative spec per record kind, parsing and messages.

A form is a `FormSpec` of sections of `FieldSpec`s. `parse` turns the posted text into the
typed values of the kind's `...Create` schema and, for every field that is not right, a
`Problem` (a msgid and its parameters) shown beside the field in the page's language, saying
what was expected. Nothing typed is ever repeated in a message, and the IIN is never put back
into a page (an invalid one, nor a valid one when another field is wrong): it identifies a
person. The server checks everything; the browser's own checks (`required`, `min`, `max`) only
help.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import ValidationError

from features.contracts import PROTECTION_KINDS, Form, PoliceKind
from features.i18n import N_, Catalog
from features.iin import validate_iin
from service.auth.roles import UserRole
from service.records.kinds import RECORD_TYPES
from service.records.schemas import EARLIEST_EVENT_DATE, MAX_VALIDITY, RecordCreate
from service.ui import labels

FieldKind = Literal["iin", "date", "scale", "yesno", "choice", "number", "forms"]
#: A posted form: one string per name, a list for the checkboxes of `forms`.
Posted = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field: a msgid and its parameters (translated when shown)."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # msgid
    kind: FieldKind
    choices: tuple[tuple[str, str], ...] = ()  # (value, msgid)
    low: int = 0
    high: int = 0
    hint: str | None = None  # msgid
    required: bool = True


@dataclass(frozen=True)
class Section:
    title: str  # msgid
    fields: tuple[FieldSpec, ...]
    css: str = ""  # "hits": the live total of its answers (a CSS counter, no script)
    hint: str | None = None


@dataclass(frozen=True)
class FormSpec:
    slug: str
    record_type: str
    role: UserRole
    title: str  # msgid
    intro: str  # msgid
    sections: tuple[Section, ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for s in self.sections for f in s.fields)


YES_NO: Final = (("yes", N_("Yes")), ("no", N_("No")))
HITS_SCALE: Final = (
    ("1", N_("1 never")),
    ("2", N_("2 rarely")),
    ("3", N_("3 sometimes")),
    ("4", N_("4 fairly often")),
    ("5", N_("5 frequently")),
)
SAFE_SCALE: Final = (
    ("1", N_("1 never")),
    ("2", N_("2 rarely")),
    ("3", N_("3 sometimes")),
    ("4", N_("4 mostly")),
    ("5", N_("5 always")),
)
PLACEMENTS: Final[dict[str, str]] = {
    "relatives": N_("With relatives"),
    "foster_family": N_("Foster family"),
    "institution": N_("Institution"),
}

IIN: Final = FieldSpec(
    "subject_iin",
    N_("IIN of the person"),
    "iin",
    hint=N_("12 digits. Checked on the server and never shown back on a page."),
)
CHILD_IIN: Final = FieldSpec(
    "subject_iin",
    N_("IIN of the child"),
    "iin",
    hint=N_("12 digits. Checked on the server and never shown back on a page."),
)


def _date(label: str, hint: str | None = None) -> FieldSpec:
    return FieldSpec("event_date", label, "date", hint=hint)


def _yes_no(name: str, label: str) -> FieldSpec:
    return FieldSpec(name, label, "yesno", YES_NO)


def _hits(name: str, label: str) -> FieldSpec:
    return FieldSpec(name, label, "scale", HITS_SCALE, 1, 5)


FORMS_OF_VIOLENCE: Final = FieldSpec(
    "forms",
    N_("Forms of violence"),
    "forms",
    tuple((f.value, labels.FORMS[f.value]) for f in Form),
    required=False,
)

SCHOOL_SURVEY: Final = FormSpec(
    slug="school-survey",
    record_type="school_survey",
    role=UserRole.school,
    title=N_("Well-being survey and teacher observations"),
    intro=N_("One child's answers this term, and what the class teacher observed."),
    sections=(
        Section(N_("The child"), (CHILD_IIN, _date(N_("Date of the survey")))),
        Section(
            N_("The child's answers"),
            (
                FieldSpec("feels_safe", N_("Feels safe at home"), "scale", SAFE_SCALE, 1, 5),
                _yes_no("afraid_of_adult", N_("Is afraid of an adult at home")),
                _yes_no("seen_violence", N_("Has seen violence at home")),
                _yes_no("hurt_by_adult", N_("Has been hurt by an adult at home")),
                _yes_no("hunger_neglect", N_("Goes hungry or is neglected")),
                _yes_no("wants_counsellor", N_("Wants to talk to a counsellor")),
            ),
        ),
        Section(
            N_("Teacher observations"),
            (
                _yes_no("unexplained_injury", N_("Unexplained injury")),
                _yes_no("behaviour_change", N_("Sudden change in behaviour")),
                FieldSpec("days_absent", N_("Days absent last month"), "number", low=0, high=31),
            ),
        ),
    ),
)

MEDICAL_SCREENING: Final = FormSpec(
    slug="medical-screening",
    record_type="medical_screening",
    role=UserRole.clinic,
    title=N_("Violence screening"),
    intro=N_("HITS, the short WAST, PHQ-2 and the findings of one visit."),
    sections=(
        Section(N_("The patient"), (IIN, _date(N_("Date of the visit")))),
        Section(
            N_("HITS: how often does your partner …"),
            (
                _hits("hits_hurt", N_("… physically hurt you?")),
                _hits("hits_insult", N_("… insult or talk down to you?")),
                _hits("hits_threaten", N_("… threaten you with harm?")),
                _hits("hits_scream", N_("… scream or curse at you?")),
            ),
            css="hits",
            hint=N_("Total 4 to 20; above 10 is a positive screen."),
        ),
        Section(
            N_("WAST, short form"),
            (
                FieldSpec(
                    "wast_tension",
                    N_("In general, how would you describe your relationship?"),
                    "choice",
                    (
                        ("none", N_("No tension")),
                        ("some", N_("Some tension")),
                        ("a_lot", N_("A lot of tension")),
                    ),
                ),
                FieldSpec(
                    "wast_arguments",
                    N_("Do you and your partner work out arguments with …"),
                    "choice",
                    (
                        ("none", N_("No difficulty")),
                        ("some", N_("Some difficulty")),
                        ("great", N_("Great difficulty")),
                    ),
                ),
            ),
        ),
        Section(
            N_("PHQ-2 and findings"),
            (
                FieldSpec(
                    "phq2",
                    N_("PHQ-2 score"),
                    "number",
                    low=0,
                    high=6,
                    hint=N_("The sum of its two questions, each 0 to 3."),
                ),
                _yes_no("injury_inconsistent", N_("Injury inconsistent with the history given")),
                _yes_no("pregnant", N_("Pregnant")),
                _yes_no("alcohol_concern", N_("Concern about alcohol in the household")),
                FORMS_OF_VIOLENCE,
            ),
        ),
    ),
)

HOSPITAL_INJURY: Final = FormSpec(
    slug="hospital-injury",
    record_type="hospital_injury",
    role=UserRole.clinic,
    title=N_("Hospital-treated injury"),
    intro=N_("An injury treated at the hospital that may come from violence at home."),
    sections=(
        Section(
            N_("The injury"),
            (
                IIN,
                _date(N_("Date of treatment")),
                _yes_no("admitted", N_("Admitted as an inpatient")),
                FORMS_OF_VIOLENCE,
            ),
        ),
    ),
)

POLICE_SIGNAL: Final = FormSpec(
    slug="police-signal",
    record_type="police_signal",
    role=UserRole.police,
    title=N_("Police signal"),
    intro=N_(
        "A call, an offense, a protective order and its dates, a violation, court behaviour "
        "requirements or a preventive registration."
    ),
    sections=(
        Section(
            N_("The signal"),
            (
                FieldSpec(
                    "kind",
                    N_("Kind of signal"),
                    "choice",
                    tuple((k.value, labels.POLICE_KINDS[k.value]) for k in PoliceKind),
                ),
                IIN,
                _date(
                    N_("Date of the event"),
                    N_("For a protective order: the day it was issued."),
                ),
                FieldSpec(
                    "valid_until",
                    N_("Valid until"),
                    "date",
                    hint=N_(
                        "Only for a protective order or court behaviour requirements: the "
                        "last day they apply."
                    ),
                    required=False,
                ),
                FORMS_OF_VIOLENCE,
            ),
        ),
    ),
)

CARE_PLACEMENT: Final = FormSpec(
    slug="care-placement",
    record_type="guardianship_care",
    role=UserRole.guardianship,
    title=N_("Child taken into care"),
    intro=N_("A child the guardianship authority placed outside the family."),
    sections=(
        Section(
            N_("The placement"),
            (
                CHILD_IIN,
                _date(N_("Date of the placement")),
                FieldSpec("placement", N_("Placed"), "choice", tuple(PLACEMENTS.items())),
                _yes_no("temporary", N_("Temporary placement")),
            ),
        ),
    ),
)

FORMS: Final[dict[str, FormSpec]] = {
    spec.slug: spec
    for spec in (SCHOOL_SURVEY, MEDICAL_SCREENING, HOSPITAL_INJURY, POLICE_SIGNAL, CARE_PLACEMENT)
}
#: The form of each record type (the correction form of a record is its form without the IIN).
FORM_OF_TYPE: Final[dict[str, FormSpec]] = {spec.record_type: spec for spec in FORMS.values()}
#: What each record type is called on the pages.
RECORD_TYPE_LABELS: Final[dict[str, str]] = {
    spec.record_type: spec.title for spec in FORMS.values()
}


def forms_for(role: UserRole) -> list[FormSpec]:
    """The forms a role submits, in the order above."""
    return [spec for spec in FORMS.values() if spec.role is role]


# ---- messages ----------------------------------------------------------------------------

MISSING_CHOICE: Final = N_("Choose one answer.")
NOT_A_CHOICE: Final = N_("Expected one of the answers shown.")
MISSING_DATE: Final = N_("Enter a date (YYYY-MM-DD).")
NOT_A_DATE: Final = N_("Expected a date as YYYY-MM-DD.")
FUTURE_DATE: Final = N_("Expected a date not after today (%(today)s).")
EARLY_DATE: Final = N_("Expected a date from %(earliest)s.")
NUMBER: Final = N_("Expected a whole number from %(low)s to %(high)s.")
SCALE: Final = N_("Expected an answer from %(low)s to %(high)s.")
NOT_A_FORM: Final = N_("Expected only the forms of violence listed.")
MISSING_IIN: Final = N_("Enter the person's IIN: 12 digits.")
#: `features.iin.validate_iin`'s reasons (English, never holding the IIN) -> msgids.
IIN_PROBLEMS: Final[dict[str, str]] = {
    "iin: expected exactly 12 digits": N_("Expected exactly 12 digits."),
    "iin: the 7th digit (century and sex) must be 1-6": N_(
        "Expected a 7th digit (century and sex) from 1 to 6."
    ),
    "iin: the first six digits are not a valid birth date": N_(
        "Expected the first six digits to be a birth date (YYMMDD)."
    ),
    "iin: the birth date (first six digits) lies in the future": N_(
        "Expected the IIN of a person already born: its birth date lies in the future."
    ),
    "iin: the check digit does not match": N_(
        "The check digit (the 12th digit) does not match the first 11: please check the number."
    ),
}
UNTIL_NEEDED: Final = N_(
    "Expected the last day of the protective order or court behaviour requirements."
)
UNTIL_NOT_ALLOWED: Final = N_(
    "Expected no date here: only a protective order or court behaviour requirements carry one."
)
UNTIL_BEFORE: Final = N_("Expected a date on or after the date of the event.")
UNTIL_TOO_LATE: Final = N_("Expected a date at most 5 years after the date of the event.")
IIN_AGAIN: Final = N_("Enter the IIN again: it is never shown back on a page.")


@dataclass
class Parsed:
    """The typed values of a posted form and the problems of its fields."""

    values: dict[str, Any]
    problems: dict[str, Problem]
    raw: dict[str, str | list[str]]  # what to show in the form again (never the IIN)

    @property
    def ok(self) -> bool:
        return not self.problems


def _text(posted: Posted, name: str) -> str:
    value = posted.get(name, "")
    if not isinstance(value, str):
        value = value[-1] if value else ""
    return value.strip()


def _list(posted: Posted, name: str) -> list[str]:
    value = posted.get(name, [])
    items = [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in items if v.strip()]


def _parse_date(text: str, *, today: dt.date, future: bool = False) -> dt.date | Problem:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return Problem(NOT_A_DATE)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return Problem(NOT_A_DATE)
    if day < EARLIEST_EVENT_DATE:
        return Problem(EARLY_DATE, {"earliest": EARLIEST_EVENT_DATE.isoformat()})
    if not future and day > today:
        return Problem(FUTURE_DATE, {"today": today.isoformat()})
    return day


def _parse_field(spec: FieldSpec, posted: Posted, *, today: dt.date) -> Any:
    """The typed value of one field, or a `Problem`."""
    if spec.kind == "forms":
        chosen = _list(posted, spec.name)
        allowed = {value for value, _label in spec.choices}
        return Problem(NOT_A_FORM) if any(c not in allowed for c in chosen) else chosen
    text = _text(posted, spec.name)
    if not text:
        if not spec.required:
            return None
        if spec.kind == "iin":
            return Problem(MISSING_IIN)
        if spec.kind == "date":
            return Problem(MISSING_DATE)
        if spec.kind == "number":
            return Problem(NUMBER, {"low": spec.low, "high": spec.high})
        return Problem(MISSING_CHOICE)
    if spec.kind == "iin":
        try:
            validate_iin(text, today=today)
        except ValueError as exc:
            return Problem(
                IIN_PROBLEMS.get(str(exc), IIN_PROBLEMS["iin: expected exactly 12 digits"])
            )
        return text
    if spec.kind == "date":
        return _parse_date(text, today=today, future=spec.name == "valid_until")
    if spec.kind in ("number", "scale"):
        message = NUMBER if spec.kind == "number" else SCALE
        if not re.fullmatch(r"-?\d{1,4}", text) or not spec.low <= int(text) <= spec.high:
            return Problem(message, {"low": spec.low, "high": spec.high})
        return int(text)
    allowed = {value for value, _label in spec.choices}
    if text not in allowed:
        return Problem(NOT_A_CHOICE)
    if spec.kind == "yesno":
        return text == "yes"
    return text


def _police_dates(values: dict[str, Any], problems: dict[str, Problem]) -> None:
    kind, until, day = values.get("kind"), values.get("valid_until"), values.get("event_date")
    if kind is None or "valid_until" in problems:
        return
    protective = PoliceKind(kind) in PROTECTION_KINDS
    if protective and until is None:
        problems["valid_until"] = Problem(UNTIL_NEEDED)
    elif not protective and until is not None:
        problems["valid_until"] = Problem(UNTIL_NOT_ALLOWED)
    elif until is not None and isinstance(day, dt.date):
        if until < day:
            problems["valid_until"] = Problem(UNTIL_BEFORE)
        elif until > day + MAX_VALIDITY:
            problems["valid_until"] = Problem(UNTIL_TOO_LATE)


def parse(spec: FormSpec, posted: Posted, *, today: dt.date, with_iin: bool = True) -> Parsed:
    """Every field of `spec` from `posted` (`with_iin=False`: the correction form, which has
    no IIN), checked as the kind's schema checks it, with one problem per wrong field."""
    values: dict[str, Any] = {}
    problems: dict[str, Problem] = {}
    raw: dict[str, str | list[str]] = {}
    for item in spec.fields:
        if item.kind == "iin" and not with_iin:
            continue
        if item.kind == "forms":
            raw[item.name] = _list(posted, item.name)
        elif item.kind != "iin":
            raw[item.name] = _text(posted, item.name)
        result = _parse_field(item, posted, today=today)
        if isinstance(result, Problem):
            problems[item.name] = result
        else:
            values[item.name] = result
    if spec.record_type == "police_signal":
        _police_dates(values, problems)
    if with_iin and problems and "subject_iin" not in problems:
        problems["subject_iin"] = Problem(IIN_AGAIN)
    return Parsed(values=values, problems=problems, raw=raw)


def build(spec: FormSpec, values: Mapping[str, Any]) -> RecordCreate:
    """The kind's request schema from parsed values (the checks above are the schema's, so a
    `ValidationError` here is a bug, not bad input)."""
    schema = RECORD_TYPES[spec.record_type][0]
    data = {k: v for k, v in values.items() if v is not None}
    try:
        return schema.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - parse() checks what the schema checks
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        raise ValueError(f"form {spec.slug}: unchecked problem in {fields}") from None


def as_form_values(
    spec: FormSpec, content: Mapping[str, Any], event_date: dt.date
) -> dict[str, str | list[str]]:
    """A stored record's content as the form's posted text (to fill the correction form)."""
    out: dict[str, str | list[str]] = {}
    for item in spec.fields:
        if item.kind == "iin":
            continue
        value: Any = event_date if item.name == "event_date" else content.get(item.name)
        if item.kind == "forms":
            out[item.name] = [str(v) for v in (value or [])]
        elif isinstance(value, bool):
            out[item.name] = "yes" if value else "no"
        else:
            out[item.name] = "" if value is None else str(value)
    return out


def describe(
    catalog: Catalog, spec: FormSpec, content: Mapping[str, Any], event_date: dt.date | None
) -> list[tuple[str, str]]:
    """A record's content as (question, answer) pairs in the reader's language (the event
    date first unless it is None)."""
    _ = catalog.gettext
    shown = as_form_values(spec, content, event_date or dt.date.min)
    out: list[tuple[str, str]] = []
    for item in spec.fields:
        if item.kind == "iin" or (item.name == "event_date" and event_date is None):
            continue
        value = shown.get(item.name, "")
        choices = dict(item.choices)
        if isinstance(value, list):
            text = ", ".join(_(choices[v]) if v in choices else v for v in value) or "—"
        elif item.kind in ("scale", "yesno", "choice") and value in choices:
            text = _(choices[value])
        else:
            text = value or "—"
        out.append((_(item.label), text))
    return out
