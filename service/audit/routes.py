"""The auditor's view of the access log and the model registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from service.api_types import MAX_DB_INT
from service.audit.browse import access_log_page, latest_checkpoint, verify_chain
from service.audit.schemas import AccessLogPage, LatestCheckpointRead, VerifyCreate, VerifyRead
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
    after: Annotated[
        int, Query(ge=0, le=MAX_DB_INT, description="Return entries with id > after.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    family_id: Annotated[str | None, Query()] = None,
) -> AccessLogPage:
    """Who read which family-level data, when, and for which list, oldest first. Page with
    `after` = the last id seen (`next_after`)."""
    return access_log_page(session, after=after, limit=limit, family_id=family_id)


@audit_router.get("/v1/audit/access-log/verify", response_model=VerifyRead)
def verify_access_log(session: SessionDep, state: StateDep) -> VerifyRead:
    """Verify the access log: recompute its hash chain and check it against the service's
    signed checkpoints. `ok` is true only when every entry matches its hash (`first_bad` is the
    id of the first that does not), the log still contains the latest committed checkpoint
    (entries were not deleted, rewritten or rolled back), its last entry is one the service
    signed (nothing was appended outside the service), and every line of the checkpoint file is
    signed by the service's key. `problems` says what failed."""
    return verify_chain(session, state.anchor)


@audit_router.post("/v1/audit/access-log/verify", response_model=VerifyRead)
def verify_access_log_against(
    session: SessionDep, state: StateDep, body: VerifyCreate
) -> VerifyRead:
    """Verify the access log as `GET` does and, when `checkpoint` is given (a copy the auditor
    kept from `GET /v1/audit/access-log/checkpoint`), also that the checkpoint is genuine and
    the log still contains it: this detects a rollback of the database together with the
    checkpoint file."""
    return verify_chain(session, state.anchor, checkpoint=body.checkpoint)


@audit_router.get("/v1/audit/access-log/checkpoint", response_model=LatestCheckpointRead)
def get_checkpoint(state: StateDep) -> LatestCheckpointRead:
    """The latest committed checkpoint of the access log, and the public key that checks its
    signature. Keep copies outside the service: sent back to `POST
    /v1/audit/access-log/verify`, each proves the log held at least its `count` entries."""
    return latest_checkpoint(state.anchor)


@models_router.get("/v1/models")
def get_models(state: StateDep) -> dict[str, Any]:
    """Registered model versions, the champion, gate verdicts, alias history, and links to the
    model cards and fairness reports."""
    return state.models.describe()
