"""The auditor's access log page: the newest entries, the verification of the chain against the
service's signed checkpoints (`service.audit.verification`, as `GET`/`POST
/v1/audit/access-log/verify`), the latest checkpoint to keep a copy of, and a form to verify
against a copy kept earlier."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit import browse
from service.audit.schemas import CheckpointRead, VerifyRead
from service.deps import SessionDep, StateDep
from service.state import ServiceState
from service.storage.tables import AccessLogEntry
from service.ui import i18n, labels
from service.ui.auth import ROLE_LABELS, AuditorUser
from service.ui.rendering import render
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)
PAGE = 100

#: What each finding of the verification means, for a person (`VerifyProblem.code`).
PROBLEMS = {
    "checkpoint_not_contained": i18n.N_(
        "The log no longer contains what the latest signed checkpoint recorded: entries were "
        "deleted or rewritten, or an older copy was restored."
    ),
    "unanchored_entries": i18n.N_(
        "The newest entries were not signed by the service: they were added outside it."
    ),
    "checkpoint_file_invalid": i18n.N_(
        "The checkpoint file holds a line not signed by the service's key: it was edited."
    ),
    "checkpoint_file_missing": i18n.N_("The checkpoint file is missing."),
    "auditor_checkpoint_invalid": i18n.N_(
        "The checkpoint you gave is not signed by the service's key."
    ),
    "auditor_checkpoint_not_contained": i18n.N_(
        "The log no longer contains the checkpoint you gave: it was rolled back or rewritten."
    ),
    "checkpoint_file_behind_auditor": i18n.N_(
        "The checkpoint file ends before the checkpoint you gave: it was truncated or replaced."
    ),
}


def _page(
    request: Request,
    session: Session,
    state: ServiceState,
    *,
    before: int | None = None,
    verification: VerifyRead | None = None,
    checkpoint_error: bool = False,
    status_code: int = 200,
) -> Response:
    last = int(session.scalar(select(func.max(AccessLogEntry.id))) or 0)
    upper = min(before, last + 1) if before is not None else last + 1
    after = max(0, upper - 1 - PAGE)
    page = browse.access_log_page(session, after=after, limit=upper - 1 - after or 1)
    entries = [
        {
            **e.model_dump(),
            "role_label": ROLE_LABELS.get(e.role, e.role),
            "action_label": labels.ACTIONS.get(e.action, e.action),
        }
        for e in reversed(page.entries)
        if e.id < upper
    ]
    latest = browse.latest_checkpoint(state.anchor).checkpoint
    problems: list[str] = []
    if verification is not None:
        problems = [PROBLEMS[p.code] for p in verification.problems if p.code in PROBLEMS]
    context: dict[str, Any] = {
        "entries": entries,
        "verification": verification,
        "problems": problems,
        "older_url": f"/ui/audit/access-log?before={after + 1}" if after > 0 else None,
        "latest": None if latest is None else json.dumps(latest.model_dump(), indent=2),
        "refusing": state.anchor.problem is not None,
        "checkpoint_error": checkpoint_error,
    }
    return render(request, "audit/access_log.html.j2", context, status_code=status_code)


@router.get("/audit/access-log", response_class=HTMLResponse)
def access_log_page(
    request: Request,
    user: AuditorUser,
    session: SessionDep,
    state: StateDep,
    verify: str = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The newest entries of the access log (page back with `before`), and the verification."""
    verification = browse.verify_chain(session, state.anchor) if verify == "1" else None
    return _page(request, session, state, before=before, verification=verification)


@router.post("/audit/access-log/verify", response_class=HTMLResponse)
def access_log_verify_against(
    request: Request,
    user: AuditorUser,
    session: SessionDep,
    state: StateDep,
    checkpoint: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Verify against a checkpoint the auditor kept (pasted as shown on this page); the CSRF
    token is checked by the pages' router."""
    try:
        kept = CheckpointRead.model_validate_json(checkpoint)
    except ValidationError:
        return _page(request, session, state, checkpoint_error=True, status_code=422)
    verification = browse.verify_chain(session, state.anchor, checkpoint=kept)
    return _page(request, session, state, verification=verification)
