"""Family-level reads of the council. Every read is written to the access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep
from service.families.schemas import FamilyRead
from service.families.view import read_family

Council = Annotated[Principal, Depends(require_role(UserRole.council))]
FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]

council_router = APIRouter(
    tags=["families"], dependencies=[Depends(require_role(UserRole.council))]
)


@council_router.get("/v1/families/{family_id}", response_model=FamilyRead)
def get_family_view(family_id: FamilyId, user: Council, session: SessionDep) -> FamilyRead:
    """The family's records from all three agencies on one timeline, its open protective orders
    and every past decision. Council of the family's district only; the read is logged."""
    return read_family(session, user, family_id)
