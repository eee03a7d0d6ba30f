"""English labels (gettext msgids) of the codes the service returns, and record summaries.

The service speaks in codes (`very_high`, `order_violation`, `social_patronage_visit`); a page
shows them in the reader's language. Every label is marked with `N_` so the catalogue test finds
it; `summarise` turns a record's content into one translated line for the family timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from features.i18n import N_, Catalog

BANDS: Final[dict[str, str]] = {
    "very_high": N_("Very high"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    "very_low": N_("Very low"),
}
#: What ranked a list (`ListRead.ranker`): the champion model or the interim checklist.
RANKERS: Final[dict[str, str]] = {
    "model": N_("Model"),
    "checklist": N_("Checklist"),
}
CHANGES: Final[dict[str, str]] = {
    "new": N_("New"),
    "up": N_("Up"),
    "down": N_("Down"),
    "same": N_("Same"),
}
MEASURES: Final[dict[str, str]] = {
    "psychologist": N_("Psychologist"),
    "social_patronage_visit": N_("Social patronage visit"),
    "guardianship_authority": N_("Guardianship authority"),
    "employment_help": N_("Help with employment"),
    "crisis_centre": N_("Crisis centre"),
    "correctional_programme": N_("Correctional programme for the aggressor"),
    "court_extension_request": N_("Request to the court to extend the protective order"),
    "no_action": N_("No action"),
}
PRIORITIES: Final[dict[str, str]] = {
    "raise": N_("Raise priority"),
    "keep": N_("Keep priority"),
    "lower": N_("Lower priority"),
}
POLICE_KINDS: Final[dict[str, str]] = {
    "domestic_call": N_("Domestic call"),
    "administrative_offense": N_("Administrative offense (Art. 73)"),
    "criminal_offense": N_("Criminal offense"),
    "protective_order": N_("Protective order"),
    "order_violation": N_("Violation of a protective order"),
    "court_requirements": N_("Court behaviour requirements"),
    "preventive_registration": N_("Preventive registration"),
    "alcohol_incident": N_("Alcohol-related incident"),
    "weapon_present": N_("Weapon present"),
}
SOURCES: Final[dict[str, str]] = {
    "school": N_("School"),
    "clinic": N_("Clinic"),
    "police": N_("Police"),
}
FORMS: Final[dict[str, str]] = {
    "physical": N_("physical"),
    "psychological": N_("psychological"),
    "sexual": N_("sexual"),
    "economic": N_("economic"),
    "spiritual": N_("spiritual"),
}
WAST: Final[dict[str, str]] = {
    "none": N_("none"),
    "some": N_("some"),
    "a_lot": N_("a lot"),
    "great": N_("great"),
}
SORTS: Final[dict[str, str]] = {
    "rank": N_("Rank on the list"),
    "probability": N_("Probability"),
    "expiry": N_("Order expiry"),
}
#: The label of a violation day on the list (the same msgid as the police record kind).
VIOLATION: Final = POLICE_KINDS["order_violation"]
#: Access-log action codes (`service.audit.access_log.append(action=...)` in the API routes).
ACTIONS: Final[dict[str, str]] = {
    "list.read": N_("Read a monthly list"),
    # issue 12, meeting (helper A2): how a named list or agenda left the screen.
    "list.print": N_("Printed a monthly list"),
    "list.export_csv": N_("Exported a monthly list as a CSV file"),
    "agenda.read": N_("Read a meeting agenda"),
    "agenda.print": N_("Printed a meeting agenda"),
    "agenda.export_csv": N_("Exported a meeting agenda as a CSV file"),
    "dashboard.read": N_("Read the council's figures"),
    "case.followup": N_("Read a case's follow-up"),
    "alerts.read": N_("Read the alerts"),
    "family.read": N_("Read a family's record"),
    "family.export": N_("Exported a family's data"),  # the retired whole-family export
    # issue 14, subject access (helper C2): per person, never the whole family.
    "person.export": N_("Issued a person's subject-access export"),
    "person.explanation": N_("Read a person's plain explanation"),
    "person.dispute": N_("Recorded a person's dispute"),
    "person.dispute.outcome": N_("Recorded the outcome of a dispute"),
    "disputes.read": N_("Read disputes"),
    "family.explanation": N_("Read an explanation"),
    "family.decision": N_("Recorded a decision"),
    # issue 12, cases (helper A1): the case, its plan and the agencies' referrals.
    "case.read": N_("Read a family's case"),
    "cases.read": N_("Read the district's cases"),
    "case.measure": N_("Added a measure to a case"),
    "case.status": N_("Changed the status of a measure"),
    "case.close": N_("Closed a case"),
    "referrals.read": N_("Read the referrals to an agency"),
    "referral.update": N_("Recorded an agency's step on a referral"),
    "family.correction": N_("Corrected a record"),
    # issue 13, front-line forms (helper B1): an institution's own records.
    "submissions.read": N_("Read the institution's submissions"),
    "submission.read": N_("Read a record the institution submitted"),
    "record.correction": N_("Corrected a record the institution submitted"),
}
#: Fairness metrics (`fairness.metrics.METRICS`), as an auditor reads them.
METRICS: Final[dict[str, str]] = {
    "tpr": N_("Recall (true positive rate)"),
    "fpr": N_("False positive rate"),
    "fnr": N_("False negative rate"),
    "tnr": N_("True negative rate"),
    "precision": N_("Precision"),
    "fdr": N_("False discovery rate"),
    "for": N_("False omission rate"),
    "npv": N_("Negative predictive value"),
    "pprev": N_("Selection rate"),
    "ppr": N_("Share of the list"),
    "prevalence": N_("Prevalence (labelled share)"),
}
#: Protected attributes (`features.contracts.PROTECTED_ATTRIBUTES`): audited, never features.
ATTRIBUTES: Final[dict[str, str]] = {
    "ethnicity": N_("ethnicity"),
    "language": N_("language"),
    "income_group": N_("income group"),
    "disability_in_household": N_("disability in the household"),
    "single_parent": N_("single parent"),
    "urban": N_("urban"),
}


def attribute(name: str | None) -> str | None:
    """The label (a msgid) of a protected attribute, the name itself when it has none."""
    return ATTRIBUTES.get(name, name) if name else None


#: How a disparity outside the band stands with the promotion gate (`fairness_view.Standing`).
STANDINGS: Final[dict[str, str]] = {
    "counted": N_("Counted by the gate"),
    "chance": N_("Within chance: not counted"),
    "too_few": N_("Too few cases to judge: not counted"),
    "not_gate": N_("Not a gate metric: for reading only"),
}
#: Kinds of plot in a fairness report directory (`<kind>_<attribute>.png`).
PLOT_KINDS: Final[dict[str, str]] = {
    "rates": N_("Error rates by group"),
    "disparities": N_("Ratios to the reference group"),
    "calibration": N_("Calibration by group"),
    "explanations": N_("What the explanations rest on, by group"),
}

_SCHOOL_FLAGS: Final[dict[str, str]] = {
    "afraid_of_adult": N_("afraid of an adult at home"),
    "seen_violence": N_("has seen violence at home"),
    "hurt_by_adult": N_("has been hurt by an adult at home"),
    "hunger_neglect": N_("hunger or neglect"),
    "wants_counsellor": N_("wants to talk to a counsellor"),
    "unexplained_injury": N_("teacher: unexplained injury"),
    "behaviour_change": N_("teacher: sudden behaviour change"),
}
_CLINIC_FLAGS: Final[dict[str, str]] = {
    "injury_inconsistent": N_("injury inconsistent with the history given"),
    "pregnant": N_("pregnancy"),
    "alcohol_concern": N_("concern about alcohol in the household"),
}


_HITS: Final = ("hits_hurt", "hits_insult", "hits_threaten", "hits_scream")


def label(catalog: Catalog, labels: Mapping[str, str], code: str) -> str:
    """The translated label of `code`, or the code itself when it is unknown."""
    return catalog.gettext(labels[code]) if code in labels else code


def _forms(catalog: Catalog, forms: Any) -> str:
    if not forms:
        return ""
    items = forms.split(",") if isinstance(forms, str) else list(forms)
    names = ", ".join(label(catalog, FORMS, str(item)) for item in items if item)
    return catalog.gettext("forms: %(forms)s") % {"forms": names} if names else ""


def summarise(catalog: Catalog, source: str, content: Mapping[str, Any]) -> str:
    """One line in the reader's language that says what a record holds."""
    _ = catalog.gettext
    parts: list[str] = []
    if source == "police":
        parts.append(label(catalog, POLICE_KINDS, str(content.get("kind", ""))))
        if content.get("valid_until"):
            parts.append(_("until %(date)s") % {"date": content["valid_until"]})
        parts.append(_forms(catalog, content.get("forms")))
    elif source == "school":
        if "feels_safe" in content:
            parts.append(_("feels safe at home: %(score)s of 5") % {"score": content["feels_safe"]})
        parts.extend(_(text) for key, text in _SCHOOL_FLAGS.items() if content.get(key))
        if content.get("days_absent"):
            parts.append(_("days absent: %(days)s") % {"days": content["days_absent"]})
    elif source == "clinic":
        hits = [content.get(key) for key in _HITS]
        if all(isinstance(value, int) for value in hits):
            parts.append(
                _("HITS total: %(total)s") % {"total": sum(v for v in hits if isinstance(v, int))}
            )
        if content.get("wast_tension"):
            parts.append(
                _("tension: %(value)s")
                % {"value": label(catalog, WAST, str(content["wast_tension"]))}
            )
        if content.get("wast_arguments"):
            parts.append(
                _("difficulty resolving arguments: %(value)s")
                % {"value": label(catalog, WAST, str(content["wast_arguments"]))}
            )
        if content.get("phq2") is not None:
            parts.append(_("PHQ-2: %(score)s") % {"score": content["phq2"]})
        parts.extend(_(text) for key, text in _CLINIC_FLAGS.items() if content.get(key))
        parts.append(_forms(catalog, content.get("forms")))
    return "; ".join(part for part in parts if part)


