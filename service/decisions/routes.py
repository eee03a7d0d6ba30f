"""`POST /v1/families/{family_id}/decisions`: the council records a decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.decisions.decide import record_decision
from service.decisions.schemas import DecisionCreate, DecisionRead
from service.deps import WriteSessionDep
from service.openapi import error_responses

Council = Annotated[Principal, Depends(require_role(UserRole.council))]
FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]

router = APIRouter(tags=["families"], dependencies=[Depends(require_role(UserRole.council))])


@router.post(
    "/v1/families/{family_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    responses=error_responses(409),
)
def post_decision(
    family_id: FamilyId, body: DecisionCreate, user: Council, session: WriteSessionDep
) -> DecisionRead:
    """Record a council decision: measures from the catalogue, a priority and a reason.

    Raising priority is free; lowering it needs a reason of at least 20 characters. Decisions
    are never edited: to change one, post a new decision with `supersedes_id`.

    A decision with measures opens the family's case or adds to the open one (`case_id`): each
    `plan` item names the agency, the member it is aimed at and a due date; a catalogue code
    without a plan item becomes a proposed measure for the catalogue's agency (the family, due
    in 30 days); `no_action` alone opens no case. "raise" keeps the family on every list under
    watch until the case is closed; "lower" keeps it off the top k for `hold_months` lists
    (default 3) unless a new alert, violation or order puts it back. A bad plan item is 422
    naming `["body", "plan", i, field]`; nothing is stored.
    """
    return record_decision(session, family_id, body, user=user)
