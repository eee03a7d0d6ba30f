"""Meeting pages: the agenda of the council's monthly meeting (screen, print, CSV) and the
dashboard of the council's own figures.

They call the functions the API's routes call (`read_agenda`, `read_dashboard`): the same
district check, names only for the council of the district, and one access-log entry per read,
which says whether the agenda was read on a screen, printed or exported as a file. Numbers go
through Babel (`features.i18n.format_number`, `format_percent`); counts take the plural form of
the page's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from features.csv_safe import Cell, csv_text
from features.i18n import format_number, format_percent
from service.auth.access import district_scope
from service.deps import SessionDep
from service.downloads import csv_response
from service.lists.views import list_months
from service.meetings.agenda import AgendaAction, read_agenda
from service.meetings.dashboard import read_dashboard
from service.meetings.schemas import AgendaRead, CountRead, DashboardRead, ValueRead
from service.ui import i18n, labels
from service.ui.auth import CouncilOrAuditor, CouncilUser
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MonthQuery = Annotated[str | None, Query(pattern=MONTH)]

#: Why an open case is on the agenda (`AgendaMeasureRead.reason`).
REVIEW_REASONS: dict[str, str] = {
    "overdue": i18n.N_("Due date passed, not delivered"),
    "declined": i18n.N_("The agency declined it"),
    "unreachable": i18n.N_("The family could not be reached"),
}
#: The CSV's section column.
SECTIONS: dict[str, str] = {
    "new": i18n.N_("New in the top k"),
    "review": i18n.N_("Case due for review"),
    "alert": i18n.N_("Alert since the previous list"),
    "order": i18n.N_("Order expiring within 14 days"),
    "hold": i18n.N_("Lowered priority ends"),
}


def _month(session: SessionDep, district: str, month: str | None) -> str | None:
    """The month asked for, else the district's latest list month (None: no list yet)."""
    if month:
        return month
    months = list_months(session, district)
    return months[0] if months else None


@dataclass(frozen=True)
class Labels:
    """The codes of an agenda in the page's language."""

    catalog: i18n.Catalog

    def measure(self, code: str) -> str:
        return labels.label(self.catalog, labels.MEASURES, code)

    def status(self, code: str) -> str:
        return labels.label(self.catalog, labels.MEASURE_STATUSES, code)

    def reason(self, code: str) -> str:
        return labels.label(self.catalog, REVIEW_REASONS, code)

    def kind(self, code: str) -> str:
        return labels.label(self.catalog, labels.POLICE_KINDS, code)

    def band(self, code: str | None) -> str:
        return labels.label(self.catalog, labels.BANDS, code) if code else ""

    def section(self, code: str) -> str:
        return labels.label(self.catalog, SECTIONS, code)

    def percent(self, value: float | None) -> str:
        return "—" if value is None else format_percent(value, lang=self.catalog.lang)


@dataclass(frozen=True)
class AgendaPage:
    request: Request
    district: str
    user: CouncilUser
    session: SessionDep
    month: MonthQuery = None

    def agenda(self, action: AgendaAction) -> tuple[AgendaRead | None, dict[str, Any]]:
        district_scope(self.user, self.district)
        month = _month(self.session, self.district, self.month)
        months = list_months(self.session, self.district)
        self.session.rollback()  # the agenda's read begins its own transaction
        agenda = (
            read_agenda(self.session, self.user, self.district, month, action=action)
            if month
            else None
        )
        lang = request_lang(self.request)
        context: dict[str, Any] = {
            "district": self.district,
            "month": month,
            "months": months,
            "agenda": agenda,
            "label": Labels(i18n.catalog(lang)),
        }
        return agenda, context


AgendaPageDep = Annotated[AgendaPage, Depends()]


@router.get("/districts/{district}/agenda", response_class=HTMLResponse)
def agenda_page(page: AgendaPageDep) -> Response:
    """The agenda of the month's meeting (default: the latest list's month)."""
    return render(page.request, "council/agenda.html.j2", page.agenda("agenda.read")[1])


@router.get("/districts/{district}/agenda/print", response_class=HTMLResponse)
def agenda_print(page: AgendaPageDep) -> Response:
    """The agenda as a printable page for the meeting."""
    return render(page.request, "council/agenda_print.html.j2", page.agenda("agenda.print")[1])


@router.get("/districts/{district}/agenda/export.csv")
def agenda_csv(page: AgendaPageDep) -> Response:
    """The agenda as CSV, one row per item (UTF-8 with BOM, cells neutralised)."""
    agenda, context = page.agenda("agenda.export_csv")
    _ = i18n.catalog(request_lang(page.request)).gettext
    header = [_("Section"), _("Family"), _("Members"), _("What"), _("Date")]
    body: list[list[Cell]] = []
    if agenda is not None:
        body = agenda_rows(agenda, context["label"])
    return csv_response(
        csv_text(header, body), f"agenda-{page.district}-{context['month'] or 'none'}.csv"
    )


