"""The feature registry: every feature's name, source, window, unit and English texts.

The built frame (`features.pipeline.build.build_features`) has exactly the columns of
`FEATURES`, in this order. The texts here are English gettext msgids: `features.reasons`
renders them in kk, ru or en from the catalogue `features/locales/<lang>/LC_MESSAGES/features.po`
(`%(value)s` is the formatted value; a count's reason has a singular and a plural msgid, and the
catalogue holds the forms each language's plural rule asks for). A new feature needs its texts
in that catalogue in every language (tested by `tests/features/test_i18n.py`).

An explanation is an association: no text says "because" in any language (tested).

`python -m features.docs_page --markdown > docs/features.md` regenerates the docs page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from features.contracts import Form, PoliceKind

SOURCES: Final = ("school", "clinic", "police", "outcome", "household", "multi_agency")
WINDOWS: Final = ("1m", "3m", "6m", "12m", "all")
#: Window length in calendar months (None: all history known before the as-of date).
WINDOW_MONTHS: Final[dict[str, int | None]] = {"1m": 1, "3m": 3, "6m": 6, "12m": 12, "all": None}
UNITS: Final = ("count", "days", "score", "share", "flag", "children", "years", "agencies")


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of the built frame, with its English texts (catalogue msgids).

    `template` renders a present value (`template_plural` is its plural msgid when the text
    shows a count); `absent` renders a missing value (null), and for a `flag` the value 0
    (flags have no `%(value)s`: the template is the text for 1). Without `absent`, a missing
    value renders the common "No record".
    """

    name: str
    source: str
    window: str | None
    unit: str
    description: str
    template: str
    template_plural: str | None = None
    absent: str | None = None


# ---- Vocabulary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Noun:
    """A counted noun phrase: after 1, after any other count, and after "the last"."""

    one: str
    other: str
    last: str


_POLICE_NOUNS: Final[dict[str, _Noun]] = {
    PoliceKind.domestic_call: _Noun(
        "domestic call to the police",
        "domestic calls to the police",
        "domestic call to the police",
    ),
    PoliceKind.administrative_offense: _Noun(
        "administrative offense (Art. 73)",
        "administrative offenses (Art. 73)",
        "administrative offense (Art. 73)",
    ),
    PoliceKind.criminal_offense: _Noun(
        "criminal offense in the family",
        "criminal offenses in the family",
        "criminal offense in the family",
    ),
    PoliceKind.protective_order: _Noun(
        "protective order issued", "protective orders issued", "protective order"
    ),
    PoliceKind.order_violation: _Noun(
        "protective order violation",
        "protective order violations",
        "protective order violation",
    ),
    PoliceKind.court_requirements: _Noun(
        "court order of special behaviour requirements",
        "court orders of special behaviour requirements",
        "court order of special behaviour requirements",
    ),
    PoliceKind.preventive_registration: _Noun(
        "preventive registration with the police",
        "preventive registrations with the police",
        "preventive registration with the police",
    ),
    PoliceKind.alcohol_incident: _Noun(
        "alcohol-related incident", "alcohol-related incidents", "alcohol-related incident"
    ),
    PoliceKind.weapon_present: _Noun(
        "incident with a weapon present",
        "incidents with a weapon present",
        "incident with a weapon present",
    ),
}
_POLICE_ANY: Final = _Noun(
    "police signal of any kind", "police signals of any kind", "police signal"
)
_SCHOOL_SURVEY: Final = _Noun(
    "school well-being survey", "school well-being surveys", "school well-being survey"
)
_SCHOOL_CONCERN: Final = _Noun(
    "school survey with a worrying answer",
    "school surveys with a worrying answer",
    "school survey with a worrying answer",
)
_CLINIC_SCREENING: Final = _Noun(
    "violence screening at a clinic",
    "violence screenings at a clinic",
    "violence screening at a clinic",
)
_CLINIC_POSITIVE: Final = _Noun(
    "positive violence screening", "positive violence screenings", "positive violence screening"
)
_SERIOUS: Final = _Noun(
    "recorded serious incident", "recorded serious incidents", "recorded serious incident"
)
_FORMS: Final[dict[str, str]] = {
    Form.physical: "physical",
    Form.psychological: "psychological",
    Form.sexual: "sexual",
    Form.economic: "economic",
    Form.spiritual: "spiritual",
}
_WINDOW_WORDS: Final[dict[str, str]] = {
    "1m": "in the last month",
    "3m": "in the last 3 months",
    "6m": "in the last 6 months",
    "12m": "in the last 12 months",
    "all": "in all recorded history",
}
# Instruments: (column stem, source, name with the scale)
_INSTRUMENTS: Final = (
    ("hits", "clinic", "HITS total score (4–20)"),
    ("wast", "clinic", "WAST short-form score (0–4)"),
    ("phq2", "clinic", "PHQ-2 depression score (0–6)"),
    ("school_concern_items", "school", "Worrying items in a school survey (0–7)"),
    ("school_feels_safe", "school", "Child feels safe at home (1–5, 1 = never)"),
)
_NEVER: Final = {"clinic": "Never screened at a clinic", "school": "Never surveyed at school"}
_NO_CHILDREN: Final = "No children on record"


