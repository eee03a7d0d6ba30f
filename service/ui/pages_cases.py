"""Council pages of a family's case (issue 12): the plan, each measure's history, adding a
measure, sending it, recording the steps of agencies without a user role, closing the case.

Each page calls the functions the API's routes call (`service.cases.plan`): the same district
check, the same access-log entries, the same refusals, shown here as translated messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.audit import access_log
from service.cases import plan
from service.cases.schemas import (
    AGENCY_ROLE,
    MIN_CLOSE_NOTE,
    MIN_DECLINE_NOTE,
    NAMED_INSTITUTION,
    Agency,
    CaseRead,
    MeasurePlan,
    MeasureRead,
    MeasureStatus,
)
from service.cases.transitions import next_steps
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.errors import ConflictError, FieldError
from service.ui import i18n, labels
from service.ui.auth import CouncilUser, check_csrf
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)

#: What the `done` query parameter of the case page says after a successful form.
_DONE = {
    "measure": i18n.N_("The measure has been added to the plan."),
    "status": i18n.N_("The status of the measure has been recorded."),
    "closed": i18n.N_("The case has been closed."),
}


#: The fields the case page's forms show again after a refusal.
_FORM_FIELDS = (
    "measure", "agency", "institution_id", "officer", "target", "person_id", "due_on", "note",
    "close_note",
)  # fmt: skip


def council_steps(measure: MeasureRead) -> list[str]:
    """The steps the council may take on `measure` now: send a proposed one; for an agency
    without a user role, also record its steps."""
    current = MeasureStatus(measure.status)
    if current is MeasureStatus.proposed:
        return [MeasureStatus.sent.value]
    if Agency(measure.agency) in AGENCY_ROLE:
        return []
    return [s.value for s in next_steps(current)]


def _measure_row(measure: MeasureRead, institutions: dict[str, list[str]]) -> dict[str, Any]:
    agency = Agency(measure.agency)
    steps = council_steps(measure)
    # A school's or a clinic's measure is sent to one of the district's institutions: the send
    # form offers them when the measure names none.
    choose = (
        measure.status == MeasureStatus.proposed.value
        and measure.institution_id is None
        and agency in NAMED_INSTITUTION
    )
    return {
        "id": measure.id,
        "measure_label": labels.MEASURES.get(measure.measure, measure.measure),
        "agency_label": labels.AGENCIES.get(measure.agency, measure.agency),
        "institution_id": measure.institution_id,
        "officer": measure.officer,
        "target_label": labels.TARGETS.get(measure.target, measure.target),
        "person_name": measure.person_name,
        "due_on": measure.due_on,
        "overdue": measure.overdue,
        "status": measure.status,
        "status_label": labels.MEASURE_STATUSES.get(measure.status, measure.status),
        "steps": [(s, labels.MEASURE_STEPS.get(s, s)) for s in steps],
        "choose_institution": choose,
        "institutions": institutions.get(measure.agency, []) if choose else [],
        # The agency has its own role and the referral is with it: it records its own steps.
        "agency_records": agency in AGENCY_ROLE and measure.status in ("sent", "acknowledged"),
        "history": [
            {
                "on": e.on,
                "by": e.by,
                "from_label": labels.MEASURE_STATUSES.get(e.status_from, e.status_from)
                if e.status_from
                else "",
                "to_label": labels.MEASURE_STATUSES.get(e.status_to, e.status_to),
                "note": e.note,
            }
            for e in measure.history
        ],
    }


def _case_row(case: CaseRead, institutions: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "id": case.id,
        "status": case.status,
        "status_label": labels.CASE_STATUSES.get(case.status, case.status),
        "watch": case.watch,
        "opened_on": case.opened_on,
        "opened_by": case.opened_by,
        "closed_on": case.closed_on,
        "closed_by": case.closed_by,
        "close_note": case.close_note,
        "measures": [_measure_row(m, institutions) for m in case.measures],
    }


def _context(
    request: Request, session: SessionDep, user: CouncilUser, family_id: str
) -> dict[str, Any]:
    view = plan.read_family_cases(session, user, family_id)
    # The institutions of each agency with a user role in the district (their users'
    # `institution_id`): no family data, read in a short read transaction of its own.
    access_log.begin_read(session)
    institutions = {
        agency.value: plan.known_institutions(session, agency, view.district)
        for agency in AGENCY_ROLE
    }
    access_log.end_read(session)
    cases = [_case_row(c, institutions) for c in view.cases]
    return {
        "family_id": view.family_id,
        "district": view.district,
        "open_case": next((c for c in cases if c["status"] == "open"), None),
        "closed_cases": [c for c in cases if c["status"] == "closed"],
        "members": [
            {
                "person_id": p.person_id,
                "label": f"{p.full_name or p.person_id} ({p.birth_year})",
            }
            for p in view.members
        ],
        "plan_measures": [(c, t) for c, t in labels.MEASURES.items() if c != "no_action"],
        "agencies": list(labels.AGENCIES.items()),
        # Suggestions for the add form's institution field: every known one, with its agency.
        "known_institutions": [
            (institution, labels.AGENCIES.get(code, code))
            for code, ids in institutions.items()
            if code != Agency.court_via_police.value  # the police's own institutions
            for institution in ids
        ],
        "targets": list(labels.TARGETS.items()),
        "today": plan.server_today(),
        "min_decline": MIN_DECLINE_NOTE,
        "min_close": MIN_CLOSE_NOTE,
        "form": dict.fromkeys(_FORM_FIELDS, ""),
        "error": None,
        "error_for": None,
        "notice": None,
    }


@router.get("/families/{family_id}/case", response_class=HTMLResponse)
def case_page(
    request: Request, family_id: str, user: CouncilUser, session: SessionDep, done: str = ""
) -> Response:
    """The family's case: its plan, each measure's history, and the council's forms."""
    context = _context(request, session, user, family_id)
    if done in _DONE:
        context["notice"] = i18n.catalog(request_lang(request)).gettext(_DONE[done])
    return render(request, "council/case.html.j2", context)