def agenda_rows(agenda: AgendaRead, label: Labels) -> list[list[Cell]]:
    """The agenda's items as CSV rows: section, family, members, what, date."""
    _ = label.catalog.gettext

    def members(names: list[str] | None) -> str:
        return "; ".join(names or [])

    rows: list[list[Cell]] = []
    for f in agenda.new_in_top_k:
        what = _("Rank %(rank)s") % {"rank": f.rank} + (f", {label.band(f.band)}" if f.band else "")
        rows.append([label.section("new"), f.family_id, members(f.names), what, ""])
    for c in agenda.cases_for_review:
        for m in c.measures:
            what = f"{label.measure(m.measure)}: {label.reason(m.reason)}"
            day = (m.status_on or m.due_on).isoformat()
            rows.append([label.section("review"), c.family_id, members(c.names), what, day])
    for a in agenda.alerts:
        day = a.event_date.isoformat()
        rows.append(
            [label.section("alert"), a.family_id, members(a.names), label.kind(a.kind), day]
        )
    for o in agenda.expiring_orders:
        day = o.valid_until.isoformat()
        rows.append(
            [label.section("order"), o.family_id, members(o.names), label.kind(o.kind), day]
        )
    for h in agenda.holds_ending:
        what = _("Lowered from %(start)s to %(end)s") % {
            "start": h.from_month,
            "end": h.until_month,
        }
        rows.append(
            [label.section("hold"), h.family_id, members(h.names), what, h.began_on.isoformat()]
        )
    return rows


@router.get("/districts/{district}/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    district: str,
    user: CouncilOrAuditor,
    session: SessionDep,
    month: MonthQuery = None,
) -> Response:
    """The council's own figures for the month (default: the latest list's month, else the
    current month)."""
    district_scope(user, district)
    chosen = _month(session, district, month) or dt.datetime.now(dt.UTC).date().strftime("%Y-%m")
    months = list_months(session, district)
    session.rollback()
    figures = read_dashboard(session, user, district, chosen)
    lang = request_lang(request)
    return render(
        request,
        "council/dashboard.html.j2",
        {
            "district": district,
            "month": chosen,
            "months": months,
            "d": figures,
            "rows": dashboard_rows(figures, lang=lang),
        },
    )


def shown(figure: CountRead | ValueRead, *, lang: i18n.Lang, percent: bool = False) -> str:
    """A figure as the page shows it: "<10" when suppressed, else in the language's digits."""
    if figure.suppressed or figure.value is None:
        return "<10" if isinstance(figure, CountRead) else "—"
    if percent:
        return format_percent(figure.value, lang=lang)
    return format_number(figure.value, lang=lang)


def dashboard_rows(d: DashboardRead, *, lang: i18n.Lang) -> dict[str, Any]:
    """The dashboard's figures as text, grouped as the page shows them."""
    _ = i18n.catalog(lang).gettext
    return {
        "cases": [
            (_("Cases opened in the month"), shown(d.cases_opened, lang=lang)),
            (_("Cases closed in the month"), shown(d.cases_closed, lang=lang)),
        ],
        "measures": [
            (
                _(labels.MEASURES.get(m.measure, m.measure)),
                _(labels.MEASURE_STATUSES.get(m.status, m.status)),
                shown(m.count, lang=lang),
            )
            for m in d.measures
        ],
        "measures_total": shown(d.measures_total, lang=lang),
        "delivery": [
            (
                _("Measures due in the month (due date passed, or delivered)"),
                shown(d.measures_due, lang=lang),
            ),
            (_("Of these, delivered by the due date"), shown(d.delivered_on_time, lang=lang)),
            (_("Share delivered by the due date"), shown(d.on_time_share, lang=lang, percent=True)),
            (
                _("Cases opened in the month with a first contact"),
                shown(d.cases_with_contact, lang=lang),
            ),
            (
                _("Median days from the list to the first contact"),
                shown(d.median_days_to_first_contact, lang=lang),
            ),
        ],
        "repeat": [
            (
                i18n.catalog(lang).ngettext(
                    "Within %(num)s month of opening", "Within %(num)s months of opening", r.months
                )
                % {"num": format_number(r.months, lang=lang)},
                shown(r.cases, lang=lang),
                shown(r.with_incident, lang=lang),
                shown(r.share, lang=lang, percent=True),
            )
            for r in d.repeat
        ],
        "followed": None
        if d.followed is None
        else [
            (_("Families on the month's list"), shown(d.followed.listed, lang=lang)),
            (
                _("Listed families whose plan included a measure"),
                shown(d.followed.with_action, lang=lang),
            ),
            (
                _("Listed families with no decision, or only 'no action'"),
                shown(d.followed.without_action, lang=lang),
            ),
            (
                _("Families outside the top k whose priority the council raised"),
                shown(d.followed.raised_outside_top_k, lang=lang),
            ),
            (
                _("Families in the top k whose priority the council lowered"),
                shown(d.followed.lowered_inside_top_k, lang=lang),
            ),
        ],
    }
