"""District-level reads (monthly lists, alerts between meetings), one family's explanation, and
the admin's generation of a month's lists. Every read of family-level data is logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, status

from features.months import MONTH_PATTERN
from service.auth.access import district_scope, require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.lists.alerts import read_alerts
from service.lists.generate import generate_with_champion
from service.lists.schemas import (
    AlertsRead,
    ExplanationRead,
    ListMonthsRead,
    ListRead,
    ListsCreate,
    ListsCreated,
)
from service.lists.views import known_district, list_months, pick_lang, read_explanation, read_list
from service.openapi import error_responses

CouncilOrAuditor = Annotated[Principal, Depends(require_role(UserRole.council, UserRole.auditor))]
Council = Annotated[Principal, Depends(require_role(UserRole.council))]

lists_router = APIRouter(
    tags=["lists"], dependencies=[Depends(require_role(UserRole.council, UserRole.auditor))]
)
alerts_router = APIRouter(tags=["lists"], dependencies=[Depends(require_role(UserRole.council))])
explain_router = APIRouter(
    tags=["families"], dependencies=[Depends(require_role(UserRole.council, UserRole.auditor))]
)
generate_router = APIRouter(tags=["admin"], dependencies=[Depends(require_role(UserRole.admin))])

DistrictPath = Annotated[str, Path(description="District name as in the registry.")]
FamilyId = Annotated[str, Path(description="Pseudonymous family id.")]


@lists_router.get("/v1/districts/{district}/lists", response_model=ListMonthsRead)
def get_list_months(
    district: DistrictPath, user: CouncilOrAuditor, session: SessionDep
) -> ListMonthsRead:
    """Months for which the district has a stored list, newest first."""
    district_scope(user, district)
    known_district(session, district)
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
    days to expiry (from the list's as-of date) and a flag suggesting a court extension,
    violations, serious police signals of the last three months (`alerts`) and the alerts
    between meetings (`alerts_between_meetings`: recorded after the previous list was built).
    Names are shown to the council of the district only; auditors get `null`.
    The read is written to the access log (`list.read`; the pages' printed list and CSV file
    are logged as `list.print` and `list.export_csv`).
    """
    return read_list(session, user, district, month, lang=pick_lang(lang, accept_language))


@alerts_router.get("/v1/districts/{district}/alerts", response_model=AlertsRead)
def get_alerts(district: DistrictPath, user: Council, session: SessionDep) -> AlertsRead:
    """The alerts between meetings: protective-order violations, criminal offenses and weapons
    signalled about the district's families and recorded since the district's latest list was
    built (on or after its as-of date, `since`), newest first, with the score at the time of
    the signal (re-scored at once; null until the re-scoring finished or when no model exists).
    The read is written to the access log."""
    return read_alerts(session, user, district)


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


@generate_router.post(
    "/v1/lists",
    status_code=status.HTTP_201_CREATED,
    response_model=ListsCreated,
    responses=error_responses(404),
)
def create_lists(body: ListsCreate, state: StateDep, session: WriteSessionDep) -> ListsCreated:
    """Build the lists of `month` for `districts` (null: all): features as of the 1st of the
    month from the database, scores from the champion, explanations, and one immutable snapshot
    per district with the model version and a data fingerprint. Before the first champion the
    lists are interim, ranked by the transparent checklist (`ranker: "checklist"`: no
    probability, no band, the reasons are the questions answered yes). Districts that already
    have a list for that month are reported with `created: false` and left unchanged."""
    results = generate_with_champion(state, session, month=body.month, districts=body.districts)
    return ListsCreated(snapshots=results)
