"""The auditor's view of the access log and the model registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from service.audit.browse import access_log_page, verify_chain
from service.audit.schemas import AccessLogPage, VerifyRead
from service.auth.access import require_role
from service.auth.roles import UserRole
from service.deps import SessionDep, StateDep

audit_router = APIRouter(tags=["audit"], dependencies=[Depends(require_role(UserRole.auditor))])
models_router = APIRouter(
    tags=["audit"], dependencies=[Depends(require_role(UserRole.auditor, UserRole.admin))]
)


@audit_router.get("/v1/audit/access-log", response_model=AccessLogPage)
def get_access_log(
    session: SessionDep,
    after: Annotated[int, Query(ge=0, description="Return entries with id > after.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    family_id: Annotated[str | None, Query()] = None,
) -> AccessLogPage:
    """Who read which family-level data, when, and for which list, oldest first. Page with
    `after` = the last id seen (`next_after`)."""
    return access_log_page(session, after=after, limit=limit, family_id=family_id)


@audit_router.get("/v1/audit/access-log/verify", response_model=VerifyRead)
def verify_access_log(session: SessionDep) -> VerifyRead:
    """Recompute the hash chain of the access log. `first_bad` is the id of the first entry
    whose hash does not match (a row changed, inserted or deleted directly in the database)."""
    return verify_chain(session)


@models_router.get("/v1/models")
def get_models(state: StateDep) -> dict[str, Any]:
    """Registered model versions, the champion, gate verdicts, alias history, and links to the
    model cards and fairness reports."""
    return state.models.describe()
