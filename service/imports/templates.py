"""A downloadable template per kind and language: the header and one example row.

Each header cell is the column's label in the chosen language followed by its name in brackets
("Feels safe at home, 1-5 (feels_safe)"): a clerk reads the label, the reader matches the name
(`readers.header_name`), so a filled-in template uploads as it is, in any of the languages.
Written through `features.csv_safe` like every CSV the product writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from features import i18n
from features.csv_safe import csv_text
from features.i18n import N_, Lang
from service.imports.kinds import LIVE_KINDS, ImportKind, columns_of, schema_of

LOCALES_DIR: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "imports"

LABELS: Final[dict[str, str]] = {
    "subject_iin": N_("IIN of the person the record is about"),
    "event_date": N_("Date of the event (YYYY-MM-DD)"),
    "knowledge_date": N_("Date the agency learned of it (YYYY-MM-DD)"),
    "record_id": N_("Record number in the source system"),
    "institution_id": N_("Institution code"),
    "feels_safe": N_("Feels safe at home, 1 (never) to 5 (always)"),
    "afraid_of_adult": N_("Afraid of an adult at home (yes/no)"),
    "seen_violence": N_("Has seen violence at home (yes/no)"),
    "hurt_by_adult": N_("Has been hurt by an adult at home (yes/no)"),
    "hunger_neglect": N_("Hunger or neglect (yes/no)"),
    "wants_counsellor": N_("Wants to talk to a counsellor (yes/no)"),
    "unexplained_injury": N_("Teacher: unexplained injury (yes/no)"),
    "behaviour_change": N_("Teacher: sudden behaviour change (yes/no)"),
    "days_absent": N_("Teacher: days absent last month, 0-31"),
    "hits_hurt": N_("HITS: partner physically hurts, 1-5"),
    "hits_insult": N_("HITS: partner insults, 1-5"),
    "hits_threaten": N_("HITS: partner threatens, 1-5"),
    "hits_scream": N_("HITS: partner screams, 1-5"),
    "wast_tension": N_("WAST: tension in the relationship (none, some, a_lot)"),
    "wast_arguments": N_("WAST: difficulty resolving arguments (none, some, great)"),
    "injury_inconsistent": N_("Injury inconsistent with the history given (yes/no)"),
    "pregnant": N_("Pregnant (yes/no)"),
    "phq2": N_("PHQ-2 depression score, 0-6"),
    "alcohol_concern": N_("Concern about alcohol in the household (yes/no)"),
    "forms": N_("Forms of violence, separated by commas"),
    "kind": N_("Kind (a code from the guide)"),
    "valid_until": N_("Valid until (YYYY-MM-DD)"),
    "admitted": N_("Admitted as an inpatient (yes/no)"),
    "placement": N_("Placement (relatives, foster_family, institution)"),
    "temporary": N_("Temporary placement (yes/no)"),
    "family_id": N_("Family number in the register"),
    "person_id": N_("Person number in the register"),
    "region": N_("Region"),
    "district": N_("District"),
    "urban": N_("Urban (yes/no)"),
    "n_children": N_("Number of children"),
    "ethnicity": N_("Ethnicity"),
    "language": N_("Language of the household"),
    "income_group": N_("Income group"),
    "disability_in_household": N_("Disability in the household (yes/no)"),
    "single_parent": N_("Single parent (yes/no)"),
    "role": N_("Role in the family (adult, child)"),
    "sex": N_("Sex (female, male)"),
    "birth_year": N_("Year of birth"),
    "full_name": N_("Full name"),
    "iin": N_("IIN"),
    "change": N_("Change (new_member, move, family_move, death)"),
    "date": N_("Date of the change (YYYY-MM-DD)"),
}

#: Example values of the register and contract kinds (the live kinds use their schema's).
_EXAMPLES: Final[dict[str, Any]] = {
    "record_id": "SRC-000123",
    "family_id": "F0000001",
    "person_id": "P0000001",
    "institution_id": "SCH-12",
    "event_date": "2025-03-10",
    "knowledge_date": "2025-03-12",
    "region": "Almaty",
    "district": "Almaly",
    "urban": "yes",
    "n_children": 2,
    "ethnicity": "kazakh",
    "language": "kk",
    "income_group": "middle",
    "disability_in_household": "no",
    "single_parent": "no",
    "role": "adult",
    "sex": "female",
    "birth_year": 1985,
    "full_name": "Example Name",
    "iin": "850315401231",
    "change": "move",
    "date": "2025-03-01",
    "kind": "domestic_call",
    "forms": "physical,psychological",
    "valid_until": "",
    "feels_safe": 4,
    "days_absent": 0,
    "hits_hurt": 1,
    "hits_insult": 1,
    "hits_threaten": 1,
    "hits_scream": 1,
    "wast_tension": "none",
    "wast_arguments": "none",
    "phq2": 0,
}
_OUTCOME_KIND_EXAMPLE: Final = "hospital_injury"


def _example(kind: ImportKind, column: str) -> Any:
    if kind in LIVE_KINDS:
        extra = schema_of(kind).model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        example = examples[0] if isinstance(examples, list) and examples else {}
        if isinstance(example, dict) and column in example:
            value = example[column]
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
            if isinstance(value, bool):
                return "yes" if value else "no"
            return value
    if column == "institution_id" and kind in LIVE_KINDS:
        return ""  # a live upload's rows are the uploader's institution's
    if kind is ImportKind.outcomes and column == "kind":
        return _OUTCOME_KIND_EXAMPLE
    if column in _EXAMPLES:
        return _EXAMPLES[column]
    return "no"  # the remaining columns are yes/no answers


def template_csv(kind: ImportKind, lang: Lang, *, historical: bool = False) -> str:
    """The template of `kind` in `lang`: translated labels with the column names, one example."""
    catalog = i18n.catalog(LOCALES_DIR, DOMAIN, lang)
    columns = columns_of(kind, historical=historical or kind not in LIVE_KINDS).allowed
    header = [f"{catalog.gettext(LABELS[c])} ({c})" for c in columns]
    example = [_example(kind, c) for c in columns]
    return csv_text(header, [example])
