"""The council's page of its district's cases (issue 12): open ones first, with how far each
plan has come, linked to each family's case page.

It calls `service.cases.plan.read_district_cases`, the function behind
`GET /v1/districts/{district}/cases`: the same district check and the same `cases.read` entry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.cases.plan import read_district_cases
from service.cases.schemas import CaseStatus
from service.deps import SessionDep
from service.ui.auth import CouncilUser
from service.ui.rendering import render
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)


@router.get("/districts/{district}/cases", response_class=HTMLResponse)
def cases_page(
    request: Request, district: str, user: CouncilUser, session: SessionDep, status: str = "open"
) -> Response:
    """The district's open (or closed, or all) cases; an unknown status shows the open ones."""
    chosen = status if status in {"open", "closed", "all"} else "open"
    found = read_district_cases(
        session, user, district, status=None if chosen == "all" else CaseStatus(chosen)
    )
    return render(
        request,
        "council/cases.html.j2",
        {"district": district, "status": chosen, "cases": found.cases},
    )
