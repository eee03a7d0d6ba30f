"""Referrals addressed to a front-line agency (`/ui/referrals`): see them, and record its steps.

The page calls the functions of the referrals API (`service.cases.referrals.referrals_for`,
`agency_update`): which referrals the user's agency sees, which step may follow which, and the
access-log entries are theirs. The page shows the family's members (of the user's own
district), the measure, its target, the due date, the status and its history, and one button
per step the workflow allows next (`service.cases.transitions.AGENCY_STEPS`); never a score,
band, rank, reason or list.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.cases.referrals import agency_update, referrals_for
from service.cases.schemas import MIN_DECLINE_NOTE, MeasureStatus
from service.cases.transitions import AGENCY_STEPS
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.errors import ConflictError, FieldError
from service.ui import i18n, labels
from service.ui.auth import check_csrf
from service.ui.pages_records import FrontLineUser
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)

DECLINE_REASON: Final = i18n.N_("Expected a reason for declining of at least %(n)s characters.")
OUT_OF_ORDER: Final = i18n.N_(
    "This step is no longer possible: the referral has moved on, or its case was closed. "
    "The page shows its status now."
)
DONE: Final = i18n.N_("The step has been recorded.")


def _steps(current: str) -> list[str]:
    """The steps the agency may take next, in the workflow's order."""
    return [new.value for old, new in sorted(AGENCY_STEPS) if old.value == current]


def _context(
    request: Request,
    session: Session,
    user: Principal,
    *,
    status_filter: str = "",
    notice: str | None = None,
    problem: tuple[int, str] | None = None,
    note: str = "",
) -> dict[str, Any]:
    chosen = MeasureStatus(status_filter) if status_filter in MeasureStatus.__members__ else None
    found = referrals_for(session, user, status=chosen)
    referrals = [
        {
            "id": r.id,
            "members": r.members,
            "measure_label": labels.MEASURES.get(r.measure, r.measure),
            "target_label": labels.TARGETS.get(r.target, r.target),
            "person_name": r.person_name,
            "officer": r.officer,
            "due_on": r.due_on,
            "status": r.status,
            "status_label": labels.MEASURE_STATUSES.get(r.status, r.status),
            "steps": [(step, labels.MEASURE_STEPS[step]) for step in _steps(r.status)],
            "history": [
                {
                    "on": e.on,
                    "by": e.by,
                    "status_label": labels.MEASURE_STATUSES.get(e.status_to, e.status_to),
                    "note": e.note,
                }
                for e in r.history
            ],
        }
        for r in found.referrals
    ]
    return {
        "referrals": referrals,
        "statuses": [
            (s.value, labels.MEASURE_STATUSES[s.value])
            for s in MeasureStatus
            if s.value != "proposed"
        ],
        "status_filter": chosen.value if chosen else "",
        "notice": notice,
        "problem": problem,
        "note": note,
        "min_note": MIN_DECLINE_NOTE,
    }


@router.get("/referrals", response_class=HTMLResponse)
def referrals_page(
    request: Request,
    user: FrontLineUser,
    session: SessionDep,
    done: str = "",
) -> Response:
    """The referrals addressed to the user's agency, open ones first, by due date."""
    notice = i18n.catalog(request_lang(request)).gettext(DONE) if done == "1" else None
    chosen = request.query_params.get("status", "")
    context = _context(request, session, user, status_filter=chosen, notice=notice)
    return render(request, "referrals/list.html.j2", context)


@router.post("/referrals/{measure_id}/status", response_class=HTMLResponse)
def referral_step(
    request: Request,
    measure_id: int,
    user: FrontLineUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    new_status: Annotated[str, Form(alias="status")] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record the agency's step (`agency_update`); a decline without its reason, or a step the
    referral no longer allows, shows the page again with the message beside the referral."""
    check_csrf(request, state, csrf_token)
    _ = i18n.catalog(request_lang(request)).gettext
    if new_status not in MeasureStatus.__members__:
        problem = (measure_id, _(OUT_OF_ORDER))
        context = _context(request, session, user, problem=problem, note=note)
        return render(request, "referrals/list.html.j2", context, status_code=422)
    try:
        agency_update(session, user, measure_id, MeasureStatus(new_status), note or None)
    except FieldError:
        problem = (measure_id, _(DECLINE_REASON) % {"n": MIN_DECLINE_NOTE})
        context = _context(request, session, user, problem=problem, note=note)
        return render(request, "referrals/list.html.j2", context, status_code=422)
    except ConflictError:
        context = _context(request, session, user, problem=(measure_id, _(OUT_OF_ORDER)))
        return render(request, "referrals/list.html.j2", context, status_code=409)
    return RedirectResponse(
        f"/ui/referrals?done=1#r-{measure_id}", status_code=status.HTTP_303_SEE_OTHER
    )