def _count_spec(name: str, source: str, window: str, noun: _Noun) -> FeatureSpec:
    words = _WINDOW_WORDS[window]
    return FeatureSpec(
        name,
        source,
        window,
        "count",
        f"Number of {noun.other} {words} (known before the as-of date).",
        f"%(value)s {noun.one} {words}",
        f"%(value)s {noun.other} {words}",
    )


def _days_spec(name: str, source: str, noun: _Noun) -> FeatureSpec:
    return FeatureSpec(
        name,
        source,
        None,
        "days",
        f"Days since the last {noun.last}; empty when there is none on record.",
        f"%(value)s day since the last {noun.last}",
        f"%(value)s days since the last {noun.last}",
        f"No {noun.other} on record",
    )


def _build() -> dict[str, FeatureSpec]:
    specs: list[FeatureSpec] = []
    add = specs.append
    # -- counts per source and kind over windows --------------------------------------------
    for kind, noun in _POLICE_NOUNS.items():
        for w in WINDOWS:
            add(_count_spec(f"police_{kind}_{w}", "police", w, noun))
    for name, source, noun in (
        ("police_signals", "police", _POLICE_ANY),
        ("school_surveys", "school", _SCHOOL_SURVEY),
        ("school_concerns", "school", _SCHOOL_CONCERN),
        ("clinic_screenings", "clinic", _CLINIC_SCREENING),
        ("clinic_positive", "clinic", _CLINIC_POSITIVE),
        ("serious_incidents", "outcome", _SERIOUS),
    ):
        for w in WINDOWS:
            add(_count_spec(f"{name}_{w}", source, w, noun))
    # -- counts by form of violence (police signals and clinic disclosures together) ---------
    for form, word in _FORMS.items():
        noun = _Noun(
            f"record naming {word} violence",
            f"records naming {word} violence",
            f"record naming {word} violence",
        )
        for w in ("12m", "all"):
            add(_count_spec(f"form_{form}_{w}", "multi_agency", w, noun))
    # -- recency ---------------------------------------------------------------------------
    for kind, noun in _POLICE_NOUNS.items():
        add(_days_spec(f"days_since_police_{kind}", "police", noun))
    add(_days_spec("days_since_police_signal", "police", _POLICE_ANY))
    add(_days_spec("days_since_school_survey", "school", _SCHOOL_SURVEY))
    add(_days_spec("days_since_school_concern", "school", _SCHOOL_CONCERN))
    add(_days_spec("days_since_clinic_screening", "clinic", _CLINIC_SCREENING))
    add(_days_spec("days_since_clinic_positive", "clinic", _CLINIC_POSITIVE))
    add(_days_spec("days_since_serious_incident", "outcome", _SERIOUS))
    # -- instrument scores, multi-agency convergence, protection, household -----------------
    specs.extend(_instrument_specs())
    specs.extend(_convergence_specs())
    specs.extend(_protection_specs())
    specs.extend(_household_specs())
    # -- trajectory: change against the family's own past, agreement, expiry ---------------
    specs.extend(_trajectory_specs())
    return {s.name: s for s in specs}


