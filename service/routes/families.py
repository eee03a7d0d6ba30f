"""Family-level reads and council actions. Every read is written to the access log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, status
from sqlalchemy.orm import Session

from model.reasons import Lang
from service import access_log
from service.corrections import correct_record
from service.decisions import create_decision, to_read
from service.deps import SessionDep, WriteSessionDep, district_scope, may_see_names, require_role
from service.errors import NotFoundError
from service.families import export_family, family_view, get_family
from service.list_views import explanation_view, latest_month, pick_lang
from service.roles import Principal, UserRole
from service.schemas import (
    MONTH_PATTERN,
    CorrectionCreate,
    CorrectionRead,
    DecisionCreate,
    DecisionRead,
    ExplanationRead,
    FamilyRead,
)
from service.tables import Family

Council = Annotated[Principal, Depends(require_role(UserRole.council))]
CouncilOrAuditor = Annotated[Principal, Depends(require_role(UserRole.council, UserRole.auditor))]
FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]

council_router = APIRouter(
    tags=["families"], dependencies=[Depends(require_role(UserRole.council))]
)
explain_router = APIRouter(
    tags=["families"], dependencies=[Depends(require_role(UserRole.council, UserRole.auditor))]
)


def _family_in_scope(session: Session, user: Principal, family_id: str) -> Family:
    """The family (404 if unknown), once `user` may see its district's data (403 if not)."""
    family = get_family(session, family_id)
    district_scope(user, family.district)
    return family


@council_router.get("/v1/families/{family_id}", response_model=FamilyRead)
def get_family_view(family_id: FamilyId, user: Council, session: SessionDep) -> FamilyRead:
    """The family's records from all three agencies on one timeline, its open protective orders
    and every past decision. Council of the family's district only; the read is logged."""
    access_log.begin_read(session)
    family = _family_in_scope(session, user, family_id)
    district = family.district
    view = family_view(session, family, names=may_see_names(user, district))
    access_log.log_read(
        session, user=user, action="family.read", family_id=family_id, district=district
    )
    return view


@council_router.get("/v1/families/{family_id}/export")
def export(family_id: FamilyId, user: Council, session: SessionDep) -> dict[str, Any]:
    """Everything held about the family, for a subject-access request. The export is logged."""
    access_log.begin_read(session)
    family = _family_in_scope(session, user, family_id)
    district = family.district
    data = export_family(session, family)
    access_log.log_read(
        session, user=user, action="family.export", family_id=family_id, district=district
    )
    return data


def read_explanation(
    session: Session, user: Principal, family_id: str, *, month: str | None, lang: Lang
) -> ExplanationRead:
    """The explanation of `family_id` in `month`'s list (default: the latest), after the scope
    check, with the read written to the access log. The route and the web pages both use it."""
    access_log.begin_read(session)
    district = _family_in_scope(session, user, family_id).district
    month = month or latest_month(session, district)
    if month is None:
        raise NotFoundError(f"month: district {district!r} has no list yet")
    view = explanation_view(session, family_id, district, month, lang=lang)
    access_log.log_read(
        session,
        user=user,
        action="family.explanation",
        family_id=family_id,
        district=district,
        list_month=month,
    )
    return view


@explain_router.get("/v1/families/{family_id}/explanation", response_model=ExplanationRead)
def get_explanation(
    family_id: FamilyId,
    user: CouncilOrAuditor,
    session: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    lang: Annotated[str | None, Query(pattern="^(kk|ru|en)$")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> ExplanationRead:
    """The family's score in `month`'s list (default: the latest) and every feature's value,
    contribution (log-odds TreeSHAP) and reason text: `base_value + sum(contribution) ==
    raw_score`. Read from the stored snapshot, so a past month reads exactly as it was shown.
    The read is logged."""
    return read_explanation(
        session, user, family_id, month=month, lang=pick_lang(lang, accept_language)
    )


@council_router.post(
    "/v1/families/{family_id}/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
)
def post_decision(
    family_id: FamilyId, body: DecisionCreate, user: Council, session: WriteSessionDep
) -> DecisionRead:
    """Record a council decision: measures from the catalogue, a priority and a reason.

    Raising priority is free; lowering it needs a reason of at least 20 characters. Decisions
    are never edited: to change one, post a new decision with `supersedes_id`.
    """
    family = _family_in_scope(session, user, family_id)
    decision = create_decision(session, family, body, user=user)
    access_log.append(
        session,
        user=user,
        action="family.decision",
        family_id=family_id,
        district=family.district,
        list_month=body.list_month,
    )
    session.commit()
    return to_read(decision, user.username)


@council_router.post(
    "/v1/families/{family_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=CorrectionRead,
)
def post_correction(
    family_id: FamilyId, body: CorrectionCreate, user: Council, session: WriteSessionDep
) -> CorrectionRead:
    """Correct one content field of one of the family's records (a family's right to have its
    records corrected). The old value is kept in the correction, which is itself logged.
    Lists already generated are not changed (snapshots are immutable)."""
    family = _family_in_scope(session, user, family_id)
    correction = correct_record(session, family, body, user=user)
    access_log.append(
        session,
        user=user,
        action="family.correction",
        family_id=family_id,
        district=family.district,
    )
    session.commit()
    return correction
