"""API schemas of the council's meeting: the agenda, a case's follow-up and the dashboard.

Every figure of the dashboard is descriptive: it counts what was recorded ("cases with a
recorded serious incident within 12 months of opening"), never what a measure caused. Counts
from 1 to 9 are suppressed: `value` is null and `suppressed` true (a zero is shown).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from service.api_types import UtcDateTime

#: Why an open case is on the agenda.
ReviewReason = Literal["overdue", "declined", "unreachable"]


class AgendaFamilyRead(BaseModel):
    """A family new in the top k of the month's list."""

    family_id: str
    names: list[str] | None = Field(description="Council of the family's own district only.")
    rank: int = Field(description="Rank on the month's list.")
    score_rank: int = Field(description="Rank by score among the district's families.")
    band: str | None = Field(description="Risk band; null on a checklist list.")
    probability: float | None = Field(description="Null on a checklist list.")
    hold: str | None = Field(
        default=None, description="A priority hold the list honoured: watch, lowered or null."
    )


class AgendaMeasureRead(BaseModel):
    """A measure that puts its case on the agenda."""

    measure_id: int
    measure: str = Field(description="Catalogue code (service.decisions.schemas.Measure).")
    agency: str
    due_on: dt.date
    status: str
    reason: ReviewReason = Field(
        description="overdue: the due date passed and the measure is not delivered; declined: "
        "the agency declined it; unreachable: the agency could not reach the family. A "
        "declined or unreachable measure leaves the agenda once the council adds a new "
        "measure to the case."
    )
    status_on: dt.date | None = Field(
        description="The day of the status (declined, unreachable); null when overdue."
    )


class AgendaCaseRead(BaseModel):
    case_id: int
    family_id: str
    names: list[str] | None
    opened_on: dt.date
    measures: list[AgendaMeasureRead]


class AgendaAlertRead(BaseModel):
    family_id: str
    names: list[str] | None
    kind: str
    event_date: dt.date
    recorded_on: dt.date
    band: str | None = Field(description="Band at the time of the signal (null: not scored).")
    probability: float | None


class AgendaOrderRead(BaseModel):
    family_id: str
    names: list[str] | None
    record_id: str
    kind: str
    valid_until: dt.date
    days_left: int = Field(description="Days from the agenda's day (`on`) to expiry.")


class AgendaHoldRead(BaseModel):
    """A family whose lowered priority ends with this month's list: from next month's list on,
    it is ranked by its score again."""

    family_id: str
    names: list[str] | None
    from_month: str
    until_month: str
    began_on: dt.date
    reason: str | None = Field(
        description="The council's written reason for lowering (council of the district only)."
    )


class AgendaRead(BaseModel):
    district: str
    month: str
    on: dt.date = Field(
        description="The agenda's day: today, within the month (the month's last day for a "
        "past month, its first for a later one). Due dates and expiries count from it."
    )
    list_as_of: dt.date = Field(description="The as-of date of the month's list.")
    k: int = Field(description="The council's capacity: the top k of the month's list.")
    alerts_since: dt.date = Field(
        description="Alerts recorded on or after this day (the previous list's as-of date) "
        "and before the next list's are on the agenda."
    )
    new_in_top_k: list[AgendaFamilyRead] = Field(
        description="Families in the top k of the month's list that were not in the top k of "
        "the previous month's list (all of them when there is none)."
    )
    cases_for_review: list[AgendaCaseRead] = Field(
        description="Open cases with a measure overdue, declined, or not delivered because the "
        "family could not be reached."
    )
    alerts: list[AgendaAlertRead] = Field(
        description="Alerts (violation, criminal offense, weapon) recorded since the previous "
        "list was built."
    )
    expiring_orders: list[AgendaOrderRead] = Field(
        description="Protective orders and court requirements known by the agenda's day that "
        "expire within 14 days of it."
    )
    holds_ending: list[AgendaHoldRead] = Field(
        description="Families whose lowered priority ends with this month's list."
    )