def _instrument_specs() -> list[FeatureSpec]:
    specs: list[FeatureSpec] = []
    for stem, source, name in _INSTRUMENTS:
        # The worst value is the lowest for "feels safe" and the highest for every other score.
        worst = "min" if stem == "school_feels_safe" else "max"
        specs += [
            FeatureSpec(
                f"{stem}_latest",
                source,
                "all",
                "score",
                f"{name}: value at the latest assessment (the worst of that day).",
                f"{name}: %(value)s at the latest assessment",
                absent=_NEVER[source],
            ),
            FeatureSpec(
                f"{stem}_{worst}",
                source,
                "all",
                "score",
                f"{name}: worst value in all recorded history.",
                f"{name}: worst value ever recorded %(value)s",
                absent=_NEVER[source],
            ),
            FeatureSpec(
                f"{stem}_trend",
                source,
                "all",
                "score",
                f"{name}: latest minus the previous assessment date (needs two dates).",
                f"{name}: change since the previous assessment %(value)s",
                absent=f"{name}: fewer than two assessments to compare",
            ),
        ]
    specs += [
        FeatureSpec(
            "clinic_positive_share",
            "clinic",
            "all",
            "share",
            "Share of positive screenings (HITS > 10, WAST high, injury inconsistent with the "
            "history, or a form of violence disclosed).",
            "%(value)s of violence screenings were positive",
            absent=_NEVER["clinic"],
        ),
        FeatureSpec(
            "school_concern_share",
            "school",
            "all",
            "share",
            "Share of school surveys with a worrying answer.",
            "%(value)s of school surveys had a worrying answer",
            absent=_NEVER["school"],
        ),
    ]
    return specs


def _convergence_specs() -> list[FeatureSpec]:
    return [
        FeatureSpec(
            f"agencies_signalled_{w}",
            "multi_agency",
            w,
            "agencies",
            f"Distinct agencies that signalled {_WINDOW_WORDS[w]} (police record, positive "
            "clinic screening, worrying school survey), 0–3.",
            f"%(value)s agency signalled {_WINDOW_WORDS[w]}",
            f"%(value)s agencies signalled {_WINDOW_WORDS[w]}",
        )
        for w in ("3m", "12m")
    ]


def _protection_specs() -> list[FeatureSpec]:
    return [
        FeatureSpec(
            "protection_active",
            "police",
            None,
            "flag",
            "A protective order or court behaviour requirement is in force at the as-of "
            "date (1/0).",
            "A protective order or court behaviour requirement is in force",
            absent="No protective order or court requirement in force",
        ),
        FeatureSpec(
            "protection_days_to_expiry",
            "police",
            None,
            "days",
            "Days until the protection in force expires (the latest one); empty when none "
            "is in force.",
            "%(value)s day until the protection in force expires",
            "%(value)s days until the protection in force expires",
            "No protection in force",
        ),
        FeatureSpec(
            "protection_violations_while_active",
            "police",
            "all",
            "count",
            "Violations recorded while a protective order or court requirement was in force.",
            "%(value)s violation while a protection was in force",
            "%(value)s violations while a protection was in force",
        ),
        FeatureSpec(
            "protection_expired_unextended",
            "police",
            "all",
            "count",
            "Protections that expired without extension (no new one within 14 days) while "
            "signals continued in the 90 days after expiry.",
            "%(value)s protection expired without extension while signals continued",
            "%(value)s protections expired without extension while signals continued",
        ),
    ]


