"""Subject access for the council of the family's district: a person's export, disputes and
their outcomes. Handlers check the role, call one function; every read and write is logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, WriteSessionDep
from service.openapi import error_responses
from service.subjects.disputes import create_dispute, decide_dispute, read_district_disputes
from service.subjects.export import read_person_export
from service.subjects.schemas import (
    DisputeCreate,
    DisputeOutcomeCreate,
    DisputeRead,
    DisputeStatus,
    PersonExport,
)

Council = Annotated[Principal, Depends(require_role(UserRole.council))]
PersonId = Annotated[str, Path(description="Pseudonymous person id.", max_length=64)]

router = APIRouter(tags=["subject access"], dependencies=[Depends(require_role(UserRole.council))])


@router.get("/v1/persons/{person_id}/export", response_model=PersonExport)
def get_person_export(
    person_id: PersonId,
    user: Council,
    session: SessionDep,
    children: Annotated[
        bool,
        Query(
            description="Include the household's children under 18 (an adult's request only). "
            "False when the person does not hold parental responsibility, or when a child's "
            "records could put the child at risk."
        ),
    ] = True,
) -> PersonExport:
    """What is held about one person, for their subject-access request: their records (and,
    for an adult, the household's children under 18, without the answers a child gave in
    confidence; none for a person a case measure names as the aggressor), corrections,
    disputes, the months the
    family was listed and who read the family's data. Never another adult's records and never
    who reported. Council of the family's district only; the export is logged
    (`person.export`)."""
    return read_person_export(session, user, person_id, children=children)


@router.post(
    "/v1/persons/{person_id}/disputes",
    status_code=status.HTTP_201_CREATED,
    response_model=DisputeRead,
)
def post_dispute(
    person_id: PersonId, body: DisputeCreate, user: Council, session: WriteSessionDep
) -> DisputeRead:
    """Record a person's dispute of one of their records (or their child's under 18), or of
    something else held about them. Logged (`person.dispute`)."""
    return create_dispute(session, user, person_id, body)


@router.post(
    "/v1/disputes/{dispute_id}/outcome",
    response_model=DisputeRead,
    responses=error_responses(409),
)
def post_dispute_outcome(
    dispute_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The dispute's id.")],
    body: DisputeOutcomeCreate,
    user: Council,
    session: WriteSessionDep,
) -> DisputeRead:
    """Record the outcome of an open dispute. `accepted` corrects the disputed field (a new
    version of the record, the old one kept; the next list reads the corrected record);
    `rejected` keeps the record, with the council's reason. Logged
    (`person.dispute.outcome`)."""
    return decide_dispute(session, user, dispute_id, body)


@router.get("/v1/districts/{district}/disputes", response_model=list[DisputeRead])
def get_district_disputes(
    district: str,
    user: Council,
    session: SessionDep,
    dispute_status: Annotated[
        DisputeStatus | None, Query(alias="status", description="Only disputes of this status.")
    ] = None,
) -> list[DisputeRead]:
    """The district's disputes, newest first. Council of the district only; logged."""
    return read_district_disputes(session, user, district, status=dispute_status)