class IncidentsRead(BaseModel):
    months: int = Field(description="3, 6 or 12: the window after the case was opened.")
    observable_on: dt.date = Field(
        description="The day the window ends: before it, `incidents` is null."
    )
    incidents: int | None = Field(
        description="Recorded serious incidents (criminal offenses, protective-order "
        "violations, hospital-treated injuries, children taken into care) with an event date "
        "after the opening day and within the window, known by the day asked for; null while "
        "the window is not over."
    )


class CaseFollowUpRead(BaseModel):
    """What was recorded after a case was opened. Descriptive: a recorded incident is not the
    same as one that happened, and a measure delivered is not shown to have changed anything."""

    case_id: int
    family_id: str
    district: str
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    list_month: str | None
    on: dt.date = Field(description="The day the figures are counted up to.")
    incidents: list[IncidentsRead]
    measures: int = Field(description="Measures in the case's plan.")
    delivered: int
    delivered_on_time: int = Field(description="Delivered on or before the due date.")
    declined: int
    unreachable: int
    first_contact_on: dt.date | None = Field(
        description="The first day an agency acknowledged or delivered a measure (null: none)."
    )
    days_to_first_contact: int | None = Field(
        description="Days from the list (its as-of date; the opening day without a list) to "
        "the first contact; null without a contact."
    )


class CountRead(BaseModel):
    """A count; from 1 to 9 it is suppressed (null, `suppressed: true`)."""

    value: int | None
    suppressed: bool


class ValueRead(BaseModel):
    """A share (0..1) or a median; suppressed when it would let a count under 10 be worked
    out, or rests on fewer than 10 cases."""

    value: float | None
    suppressed: bool


class MeasureCountRead(BaseModel):
    measure: str = Field(description="Catalogue code of the measure.")
    status: str = Field(description="Its current status.")
    count: CountRead = Field(
        description="Families whose plan included a measure of this type, added in the month "
        "and with this status now."
    )


class RepeatRead(BaseModel):
    months: int = Field(description="3, 6 or 12.")
    cases: CountRead = Field(
        description="Cases of the district opened at least this many months before the "
        "dashboard's day (the only ones whose window is over)."
    )
    with_incident: CountRead = Field(
        description="Of those, cases with a recorded serious incident within this many months "
        "of opening."
    )
    share: ValueRead = Field(description="with_incident / cases.")


class FollowedRead(BaseModel):
    """How the council's decisions about the month's list relate to the score."""

    listed: CountRead = Field(description="Families on the month's list.")
    with_action: CountRead = Field(
        description="Listed families with a decision for this list that includes a measure "
        "other than 'no action'."
    )
    without_action: CountRead = Field(
        description="Listed families with no decision for this list, or only 'no action'."
    )
    raised_outside_top_k: CountRead = Field(
        description="Families outside the top k whose priority the council raised."
    )
    lowered_inside_top_k: CountRead = Field(
        description="Families in the top k whose priority the council lowered."
    )


class DashboardRead(BaseModel):
    district: str
    month: str
    on: dt.date = Field(
        description="The dashboard's day: today within the month (the month's last day for a "
        "past month). Windows and due dates count up to it."
    )
    min_count: int = Field(description="Counts from 1 to min_count - 1 are suppressed.")
    cases_opened: CountRead = Field(description="Cases opened in the month.")
    cases_closed: CountRead = Field(description="Cases closed in the month.")
    measures: list[MeasureCountRead] = Field(
        description="Measures added to plans in the month, by type and current status: how "
        "many families' plans included each."
    )
    measures_total: CountRead = Field(description="Measures added to plans in the month.")
    measures_due: CountRead = Field(
        description="Measures due in the month whose due date has passed by the dashboard's "
        "day, or that were delivered."
    )
    delivered_on_time: CountRead = Field(description="Of those, delivered by the due date.")
    on_time_share: ValueRead
    cases_with_contact: CountRead = Field(
        description="Cases opened in the month with a first contact (a measure acknowledged or "
        "delivered)."
    )
    median_days_to_first_contact: ValueRead = Field(
        description="Median days from the list to the first contact over those cases."
    )
    repeat: list[RepeatRead]
    followed: FollowedRead | None = Field(
        description="Null when the district has no list for the month."
    )
    generated_at: UtcDateTime