# --- issue 12: cases (helper A1) ---------------------------------------------------------
#: Who carries a measure out (`service.cases.schemas.Agency`).
AGENCIES: Final[dict[str, str]] = {
    "school": N_("School"),
    "clinic": N_("Clinic"),
    "police": N_("Police"),
    "social_services": N_("Social services"),
    "guardianship": N_("Guardianship authority"),
    "crisis_centre": N_("Crisis centre"),
    "correctional_programme": N_("Correctional programme"),
    "court_via_police": N_("Court request through the police"),
}
#: Whom a measure is aimed at (`service.cases.schemas.Target`).
TARGETS: Final[dict[str, str]] = {
    "victim": N_("Victim"),
    "child": N_("Child"),
    "aggressor": N_("Aggressor"),
    "family": N_("The family as a whole"),
}
#: A measure's status (`service.cases.schemas.MeasureStatus`).
MEASURE_STATUSES: Final[dict[str, str]] = {
    "proposed": N_("Proposed"),
    "sent": N_("Sent to the agency"),
    "acknowledged": N_("Acknowledged"),
    "delivered": N_("Delivered"),
    "declined": N_("Declined by the agency"),
    "unreachable": N_("Could not reach the family"),
}
#: What a status change does, as the button that makes it says (the step, not the state).
MEASURE_STEPS: Final[dict[str, str]] = {
    "sent": N_("Send to the agency"),
    "acknowledged": N_("Record: acknowledged"),
    "delivered": N_("Record: delivered"),
    "declined": N_("Record: declined"),
    "unreachable": N_("Record: could not reach the family"),
}
#: A case's status and a list's priority hold.
CASE_STATUSES: Final[dict[str, str]] = {"open": N_("In progress"), "closed": N_("Closed")}
HOLDS: Final[dict[str, str]] = {
    "watch": N_("Under the council's watch"),
    "lowered": N_("Priority lowered"),
}
#: What a tombstone records as destroyed (`DeletionRead.kind`) and on which ground.
DELETION_KINDS: Final[dict[str, str]] = {
    "family": N_("A family"),
    "person": N_("A person"),
    "record": N_("A record"),
    "unlinked": N_("Records that match no family"),
    "reports": N_("Upload reports"),
}
DELETION_GROUNDS: Final[dict[str, str]] = {
    "retention": N_("Retention period over"),
    "court_decision": N_("Court decision"),
    "wrong_subject": N_("Filed about the wrong person"),
    "unlawful": N_("Held without a lawful ground"),
    "subject_request": N_("The person's request"),
}
