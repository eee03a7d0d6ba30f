"""Statistics for the region and the ministry (and the council's own district): aggregate
tables without names, small counts suppressed (docs/statistics.md). Every read is logged
(`statistics.read`, `statistics.export_csv`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from features.months import MONTH_PATTERN
from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep
from service.downloads import csv_response
from service.openapi import error_responses
from service.statistics.schemas import Level, StatisticsRead
from service.statistics.views import read_statistics, statistics_csv

#: Who reads statistics (the area each may read: `service.statistics.views.resolve_scope`).
STATISTICS_ROLES = (UserRole.regional, UserRole.ministry, UserRole.auditor, UserRole.council)
Reader = Annotated[Principal, Depends(require_role(*STATISTICS_ROLES))]

router = APIRouter(tags=["statistics"], dependencies=[Depends(require_role(*STATISTICS_ROLES))])

Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM: a month with lists.")]
LevelQuery = Annotated[Level, Query(description="district, region or national.")]
RegionQuery = Annotated[
    str | None,
    Query(max_length=64, description="Level region: the region (default: a regional user's)."),
]
DistrictQuery = Annotated[
    str | None,
    Query(max_length=64, description="Level district: the district (default: a council's)."),
]


@router.get("/v1/statistics", response_model=StatisticsRead, responses=error_responses(404))
def get_statistics(
    user: Reader,
    session: SessionDep,
    state: StateDep,
    month: Month,
    level: LevelQuery,
    region: RegionQuery = None,
    district: DistrictQuery = None,
) -> StatisticsRead:
    """The month's figures as tables (a row per region at level `national`, per district at
    level `region`, the one district at level `district`): families listed by band, new and
    recurring; alerts; protective orders issued and expired (extended or not); coverage of
    school surveys and screenings; the case figures once the case tables exist; the model and
    gate verdict in force. A `null` count is suppressed: under 10, or hidden so that none can
    be recovered from the totals. The ministry and auditors read every area, a regional user
    their region (another: 403 naming `region`), a council member their own district at level
    `district`. 404 naming `month` when no list exists for it. Logged as `statistics.read`."""
    return read_statistics(
        session, user, state.models, month=month, level=level, region=region, district=district
    )


@router.get(
    "/v1/statistics/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(404)},
)
def export_statistics(
    user: Reader,
    session: SessionDep,
    state: StateDep,
    month: Month,
    level: LevelQuery,
    region: RegionQuery = None,
    district: DistrictQuery = None,
) -> Response:
    """The same tables as `GET /v1/statistics`, as one CSV (month, level, region, district,
    figure, area, category, count; totals as area or category `total`; suppressed counts as
    `suppressed`). Logged as `statistics.export_csv`."""
    view = read_statistics(
        session, user, state.models, month=month, level=level, region=region,
        district=district, action="statistics.export_csv",
    )  # fmt: skip
    area = view.district or view.region or "national"
    filename = f"statistics-{view.month}-{view.level.value}-{_slug(area)}.csv"
    return csv_response(statistics_csv(view), filename)


def _slug(text: str) -> str:
    """A file-name-safe form of an area name."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in text).strip("-") or "area"
