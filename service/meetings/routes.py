"""The council's meeting: the agenda, the dashboard of its own figures, a case's follow-up.

The council of the district reads them; auditors read them without names. Front-line roles
(school, clinic, police, guardianship) and the statistics roles never reach them. Every read is
written to the access log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from features.months import MONTH_PATTERN
from service.api_types import IdPath
from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep
from service.meetings.agenda import read_agenda
from service.meetings.dashboard import read_dashboard
from service.meetings.followup import read_follow_up
from service.meetings.schemas import AgendaRead, CaseFollowUpRead, DashboardRead
from service.openapi import error_responses

CouncilOrAuditor = Annotated[Principal, Depends(require_role(UserRole.council, UserRole.auditor))]

router = APIRouter(
    tags=["meetings"], dependencies=[Depends(require_role(UserRole.council, UserRole.auditor))]
)

DistrictPath = Annotated[str, Path(description="District name as in the registry.")]
MonthQuery = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]


@router.get(
    "/v1/districts/{district}/agenda", response_model=AgendaRead, responses=error_responses(404)
)
def get_agenda(
    district: DistrictPath, month: MonthQuery, user: CouncilOrAuditor, session: SessionDep
) -> AgendaRead:
    """The agenda of the district's meeting for `month` (404 without the month's list): the
    families new in the top k, open cases due for review (a measure overdue, declined, or not
    delivered because the family could not be reached), alerts recorded since the previous list
    was built, orders expiring within 14 days, and families whose lowered priority ends with
    this month's list. Names for the council of the district only; auditors get `null`. The
    read is written to the access log (`agenda.read`; the pages' printed agenda and CSV file
    are logged as `agenda.print` and `agenda.export_csv`)."""
    return read_agenda(session, user, district, month)


@router.get("/v1/districts/{district}/dashboard", response_model=DashboardRead)
def get_dashboard(
    district: DistrictPath, month: MonthQuery, user: CouncilOrAuditor, session: SessionDep
) -> DashboardRead:
    """The council's own figures for `month`: cases opened and closed, measures by type and
    status, the share delivered by the due date, the median days from the list to the first
    contact, the share of cases with a recorded serious incident within 3, 6 and 12 months of
    opening (over cases whose window is over), and how the council's decisions relate to the
    score (listed families without action, priority raised outside the top k, lowered inside
    it). Descriptive: what was recorded, never what a measure caused. Counts from 1 to 9 are
    suppressed (`value: null`, `suppressed: true`), and so is any figure they could be worked
    out from. The read is written to the access log (`dashboard.read`)."""
    return read_dashboard(session, user, district, month)


@router.get("/v1/cases/{case_id}/follow-up", response_model=CaseFollowUpRead)
def get_follow_up(case_id: IdPath, user: CouncilOrAuditor, session: SessionDep) -> CaseFollowUpRead:
    """What was recorded after the case was opened: recorded serious incidents at 3, 6 and 12
    months (null while a window is not over), measures delivered and on time, and days from
    the list to the first contact (an agency acknowledged or delivered a measure). The read is
    written to the access log (`case.followup`)."""
    return read_follow_up(session, user, case_id)