def _household_specs() -> list[FeatureSpec]:
    return [
        FeatureSpec(
            "n_children",
            "household",
            None,
            "children",
            "Number of children in the family.",
            "%(value)s child in the family",
            "%(value)s children in the family",
        ),
        FeatureSpec(
            "youngest_child_age",
            "household",
            None,
            "years",
            "Age of the youngest child (as-of year minus birth year).",
            "Youngest child is %(value)s year old",
            "Youngest child is %(value)s years old",
            _NO_CHILDREN,
        ),
        FeatureSpec(
            "oldest_child_age",
            "household",
            None,
            "years",
            "Age of the oldest child (as-of year minus birth year).",
            "Oldest child is %(value)s year old",
            "Oldest child is %(value)s years old",
            _NO_CHILDREN,
        ),
        FeatureSpec(
            "school_children_surveyed_share_12m",
            "school",
            "12m",
            "share",
            "Share of the family's children surveyed at school in the last 12 months; empty "
            "when there are no children.",
            "%(value)s of the children were surveyed at school in the last 12 months",
            absent=_NO_CHILDREN,
        ),
        FeatureSpec(
            "school_never_surveyed",
            "school",
            "all",
            "flag",
            "No child of the family was ever surveyed at school (1/0): not the same as "
            "surveyed without concern.",
            "Never surveyed at school",
            absent="Surveyed at school",
        ),
        FeatureSpec(
            "clinic_never_screened",
            "clinic",
            "all",
            "flag",
            "No family member was ever screened at a clinic (1/0): not the same as screened "
            "negative.",
            "Never screened at a clinic",
            absent="Screened at a clinic",
        ),
    ]


#: How the earlier rate of a trend is taken (`features.pipeline.trajectory`).
_RATE_SPAN: Final = (
    "counted from the family's first record of any agency when that is later (empty when fewer "
    "than 30 days of them are on record). Above 0 is more than usual for this family."
)
_NO_EARLIER: Final = "No earlier record to compare with"


def _trajectory_specs() -> list[FeatureSpec]:
    """Escalation: the definitions and their constants are in `features.pipeline.trajectory`."""
    any_signal = "police record, positive clinic screening or worrying school survey"
    return [
        FeatureSpec(
            "police_signals_1m_trend",
            "police",
            "1m",
            "score",
            "Police signals in the last month minus the family's earlier monthly rate: police "
            f"signals per month in the 12 months before it, {_RATE_SPAN}",
            "Police signals in the last month against the family's earlier monthly rate: %(value)s",
            absent=_NO_EARLIER,
        ),
        FeatureSpec(
            "police_signals_3m_trend",
            "police",
            "3m",
            "score",
            "Police signals in the last 3 months minus 3 times the family's earlier monthly rate: "
            f"police signals per month in the 12 months before them, {_RATE_SPAN}",
            "Police signals in the last 3 months against the family's earlier rate: %(value)s",
            absent=_NO_EARLIER,
        ),
        FeatureSpec(
            "signals_accelerating_12m",
            "multi_agency",
            "12m",
            "flag",
            f"Signals come faster: of the distinct dates of signals ({any_signal}) in the last "
            "12 months, the last two are fewer days apart than the two before them (1/0; 0 with "
            "fewer than three dates).",
            "Signals in the last 12 months came faster: the last two closer together than the two "
            "before",
            absent="Signals in the last 12 months did not come faster",
        ),
        FeatureSpec(
            "signal_after_silence",
            "multi_agency",
            None,
            "flag",
            f"A signal ({any_signal}) in the last 3 months and none in the 24 months before "
            "them, in a family with a record of any agency dated on or before the first day of "
            "those 24 months (1/0).",
            "A signal in the last 3 months after 2 years on record without one",
            absent="No signal after a long silence",
        ),
        FeatureSpec(
            "agencies_agree_30d_6m",
            "multi_agency",
            "6m",
            "flag",
            "Two different agencies (police, clinic, school) signalled at most 30 days apart, "
            "both in the last 6 months (1/0).",
            "Two agencies signalled within 30 days of each other in the last 6 months",
            absent="No two agencies signalled within 30 days of each other in the last 6 months",
        ),
        FeatureSpec(
            "protection_expiring_signals_rising",
            "police",
            None,
            "flag",
            "The protection in force (the latest to expire) expires within the next 2 months "
            "while police signals other than protections in the last 3 months exceed what the "
            "family's earlier monthly rate of them predicts (the rate as for "
            "`police_signals_3m_trend`) (1/0).",
            "A protection in force expires within 2 months while police signals rise",
            absent="No protection expiring while police signals rise",
        ),
    ]


FEATURES: Final[dict[str, FeatureSpec]] = _build()
