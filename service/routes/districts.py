"""District-level reads: monthly lists and alerts between meetings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from service import access_log
from service.alerts import district_alerts
from service.deps import SessionDep, district_scope, may_see_names, require_role
from service.errors import NotFoundError
from service.list_views import get_snapshot, list_months, list_view, pick_lang
from service.roles import Principal, UserRole
from service.schemas import MONTH_PATTERN, AlertsRead, ListMonthsRead, ListRead
from service.tables import Family

CouncilOrAuditor = Annotated[Principal, Depends(require_role(UserRole.council, UserRole.auditor))]
Council = Annotated[Principal, Depends(require_role(UserRole.council))]

lists_router = APIRouter(
    tags=["lists"], dependencies=[Depends(require_role(UserRole.council, UserRole.auditor))]
)
alerts_router = APIRouter(tags=["lists"], dependencies=[Depends(require_role(UserRole.council))])

DistrictPath = Annotated[str, Path(description="District name as in the registry.")]


def _known_district(session: SessionDep, district: str) -> None:
    if session.query(Family.family_id).filter(Family.district == district).first() is None:
        raise NotFoundError(f"district: no district {district!r}")


@lists_router.get("/v1/districts/{district}/lists", response_model=ListMonthsRead)
def get_list_months(
    district: DistrictPath, user: CouncilOrAuditor, session: SessionDep
) -> ListMonthsRead:
    """Months for which the district has a stored list, newest first."""
    district_scope(user, district)
    _known_district(session, district)
    return ListMonthsRead(district=district, months=list_months(session, district))


@lists_router.get("/v1/districts/{district}/lists/{month}", response_model=ListRead)
def get_list(
    district: DistrictPath,
    month: Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM")],
    user: CouncilOrAuditor,
    session: SessionDep,
    lang: Annotated[str | None, Query(pattern="^(kk|ru|en)$")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> ListRead:
    """The district's list for `month`: the top k families by score (the council's capacity)
    plus every family with an open order, a recent violation or an alert, whatever its score.

    Each entry has the probability, band, rank, the change since last month, the top reasons in
    the language asked for (`?lang=kk|ru|en` or `Accept-Language`), open protective orders with
    days to expiry (from the list's as-of date) and a flag suggesting a court extension, and
    violations. Names are shown to the council of the district only; auditors get `null`.
    The read is written to the access log.
    """
    district_scope(user, district)
    access_log.begin_read(session)
    _known_district(session, district)
    snapshot = get_snapshot(session, district, month)
    view = list_view(
        session,
        snapshot,
        lang=pick_lang(lang, accept_language),
        names=may_see_names(user, district),
    )
    access_log.log_read(session, user=user, action="list.read", district=district, list_month=month)
    return view


@alerts_router.get("/v1/districts/{district}/alerts", response_model=AlertsRead)
def get_alerts(district: DistrictPath, user: Council, session: SessionDep) -> AlertsRead:
    """Families of the district with a protective-order violation, a criminal offense or a
    weapon signalled in the last three months, newest first, with the score at the time of the
    signal (re-scored at once; null until the re-scoring finished or when no model exists).
    The read is written to the access log."""
    district_scope(user, district)
    access_log.begin_read(session)
    alerts = district_alerts(session, district)
    access_log.log_read(session, user=user, action="alerts.read", district=district)
    return AlertsRead(district=district, alerts=alerts)
