"""Web pages for every role in Kazakh, Russian and English (`/ui`): councils, agencies' staff,
auditors, admins, regional and ministry staff.

Server-rendered with Jinja2, usable without JavaScript, every asset served locally. The pages call
the same service functions as the API's routes, so they enforce exactly the same roles and district
checks and write the same access-log entries. `install(app)` adds the router and the static files.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from service.ui import (
    pages_access_log,
    pages_admin,
    pages_audit,
    pages_auth,
    pages_case_list,
    pages_cases,
    pages_council,
    pages_meeting,
    pages_password,
    pages_records,
    pages_referrals,
    pages_statistics,
    pages_subjects,
    pages_submissions,
    pages_uploads,
)
from service.ui.auth import csrf_guard
from service.ui.rendering import STATIC_DIR

router = APIRouter(prefix="/ui", include_in_schema=False, dependencies=[Depends(csrf_guard)])
for _pages in (
    pages_auth,
    pages_case_list,
    pages_cases,
    pages_password,
    pages_council,
    pages_meeting,
    pages_audit,
    pages_access_log,
    pages_admin,
    pages_records,
    pages_referrals,
    pages_submissions,
    pages_uploads,
    pages_subjects,
    pages_statistics,
):
    router.include_router(_pages.router)


def install(app: FastAPI) -> None:
    """Serve the pages under `/ui` and their CSS under `/ui/static`."""
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.include_router(router)


__all__ = ["install", "router"]