def _family_of(session: WriteSessionDep, user: CouncilUser, case_id: int) -> str:
    """The family id of a case, for the page to return to (404 page when there is none in the
    user's district: another district's case answers the same, `plan.case_in_scope`)."""
    family_id = plan.case_in_scope(session, user, case_id).family_id
    session.rollback()  # the function called next takes its own transaction
    return family_id


def _message(
    catalog: i18n.Catalog, exc: Exception, *, closing: bool = False, sending: bool = False
) -> str:
    """A translated message for a refusal of one of the case forms (`sending`: the send form
    named no institution)."""
    _ = catalog.gettext
    field = exc.loc[-1] if isinstance(exc, FieldError) else None
    if field == "institution_id" and sending:
        return _(
            "Choose the institution that will act: schools and clinics are several per district."
        )
    if field == "due_on":
        return _("The due date cannot be in the past.")
    if field == "person_id":
        return _("Choose a member of this family for this target, or the family as a whole.")
    if field == "institution_id":
        return _("No institution of that agency with this id in the district.")
    if field == "note" and closing:
        return _("Closing a case needs a note of at least %(n)s characters.") % {
            "n": MIN_CLOSE_NOTE
        }
    if field == "note":
        return _("A decline needs a reason of at least %(n)s characters.") % {"n": MIN_DECLINE_NOTE}
    if isinstance(exc, ConflictError):
        return _(
            "This step is not possible now: a measure goes proposed, sent, acknowledged, then "
            "delivered (or declined, or the family could not be reached), and a closed case "
            "does not change."
        )
    return _("Please check the fields of the measure.")


