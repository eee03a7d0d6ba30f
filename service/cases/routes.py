"""Case work routes (issue 12): the council's cases and plans, and the agencies' referrals.

Thin: each handler checks the role (router dependency), calls one function of
`service.cases.plan` or `service.cases.referrals`, which check the district, write or read, and
log. Auditors read cases without names; agencies never see a score, band, rank or reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from service.auth.access import require_role
from service.auth.roles import SUBMITTER_ROLES, Principal, UserRole
from service.cases.plan import (
    add_measure,
    change_status,
    close_case,
    read_district_cases,
    read_family_cases,
)
from service.cases.referrals import agency_update, referrals_for
from service.cases.schemas import (
    CaseClose,
    CaseRead,
    CaseStatus,
    DistrictCasesRead,
    FamilyCasesRead,
    MeasurePlan,
    MeasureRead,
    MeasureStatus,
    ReferralRead,
    ReferralsRead,
    StatusChange,
)
from service.deps import SessionDep, WriteSessionDep
from service.openapi import error_responses

Council = Annotated[Principal, Depends(require_role(UserRole.council))]
CouncilOrAuditor = Annotated[Principal, Depends(require_role(UserRole.council, UserRole.auditor))]
Agency = Annotated[Principal, Depends(require_role(*SUBMITTER_ROLES))]

FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]
DistrictPath = Annotated[str, Path(description="District name as in the registry.")]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The case's id.")]
MeasureId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The measure's id.")]

read_router = APIRouter(
    tags=["cases"], dependencies=[Depends(require_role(UserRole.council, UserRole.auditor))]
)
council_router = APIRouter(tags=["cases"], dependencies=[Depends(require_role(UserRole.council))])
referrals_router = APIRouter(
    tags=["referrals"], dependencies=[Depends(require_role(*SUBMITTER_ROLES))]
)


@read_router.get("/v1/families/{family_id}/case", response_model=FamilyCasesRead)
def get_family_case(
    family_id: FamilyId, user: CouncilOrAuditor, session: SessionDep
) -> FamilyCasesRead:
    """The family's cases, newest first (at most one open): the plan, each measure's agency,
    target, due date, status and full history. Council of the family's district (with names)
    and auditors (without). The read is logged (`case.read`)."""
    return read_family_cases(session, user, family_id)


@read_router.get("/v1/districts/{district}/cases", response_model=DistrictCasesRead)
def get_district_cases(
    district: DistrictPath,
    user: CouncilOrAuditor,
    session: SessionDep,
    case_status: Annotated[
        CaseStatus | None, Query(alias="status", description="open or closed (default: both).")
    ] = None,
) -> DistrictCasesRead:
    """The district's cases, open first: watch flag, measures, delivered and overdue counts.
    Council of the district and auditors. The read is logged (`cases.read`)."""
    return read_district_cases(session, user, district, status=case_status)


@council_router.post(
    "/v1/cases/{case_id}/measures",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasureRead,
    responses=error_responses(409),
)
def post_measure(
    case_id: CaseId, body: MeasurePlan, user: Council, session: WriteSessionDep
) -> MeasureRead:
    """Add a proposed measure to an open case: the agency, optionally its institution and a
    named officer, the person it is aimed at (a member of the family; none for the family as a
    whole) and a due date (not in the past). 422 names the field that does not fit."""
    return add_measure(session, user, case_id, body)


@council_router.post(
    "/v1/cases/{case_id}/measures/{measure_id}/status",
    response_model=MeasureRead,
    responses=error_responses(409),
)
def post_measure_status(
    case_id: CaseId,
    measure_id: MeasureId,
    body: StatusChange,
    user: Council,
    session: WriteSessionDep,
) -> MeasureRead:
    """Move a measure on: `sent` sends a proposed measure to its agency (a referral). For an
    agency without a user role (social services, crisis centre, correctional programme) the
    council also records its steps: acknowledged, delivered, declined (a reason of at least 10
    characters) or unreachable. A school's or a clinic's measure is sent to one institution
    (several per district): the measure's own, or `institution_id` given when sending (422
    naming `institution_id` without one); the police and the guardianship authority act for the
    district. A step out of order is 409 naming `status`; every step is kept in the measure's
    history."""
    return change_status(
        session, user, case_id, measure_id, body.status, body.note,
        institution_id=body.institution_id,
    )  # fmt: skip


@council_router.post(
    "/v1/cases/{case_id}/close", response_model=CaseRead, responses=error_responses(409)
)
def post_close(
    case_id: CaseId, body: CaseClose, user: Council, session: WriteSessionDep
) -> CaseRead:
    """Close an open case with a note (at least 10 characters). The watch ends: the family is
    listed by its score again from the next list. Measures keep their status and history."""
    return close_case(session, user, case_id, body.note)


@referrals_router.get("/v1/referrals", response_model=ReferralsRead)
def get_referrals(
    user: Agency,
    session: SessionDep,
    measure_status: Annotated[
        MeasureStatus | None,
        Query(alias="status", description="Only referrals in this status (default: all)."),
    ] = None,
) -> ReferralsRead:
    """The referrals addressed to the user's agency in their district (and institution, when
    the measure names one): the family's members, the measure, its target, due date, status
    and history. Never a score, band, rank, reason or the list. The read is logged
    (`referrals.read`)."""
    return referrals_for(session, user, status=measure_status)


@referrals_router.post(
    "/v1/referrals/{measure_id}/status",
    response_model=ReferralRead,
    responses=error_responses(409),
)
def post_referral_status(
    measure_id: MeasureId, body: StatusChange, user: Agency, session: WriteSessionDep
) -> ReferralRead:
    """The agency's step: `acknowledged`, then `delivered`, `declined` (with a reason of at
    least 10 characters) or `unreachable` (could not reach the family). 404 naming `measure_id`
    for a referral not addressed to the user's agency; 409 naming `status` for a step out of
    order."""
    return agency_update(session, user, measure_id, body.status, body.note)
