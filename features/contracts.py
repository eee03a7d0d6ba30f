"""Data contracts of the three agencies: one definition for simulator, service and pipeline.

Each record type has
- a pydantic model of its *content* (what an agency submits, validated field by field), and
- a polars column schema of its *table* (content plus the common record columns).

The service builds its request and response schemas from the content models, the simulator
writes tables with exactly these columns, and the feature pipeline validates against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Form(StrEnum):
    """Forms of violence: the four of Law No. 214-IV plus the proposed fifth (spiritual)."""

    physical = "physical"
    psychological = "psychological"
    sexual = "sexual"
    economic = "economic"
    spiritual = "spiritual"


class PoliceKind(StrEnum):
    """Kinds of police signal (domain brief, section 3)."""

    domestic_call = "domestic_call"
    administrative_offense = "administrative_offense"  # Administrative Code, Art. 73
    criminal_offense = "criminal_offense"  # beating, minor harm
    protective_order = "protective_order"  # carries valid_until
    order_violation = "order_violation"
    court_requirements = "court_requirements"  # special behaviour requirements, carries valid_until
    preventive_registration = "preventive_registration"
    alcohol_incident = "alcohol_incident"
    weapon_present = "weapon_present"


#: Police kinds that carry an expiry date (`valid_until`).
PROTECTION_KINDS: Final = frozenset({PoliceKind.protective_order, PoliceKind.court_requirements})

#: Police kinds that re-score a family at once and raise an alert between meetings.
ALERT_KINDS: Final = frozenset(
    {PoliceKind.order_violation, PoliceKind.criminal_offense, PoliceKind.weapon_present}
)


class OutcomeKind(StrEnum):
    """Recorded serious incidents: the label. Recorded is not the same as happened."""

    criminal_offense = "criminal_offense"
    order_violation = "order_violation"
    hospital_injury = "hospital_injury"
    guardianship_care = "guardianship_care"


class WastTension(StrEnum):
    none = "none"
    some = "some"
    a_lot = "a_lot"


class WastArguments(StrEnum):
    none = "none"
    some = "some"
    great = "great"


class Role(StrEnum):
    adult = "adult"
    child = "child"


class Source(StrEnum):
    """The three agencies, as named in feature registries and explanation audits."""

    school = "school"
    clinic = "clinic"
    police = "police"


#: Attributes used only for fairness audits; never model features (guardrail 2).
PROTECTED_ATTRIBUTES: Final = (
    "ethnicity",
    "language",
    "income_group",
    "disability_in_household",
    "single_parent",
    "urban",
)
#: Geography identifies groups too; never a model feature either.
GEOGRAPHY_COLUMNS: Final = ("region", "district")

HITS_POSITIVE_ABOVE: Final = 10  # HITS total 4-20, positive above 10


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolSurvey(_Content):
    """One child's term survey and the teacher's observations (school)."""

    feels_safe: int = Field(ge=1, le=5, description="Feels safe at home, 1 (never) to 5 (always).")
    afraid_of_adult: bool = Field(description="Afraid of an adult at home.")
    seen_violence: bool = Field(description="Has seen violence at home.")
    hurt_by_adult: bool = Field(description="Has been hurt by an adult at home.")
    hunger_neglect: bool = Field(description="Hunger or neglect.")
    wants_counsellor: bool = Field(description="Wants to talk to a counsellor.")
    unexplained_injury: bool = Field(description="Teacher: unexplained injury.")
    behaviour_change: bool = Field(description="Teacher: sudden behaviour change.")
    days_absent: int = Field(ge=0, le=31, description="Teacher: days absent last month.")


class MedicalScreening(_Content):
    """A violence screening at a clinic visit (HITS, WAST short form, PHQ-2 and findings)."""

    hits_hurt: int = Field(ge=1, le=5, description="HITS: partner physically hurts you, 1-5.")
    hits_insult: int = Field(ge=1, le=5, description="HITS: partner insults you, 1-5.")
    hits_threaten: int = Field(ge=1, le=5, description="HITS: partner threatens you, 1-5.")
    hits_scream: int = Field(ge=1, le=5, description="HITS: partner screams at you, 1-5.")
    wast_tension: WastTension = Field(description="WAST: tension in the relationship.")
    wast_arguments: WastArguments = Field(description="WAST: difficulty resolving arguments.")
    injury_inconsistent: bool = Field(description="Injury inconsistent with the history given.")
    pregnant: bool
    phq2: int = Field(ge=0, le=6, description="PHQ-2 depression score, 0-6.")
    alcohol_concern: bool = Field(description="Concern about alcohol in the household.")
    forms: list[Form] = Field(default_factory=list, description="Forms of violence disclosed.")

    @property
    def hits_total(self) -> int:
        return self.hits_hurt + self.hits_insult + self.hits_threaten + self.hits_scream


class PoliceSignal(_Content):
    """A police signal: call, offense, order, violation, court requirement, registration."""

    kind: PoliceKind
    forms: list[Form] = Field(default_factory=list, description="Forms of violence involved.")
    valid_until: dt.date | None = Field(
        default=None, description="Expiry of a protective order or court requirements."
    )

    @model_validator(mode="after")
    def _expiry_matches_kind(self) -> PoliceSignal:
        if self.kind in PROTECTION_KINDS and self.valid_until is None:
            raise ValueError(f"valid_until: expected a date for kind {self.kind.value}, got none")
        if self.kind not in PROTECTION_KINDS and self.valid_until is not None:
            raise ValueError(f"valid_until: expected none for kind {self.kind.value}, got a date")
        return self


class Placement(StrEnum):
    """Where a child taken into care was placed."""

    relatives = "relatives"
    foster_family = "foster_family"
    institution = "institution"


class HospitalInjury(_Content):
    """A hospital-treated injury (clinic): one of the recorded outcomes of the label."""

    admitted: bool = Field(description="Admitted as an inpatient.")
    forms: list[Form] = Field(default_factory=list, description="Forms of violence suspected.")


class GuardianshipCare(_Content):
    """A child taken into care (guardianship authority): one of the recorded outcomes."""

    placement: Placement = Field(description="Where the child was placed.")
    temporary: bool = Field(description="A temporary placement.")


#: Police kinds that are outcomes themselves: the label counts the police signal, once.
OUTCOME_POLICE_KINDS: Final = frozenset({PoliceKind.criminal_offense, PoliceKind.order_violation})


# ---- Table schemas (polars) ---------------------------------------------------------------

#: Columns every agency record carries.
RECORD_COLUMNS: Final[dict[str, pl.DataType]] = {
    "record_id": pl.String(),
    "family_id": pl.String(),
    "person_id": pl.String(),
    "institution_id": pl.String(),
    "event_date": pl.Date(),
    "knowledge_date": pl.Date(),
}

FORMS_DTYPE: Final = pl.List(pl.String())

FAMILIES_SCHEMA: Final[dict[str, pl.DataType]] = {
    "family_id": pl.String(),
    "region": pl.String(),
    "district": pl.String(),
    "urban": pl.Boolean(),
    "n_children": pl.Int8(),
    "ethnicity": pl.String(),
    "language": pl.String(),
    "income_group": pl.String(),
    "disability_in_household": pl.Boolean(),
    "single_parent": pl.Boolean(),
}

PERSONS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "person_id": pl.String(),
    "family_id": pl.String(),
    "role": pl.String(),
    "sex": pl.String(),
    "birth_year": pl.Int16(),
    "full_name": pl.String(),
    "iin": pl.String(),
}

SCHOOL_SURVEYS_SCHEMA: Final[dict[str, pl.DataType]] = {
    **RECORD_COLUMNS,
    "feels_safe": pl.Int8(),
    "afraid_of_adult": pl.Boolean(),
    "seen_violence": pl.Boolean(),
    "hurt_by_adult": pl.Boolean(),
    "hunger_neglect": pl.Boolean(),
    "wants_counsellor": pl.Boolean(),
    "unexplained_injury": pl.Boolean(),
    "behaviour_change": pl.Boolean(),
    "days_absent": pl.Int8(),
}

MEDICAL_SCREENINGS_SCHEMA: Final[dict[str, pl.DataType]] = {
    **RECORD_COLUMNS,
    "hits_hurt": pl.Int8(),
    "hits_insult": pl.Int8(),
    "hits_threaten": pl.Int8(),
    "hits_scream": pl.Int8(),
    "wast_tension": pl.String(),
    "wast_arguments": pl.String(),
    "injury_inconsistent": pl.Boolean(),
    "pregnant": pl.Boolean(),
    "phq2": pl.Int8(),
    "alcohol_concern": pl.Boolean(),
    "forms": FORMS_DTYPE,
}

POLICE_SIGNALS_SCHEMA: Final[dict[str, pl.DataType]] = {
    **RECORD_COLUMNS,
    "kind": pl.String(),
    "forms": FORMS_DTYPE,
    "valid_until": pl.Date(),
}

OUTCOMES_SCHEMA: Final[dict[str, pl.DataType]] = {
    "record_id": pl.String(),
    "family_id": pl.String(),
    "kind": pl.String(),
    "event_date": pl.Date(),
    "knowledge_date": pl.Date(),
}

TRUTH_SCHEMA: Final[dict[str, pl.DataType]] = {
    "family_id": pl.String(),
    "month": pl.Date(),
    "latent_risk": pl.Float64(),
    "true_incidents": pl.Int16(),
    "p_incident_6m": pl.Float64(),
}

#: Table name (= Parquet file stem) -> schema. `truth` is for validation only.
TABLES: Final[dict[str, dict[str, pl.DataType]]] = {
    "families": FAMILIES_SCHEMA,
    "persons": PERSONS_SCHEMA,
    "school_surveys": SCHOOL_SURVEYS_SCHEMA,
    "medical_screenings": MEDICAL_SCREENINGS_SCHEMA,
    "police_signals": POLICE_SIGNALS_SCHEMA,
    "outcomes": OUTCOMES_SCHEMA,
    "truth": TRUTH_SCHEMA,
}

#: Allowed values of the enumerated string columns, per table.
ENUM_COLUMNS: Final[dict[str, dict[str, frozenset[str]]]] = {
    "persons": {"role": frozenset(Role)},
    "medical_screenings": {
        "wast_tension": frozenset(WastTension),
        "wast_arguments": frozenset(WastArguments),
    },
    "police_signals": {"kind": frozenset(PoliceKind)},
    "outcomes": {"kind": frozenset(OutcomeKind)},
}


@dataclass(frozen=True)
class Events:
    """Everything the feature pipeline may read. Deliberately has no `truth` table."""

    families: pl.DataFrame
    persons: pl.DataFrame
    school_surveys: pl.DataFrame
    medical_screenings: pl.DataFrame
    police_signals: pl.DataFrame
    outcomes: pl.DataFrame


EVENT_TABLES: Final = (
    "families",
    "persons",
    "school_surveys",
    "medical_screenings",
    "police_signals",
    "outcomes",
)


#: The simulated council's measures (`assistance.parquet`, `features.simulator.assistance`):
#: one row per measure. Not an event table: the council's own record of the help it arranged,
#: used to judge the model on helped and other families. Never a feature (the label is
#: censored by the help, `docs/model.md`): not in `TABLES` or `Events`.
ASSISTANCE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "family_id": pl.String(),
    "person_id": pl.String(),  # null for a measure addressed to the whole family
    "measure": pl.String(),
    "agency": pl.String(),
    "target": pl.String(),
    "decided_on": pl.Date(),
    "due_on": pl.Date(),
    "status": pl.String(),  # delivered | declined | unreachable | acknowledged
    "delivered_on": pl.Date(),
}
ASSISTANCE_STATUSES: Final = frozenset({"delivered", "declined", "unreachable", "acknowledged"})


def empty_table(name: str) -> pl.DataFrame:
    """An empty frame with the schema of table `name`."""
    return pl.DataFrame(schema=TABLES[name])