def _again(
    request: Request,
    session: WriteSessionDep,
    user: CouncilUser,
    family_id: str,
    *,
    error: str,
    error_for: str,
    form: dict[str, str],
    code: int,
) -> Response:
    context = _context(request, session, user, family_id)
    context.update(error=error, error_for=error_for, form={**context["form"], **form})
    return render(request, "council/case.html.j2", context, status_code=code)


def _done(family_id: str, what: str) -> RedirectResponse:
    return RedirectResponse(
        f"/ui/families/{family_id}/case?done={what}", status_code=status.HTTP_303_SEE_OTHER
    )


def _code(exc: Exception) -> int:
    return (
        status.HTTP_409_CONFLICT
        if isinstance(exc, ConflictError)
        else status.HTTP_422_UNPROCESSABLE_CONTENT
    )


@router.post("/cases/{case_id}/measures", response_class=HTMLResponse)
def add_measure(
    request: Request,
    case_id: int,
    user: CouncilUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    measure: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    institution_id: Annotated[str, Form()] = "",
    officer: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
) -> Response:
    """Add a proposed measure to the open case (`plan.add_measure`, as the API does)."""
    check_csrf(request, state, csrf_token)
    family_id = _family_of(session, user, case_id)
    form = {
        "measure": measure, "agency": agency, "institution_id": institution_id,
        "officer": officer, "target": target, "person_id": person_id, "due_on": due_on,
    }  # fmt: skip
    catalog = i18n.catalog(request_lang(request))
    try:
        item = MeasurePlan.model_validate(
            {
                "measure": measure,
                "agency": agency,
                "institution_id": institution_id.strip() or None,
                "officer": officer.strip() or None,
                "target": target,
                "person_id": person_id or None,
                "due_on": dt.date.fromisoformat(due_on),
            }
        )
        plan.add_measure(session, user, case_id, item)
    except (ValueError, FieldError, ConflictError) as exc:  # ValidationError is a ValueError
        return _again(
            request, session, user, family_id, error=_message(catalog, exc),
            error_for="add", form=form, code=_code(exc),
        )  # fmt: skip
    return _done(family_id, "measure")


@router.post("/cases/{case_id}/measures/{measure_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request,
    case_id: int,
    measure_id: int,
    user: CouncilUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    new_status: Annotated[str, Form(alias="status")] = "",
    note: Annotated[str, Form()] = "",
    institution_id: Annotated[str, Form()] = "",
) -> Response:
    """Send a measure (a school's or a clinic's to the institution chosen on the form), or
    record a step of an agency without a user role (`plan.change_status`, as the API does)."""
    check_csrf(request, state, csrf_token)
    family_id = _family_of(session, user, case_id)
    catalog = i18n.catalog(request_lang(request))
    institution = institution_id.strip() or None
    try:
        plan.change_status(
            session, user, case_id, measure_id, MeasureStatus(new_status), note,
            institution_id=institution,
        )  # fmt: skip
    except (ValueError, FieldError, ConflictError) as exc:
        message = _message(catalog, exc, sending=institution is None)
        return _again(
            request, session, user, family_id, error=message,
            error_for=f"measure-{measure_id}", form={"note": note}, code=_code(exc),
        )  # fmt: skip
    return _done(family_id, "status")


@router.post("/cases/{case_id}/close", response_class=HTMLResponse)
def close_case(
    request: Request,
    case_id: int,
    user: CouncilUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Close the case with a note (`plan.close_case`, as the API does)."""
    check_csrf(request, state, csrf_token)
    family_id = _family_of(session, user, case_id)
    catalog = i18n.catalog(request_lang(request))
    try:
        plan.close_case(session, user, case_id, note)
    except (FieldError, ConflictError) as exc:
        return _again(
            request, session, user, family_id, error=_message(catalog, exc, closing=True),
            error_for="close", form={"close_note": note}, code=_code(exc),
        )  # fmt: skip
    return _done(family_id, "closed")
