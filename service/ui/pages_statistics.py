"""The statistics page of the region, the ministry, auditors and councils (`/ui/statistics`):
the same protected tables as `GET /v1/statistics` (`service.statistics.views.read_statistics`:
the same area checks, the same access-log entries), drawn as server-side SVG bar charts with
the numbers in tables beside them, and their CSV download."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep
from service.downloads import csv_response
from service.errors import NotFoundError
from service.statistics.figures import NO_BAND, regions_of
from service.statistics.routes import STATISTICS_ROLES
from service.statistics.schemas import Level, StatisticsRead, TableRead
from service.statistics.views import read_statistics, statistics_csv
from service.storage.tables import ListSnapshot
from service.ui import i18n, labels
from service.ui.auth import page_role
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

N_ = i18n.N_
router = APIRouter(route_class=UIRoute)
StatisticsReader = Annotated[Principal, Depends(page_role(*STATISTICS_ROLES))]

#: Each figure's title and one-line definition (docs/statistics.md has the full ones).
FIGURES: Final[dict[str, tuple[str, str]]] = {
    "listed": (
        N_("Families on the monthly lists, by band: new and recurring"),
        N_(
            "Families on the month's lists by risk band; new families were not on the previous "
            "month's list."
        ),
    ),
    "alerts": (
        N_("Alerts between meetings, by kind"),
        N_(
            "Alerts raised in the month: violations of a protective order, criminal offenses, "
            "weapons."
        ),
    ),
    "orders_issued": (
        N_("Protective orders and court requirements issued"),
        N_("Protections issued in the month, by kind."),
    ),
    "orders_expired": (
        N_("Protections that ended in the month: extended or not"),
        N_(
            "Extended: a new protection of the family began within 14 days after the end and "
            "lasts longer. The last group is still within those 14 days."
        ),
    ),
    "children_surveyed": (
        N_("School-age children surveyed in the last 12 months"),
        N_(
            "Children aged 6 to 17 in the registry with a school survey in the 12 months up to "
            "the end of the month."
        ),
    ),
    "women_screened": (
        N_("Women screened in the last 12 months"),
        N_(
            "Women in the registry with a violence screening at a clinic in the 12 months up to "
            "the end of the month."
        ),
    ),
    "cases_opened": (
        N_("Cases opened in the month, by status at the end of the month"),
        N_(
            "Cases the councils opened in the month; closed ones were closed before the month "
            "ended."
        ),
    ),
    "measures_by_status": (
        N_("Measures planned in the month, by status at the end of the month"),
        N_(
            "Measures of the councils' plans created in the month, by their last status in the "
            "month."
        ),
    ),
    "measures_by_type": (
        N_("Measures planned in the month, by type"),
        N_("The same measures, by what was planned."),
    ),
    "measures_delivered": (
        N_("Measures delivered in the month: on time or late"),
        N_("On time: delivered no later than the due date."),
    ),
    "repeat": (
        N_("Repeat rate of cases opened twelve months before"),
        N_(
            "Cases opened in the same month a year earlier whose family had a new incident (an "
            "alert-kind police record, a hospital-treated injury, a child taken into care) within"
            " 365 days."
        ),
    ),
}
CATEGORIES: Final[dict[str, str]] = {
    "new": N_("new"),
    "recurring": N_("recurring"),
    NO_BAND: N_("No band (checklist)"),
    "extended": N_("Extended"),
    "not_extended": N_("Not extended"),
    "window_open": N_("Still within the 14 days"),
    "surveyed": N_("Surveyed"),
    "not_surveyed": N_("Not surveyed"),
    "screened": N_("Screened"),
    "not_screened": N_("Not screened"),
    "open": N_("Case open"),
    "closed": N_("Case closed"),
    "proposed": N_("Measure proposed"),
    "sent": N_("Measure sent to the agency"),
    "acknowledged": N_("Measure acknowledged by the agency"),
    "delivered": N_("Measure delivered"),
    "declined": N_("Measure declined by the agency"),
    "unreachable": N_("Family could not be reached"),
    "on_time": N_("Delivered on time"),
    "late": N_("Delivered late"),
    "repeat": N_("With a new incident"),
    "no_repeat": N_("Without a new incident"),
}
#: Figures shown with the share of their first category in each row.
SHARES: Final = {"children_surveyed", "women_screened", "measures_delivered", "repeat",
                 "orders_expired"}  # fmt: skip
LEVELS: Final[dict[str, str]] = {
    "national": N_("National"),
    "region": N_("Region"),
    "district": N_("District"),
}


def category_label(catalog: i18n.Catalog, code: str) -> str:
    """A category in the reader's language (`band:new` reads "High, new")."""
    _ = catalog.gettext
    band, sep, kind = code.partition(":")
    if sep:
        return f"{category_label(catalog, band)}, {_(CATEGORIES[kind])}"
    for table in (labels.BANDS, labels.POLICE_KINDS, labels.MEASURES, CATEGORIES):
        if code in table:
            return _(table[code])
    return code


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: int | None


BAR_LABEL_W: Final = 300
BAR_W: Final = 320
BAR_VALUE_W: Final = 110
BAR_ROW_H: Final = 24


def bars_svg(title: str, bars: Sequence[ChartBar], *, hidden: str, chart_id: str) -> Markup:
    """A horizontal bar chart as inline SVG (role img, title, description of every value); a
    suppressed count has no bar and reads `hidden`."""
    top = max([b.value for b in bars if b.value is not None] + [1])
    width = BAR_LABEL_W + BAR_W + BAR_VALUE_W + 16
    height = len(bars) * BAR_ROW_H + 8
    desc = "; ".join(f"{b.label}: {hidden if b.value is None else b.value}" for b in bars)
    out = [
        f'<svg class="stat-chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = 4 + index * BAR_ROW_H
        text_y = y + BAR_ROW_H * 0.65
        label = bar.label if len(bar.label) <= 44 else bar.label[:43] + "…"
        out.append(
            f'<text x="{BAR_LABEL_W - 6}" y="{text_y:.1f}" text-anchor="end">{escape(label)}</text>'
        )
        if bar.value is None:
            out.append(
                f'<rect class="hidden" x="{BAR_LABEL_W}" y="{y + 5}" width="{BAR_W}" '
                f'height="{BAR_ROW_H - 10}"/>'
            )
            shown = hidden
        else:
            length = max(bar.value / top * BAR_W, 1.0 if bar.value else 0.0)
            out.append(
                f'<rect class="bar" x="{BAR_LABEL_W}" y="{y + 4}" width="{length:.1f}" '
                f'height="{BAR_ROW_H - 8}"/>'
            )
            shown = str(bar.value)
        out.append(f'<text x="{BAR_LABEL_W + BAR_W + 8}" y="{text_y:.1f}">{escape(shown)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _share(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "—"
    return f"{100 * part / whole:.0f}%"


def _table_view(catalog: i18n.Catalog, table: TableRead, *, level: Level) -> dict[str, Any]:
    _ = catalog.gettext
    title, definition = FIGURES[table.name]
    hidden = _("hidden")
    columns = [category_label(catalog, c) for c in table.columns]
    totals = table.column_totals
    chart = bars_svg(
        _(title),
        [ChartBar(label, value) for label, value in zip(columns, totals, strict=True)],
        hidden=hidden,
        chart_id=f"chart-{table.name}",
    )
    areas_chart = None
    if len(table.rows) > 1:  # compare the areas: each one's total
        areas_chart = bars_svg(
            f"{_(title)}: {_('total by area')}",
            [ChartBar(a, v) for a, v in zip(table.rows, table.row_totals, strict=True)],
            hidden=hidden,
            chart_id=f"areas-{table.name}",
        )
    share = table.name in SHARES
    rows = [
        {"area": area, "cells": cells, "total": total,
         "share": _share(cells[0], total) if share else None}
        for area, cells, total in zip(table.rows, table.cells, table.row_totals, strict=True)
    ]  # fmt: skip
    return {
        "name": table.name,
        "title": _(title),
        "definition": _(definition),
        "columns": columns,
        "rows": rows,
        "totals": totals if len(table.rows) > 1 else None,
        "total": table.total,
        "total_share": _share(totals[0], table.total) if share else None,
        "share": share,
        "chart": chart,
        "areas_chart": areas_chart,
        "area_header": _("Region") if level is Level.national else _("District"),
    }


def _months(session: Session) -> list[str]:
    return list(
        session.scalars(select(ListSnapshot.month).distinct().order_by(ListSnapshot.month.desc()))
    )


def _choices(user: Principal, regions: dict[str, list[str]]) -> dict[str, Any]:
    """The levels, regions and districts the user may pick."""
    if user.role is UserRole.council:
        return {"levels": ["district"], "regions": [],
                "districts": [user.district] if user.district else []}  # fmt: skip
    if user.role is UserRole.regional:
        own = user.region or ""
        return {"levels": ["region", "district"], "regions": [own] if own in regions else [],
                "districts": regions.get(own, [])}  # fmt: skip
    return {
        "levels": ["national", "region", "district"],
        "regions": sorted(regions),
        "districts": sorted(d for ds in regions.values() for d in ds),
    }


@dataclass(frozen=True)
class Query:
    """What the page's form asks for, as the function wants it (a level uses only its own
    parameter)."""

    month: str
    level: Level
    region: str | None
    district: str | None


def _query(
    user: Principal, choices: dict[str, Any], months: list[str], params: dict[str, str]
) -> Query | None:
    month = params.get("month") or (months[0] if months else "")
    if not month:
        return None
    level_text = params.get("level") or choices["levels"][0]
    level = Level(level_text) if level_text in Level.__members__ else Level(choices["levels"][0])
    region = params.get("region") or None
    district = params.get("district") or None
    if level is Level.region and region is None and choices["regions"]:
        region = choices["regions"][0]
    if level is Level.district and district is None and choices["districts"]:
        district = choices["districts"][0]
    return Query(
        month=month,
        level=level,
        region=region if level is Level.region else None,
        district=district if level is Level.district else None,
    )


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(
    request: Request, user: StatisticsReader, session: SessionDep, state: StateDep
) -> Response:
    """Pick a month, a level and an area; the figures as bar charts and tables."""
    catalog = i18n.catalog(request_lang(request))
    regions = regions_of(session)
    months = _months(session)
    choices = _choices(user, regions)
    query = _query(user, choices, months, dict(request.query_params))
    view: StatisticsRead | None = None
    access_log.end_read(session)  # the choices' read ends; `read_statistics` begins its own
    if query is not None:
        view = read_statistics(
            session, user, state.models, month=query.month, level=query.level,
            region=query.region, district=query.district,
        )  # fmt: skip
    tables = (
        [] if view is None else [_table_view(catalog, t, level=view.level) for t in view.tables]
    )
    absent = [] if view is None else [catalog.gettext(FIGURES[name][0]) for name in view.absent]
    return render(
        request,
        "statistics/index.html.j2",
        {
            "months": months,
            "choices": choices,
            "level_labels": LEVELS,
            "query": query,
            "view": view,
            "tables": tables,
            "absent": absent,
            "csv_url": None if query is None else _csv_url(query),
        },
    )


def _csv_url(query: Query) -> str:
    params = {"month": query.month, "level": query.level.value}
    if query.region:
        params["region"] = query.region
    if query.district:
        params["district"] = query.district
    return "/ui/statistics/export.csv?" + urlencode(params)


@router.get("/statistics/export.csv")
def statistics_export(
    request: Request, user: StatisticsReader, session: SessionDep, state: StateDep
) -> Response:
    """The page's tables as CSV (`statistics.export_csv` in the access log)."""
    regions = regions_of(session)
    choices = _choices(user, regions)
    query = _query(user, choices, _months(session), dict(request.query_params))
    access_log.end_read(session)
    if query is None:
        raise NotFoundError("month: no list was generated yet")
    view = read_statistics(
        session, user, state.models, month=query.month, level=query.level,
        region=query.region, district=query.district, action="statistics.export_csv",
    )  # fmt: skip
    return csv_response(statistics_csv(view), f"statistics-{view.month}-{view.level.value}.csv")
