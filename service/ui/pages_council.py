"""Council pages: the district's monthly list (filter, sort, CSV, print), alerts, family page.

Each page calls the service functions the API's routes call: the same district check
(`district_scope`), names only through `may_see_names`, and the same access-log entry for every
read of family-level data, committed with the read. Pages only reshape and translate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from features.csv_safe import Cell, csv_text
from model.reasons import listed
from service.audit import access_log
from service.auth.access import district_scope, may_see_names
from service.decisions import decide
from service.decisions.schemas import MIN_LOWER_REASON, DecisionCreate, Measure, Priority
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.downloads import csv_response
from service.errors import FieldError, NotFoundError
from service.families.members import persons
from service.families.view import read_family
from service.lists.alerts import read_alerts
from service.lists.schemas import ContributionRead
from service.lists.views import ListAction, list_months, read_explanation, read_list
from service.ui import i18n, labels
from service.ui.auth import CouncilUser, check_csrf
from service.ui.pages_subjects import family_subject_context
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute
from service.ui.views import ListFilters, ListRow, apply_filters, list_row
from service.ui.waterfall import Bar, WaterfallLabels, waterfall_svg

router = APIRouter(route_class=UIRoute)

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@router.get("/districts/{district}/lists", response_class=HTMLResponse)
def months_page(
    request: Request, district: str, user: CouncilUser, session: SessionDep
) -> Response:
    """The months that have a list for the council's district."""
    district_scope(user, district)
    return render(
        request,
        "council/months.html.j2",
        {"district": district, "months": list_months(session, district)},
    )


def list_filters(
    band: str = "",
    new: str = "",
    expiring: str = "",
    violations: str = "",
    sort: str = "rank",
) -> ListFilters:
    """The list's filters from the query string; unknown bands and sorts fall back to none/rank."""
    return ListFilters(
        band=band if band in labels.BANDS else "",
        new=new == "1",
        expiring=expiring == "1",
        violations=violations == "1",
        sort=sort if sort in labels.SORTS else "rank",
    )


#: The list, print and CSV pages read the same filter query parameters.
FiltersQuery = Annotated[ListFilters, Depends(list_filters)]


@dataclass(frozen=True)
class ListPage:
    """What the list, print and CSV pages share: the request, the district, the council user,
    a read session and the filters. The month stays a parameter of each route (only the list
    page checks its pattern)."""

    request: Request
    district: str
    user: CouncilUser
    session: SessionDep
    filters: FiltersQuery

    def rows(
        self, month: str, *, action: ListAction = "list.read"
    ) -> tuple[list[ListRow], dict[str, object]]:
        """The filtered rows of the district's list of `month`, and the template context; the
        read is logged as `action` (shown, printed or exported)."""
        request, filters = self.request, self.filters
        listing = read_list(
            self.session, self.user, self.district, month, lang=request_lang(request),
            action=action,
        )  # fmt: skip
        rows = [list_row(entry) for entry in listing.entries]
        shown = apply_filters(rows, filters)
        query = request.url.query
        return shown, {
            "district": self.district,
            "month": month,
            "rows": shown,
            "total": len(rows),
            "model_version": listing.model_version,
            "ranker": listing.ranker,
            "previous_ranker": listing.previous_ranker,
            "checklist_items": listing.checklist_items,
            "recalibrated_within": labels.attribute(listing.recalibrated_within),
            "filters": filters,
            "query": f"?{query}" if query else "",
            "bands": list(labels.BANDS.items()),
            "sorts": list(labels.SORTS.items()),
            "link_families": True,
        }


ListPageDep = Annotated[ListPage, Depends()]


@router.get("/districts/{district}/lists/{month}", response_class=HTMLResponse)
def list_page(month: Annotated[str, Path(pattern=MONTH)], page: ListPageDep) -> Response:
    """The district's list of `month`, filtered and sorted."""
    return render(page.request, "council/list.html.j2", page.rows(month)[1])


@router.get("/districts/{district}/lists/{month}/print", response_class=HTMLResponse)
def print_page(month: str, page: ListPageDep) -> Response:
    """A printable page of the list for the council meeting."""
    return render(
        page.request, "council/list_print.html.j2", page.rows(month, action="list.print")[1]
    )


@router.get("/districts/{district}/lists/{month}/export.csv")
def export_csv(month: str, page: ListPageDep) -> Response:
    """The list as CSV (UTF-8 with BOM so spreadsheet programs read Cyrillic correctly)."""
    rows, context = page.rows(month, action="list.export_csv")
    _ = i18n.catalog(request_lang(page.request)).gettext
    # Every row says what ranked it: an interim checklist list has no probability and no band.
    ranked_by = _(labels.RANKERS.get(str(context["ranker"]), str(context["ranker"])))
    header = [
        _("Rank"),
        _("Family"),
        _("Members"),
        _("Band"),
        _("Probability"),
        _("Change"),
        _("Top reasons"),
        _("Open orders"),
        _("Violations"),
        _("Ranked by"),
        _("Checklist items answered yes"),
    ]
    body: list[list[Cell]] = [
        [
            row.rank,
            row.family_id,
            "; ".join(row.names or []),
            _(row.band_label) if row.band_label else "",
            "" if row.probability is None else f"{row.probability:.4f}",
            _(row.change_label),
            " | ".join(row.reasons),
            "; ".join(f"{_(o.kind_label)} {o.valid_until.isoformat()}" for o in row.orders),
            "; ".join(v.date.isoformat() for v in row.violations),
            ranked_by,
            row.checklist_score,
        ]
        for row in rows
    ]
    return csv_response(csv_text(header, body), f"patronage-{page.district}-{month}.csv")


@router.get("/districts/{district}/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, district: str, user: CouncilUser, session: SessionDep
) -> Response:
    """Alerts between meetings: violation, offense or weapon signals recorded since the
    district's latest list was built, each family re-scored at once."""
    names = may_see_names(user, district)
    alerts = []
    found = read_alerts(session, user, district)
    for alert in found.alerts:
        members = (
            [p.full_name for p in persons(session, alert.family_id, names=True) if p.full_name]
            if names
            else None
        )
        alerts.append(
            {
                "date": alert.event_date,
                "recorded_on": alert.recorded_on,
                "family_id": alert.family_id,
                "names": members,
                "kind_label": labels.POLICE_KINDS.get(alert.kind, alert.kind),
                "band": alert.band,
                "band_label": labels.BANDS.get(alert.band or "", alert.band or ""),
                "probability": alert.probability,
            }
        )
    return render(
        request,
        "council/alerts.html.j2",
        {"district": district, "alerts": alerts, "since": found.since},
    )


def waterfall_labels(catalog: i18n.Catalog, family_id: str) -> WaterfallLabels:
    _ = catalog.gettext
    return WaterfallLabels(
        title=_("Contributions to the score of family %(id)s") % {"id": family_id},
        base=_("Average family (base value)"),
        final=_("This family's score"),
        other=_("All other features"),
    )


def _shown(c: ContributionRead, *, checklist: bool) -> bool:
    """Whether a contribution is one of the family's reasons: a checklist item answered yes, or
    a model contribution `model.reasons.listed` lists."""
    if checklist:
        return c.contribution != 0.0
    return listed(c.feature, c.value, c.contribution)


def _family_context(
    request: Request,
    session: SessionDep,
    user: CouncilUser,
    family_id: str,
    month: str | None,
) -> dict[str, object]:
    lang = request_lang(request)
    catalog = i18n.catalog(lang)
    # The functions the API's routes call: the same district check, reads and log entries.
    view = read_family(session, user, family_id)
    score = None
    chart = None
    try:
        explanation = read_explanation(session, user, family_id, month=month, lang=lang)
    except NotFoundError:
        access_log.end_read(session)
        explanation = None
    if explanation is not None:
        top = sorted(explanation.contributions, key=lambda c: abs(c.contribution), reverse=True)
        checklist = explanation.ranker == "checklist"
        score = {
            "month": explanation.month,
            "ranker": explanation.ranker,
            "band": explanation.band,
            "band_label": labels.BANDS.get(explanation.band or "", explanation.band or ""),
            "probability": explanation.probability,
            # issue 18: a recalibration within groups is stated beside the score it moved
            "recalibrated_within": labels.attribute(explanation.recalibrated_within),
            "group_shift": f"{explanation.group_shift or 0.0:+.2f}",
            # A checklist's reasons are every item answered yes; its score is their count.
            "checklist_score": round(explanation.raw_score) if checklist else None,
            "checklist_items": len(explanation.contributions),
            # The model's top five listed reasons (`model.reasons.listed`: none against a
            # constrained feature's direction; the waterfall still shows every contribution).
            "reasons": list(
                dict.fromkeys(
                    c.reason
                    for c in [c for c in top if _shown(c, checklist=checklist)][
                        : None if checklist else 5
                    ]
                )
            ),
        }
    if explanation is not None and explanation.ranker == "model":
        chart = waterfall_svg(
            [Bar(c.reason, c.contribution) for c in explanation.contributions],
            base_value=explanation.base_value,
            labels=waterfall_labels(catalog, family_id),
        )
    timeline = [
        {
            "event_date": item.event_date,
            "knowledge_date": item.knowledge_date,
            "source_label": labels.SOURCES.get(item.source, item.source),
            "summary": labels.summarise(catalog, item.source, item.content),
        }
        for item in sorted(view.timeline, key=lambda i: i.event_date, reverse=True)
    ]
    decisions = [
        {
            "date": d.created_at.date(),
            "by": d.decided_by,
            "measures": [labels.label(catalog, labels.MEASURES, m) for m in d.measures],
            "priority_label": labels.PRIORITIES.get(d.priority, d.priority),
            "reason": d.reason,
        }
        for d in reversed(view.decisions)
    ]
    family_ctx = {
        "family_id": view.family_id,
        "district": view.district,
        "names": [p.full_name for p in view.persons if p.full_name],
        "orders": [
            {
                "kind_label": labels.POLICE_KINDS.get(o.kind, o.kind),
                "valid_until": o.valid_until,
                "days_left": o.days_to_expiry,
            }
            for o in view.open_orders
        ],
        "timeline": timeline,
        "decisions": decisions,
    }
    return {
        "family": family_ctx,
        "score": score,
        "chart": chart,
        "can_decide": True,
        "measures": list(labels.MEASURES.items()),
        "priorities": list(labels.PRIORITIES.items()),
        "form": {"measures": [], "priority": "keep", "reason": "", "hold_months": 3},
        "form_error": None,
        "notice": None,
        # Subject access (issue 14): members' exports, explanations and disputes.
        **family_subject_context(session, user, view),
    }


@router.get("/families/{family_id}", response_class=HTMLResponse)
def family_page(
    request: Request,
    family_id: str,
    user: CouncilUser,
    session: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    done: str = "",
) -> Response:
    """One family: reasons, waterfall, the three agencies' records, orders, decisions, form."""
    context = _family_context(request, session, user, family_id, month)
    if done == "1":
        context["notice"] = i18n.catalog(request_lang(request)).gettext(
            "The decision has been recorded."
        )
    return render(request, "council/family.html.j2", context)


def _months(text: str) -> int:
    """The hold months of the decision form (1..12; the select offers no other; default 3)."""
    return int(text) if text.isdigit() and 1 <= int(text) <= 12 else 3


@router.post("/families/{family_id}/decisions", response_class=HTMLResponse)
def record_decision(
    request: Request,
    family_id: str,
    user: CouncilUser,
    state: StateDep,
    session: WriteSessionDep,
    csrf_token: Annotated[str, Form()] = "",
    measures: Annotated[list[str] | None, Form()] = None,
    priority: Annotated[str, Form()] = "keep",
    reason: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    hold_months: Annotated[str, Form()] = "3",
) -> Response:
    """Record a council decision as the API does (`decide.record_decision`); a refusal (no
    measure, or lowering priority without a 20-character reason) shows the form again with a
    translated error."""
    check_csrf(request, state, csrf_token)
    _ = i18n.catalog(request_lang(request)).gettext
    error: str | None = None
    try:
        body = DecisionCreate(
            measures=[Measure(m) for m in (measures or []) if m in labels.MEASURES],
            priority=Priority(priority) if priority in labels.PRIORITIES else Priority.keep,
            reason=reason,
            list_month=month or None,
            # How long "lower" keeps the family off the top k (issue 12); ignored otherwise.
            hold_months=_months(hold_months) if priority == Priority.lower_.value else None,
        )
    except ValidationError:
        error = _("Choose at least one measure.")
    else:
        try:
            decide.record_decision(session, family_id, body, user=user)
        except FieldError as exc:
            if "reason" in exc.loc:
                error = _(
                    "Lowering priority needs a written reason of at least %(n)s characters; "
                    "the reason given has %(got)s."
                ) % {"n": MIN_LOWER_REASON, "got": len(reason.strip())}
            elif "priority" in exc.loc:  # raise with "no action" only: no case to watch
                error = _(
                    "Raising priority keeps the family on the lists until its case is closed: "
                    'choose at least one measure besides "No action".'
                )
            else:
                error = _("The decision could not be recorded: please check the fields.")
    if error is not None:
        context = _family_context(request, session, user, family_id, month or None)
        context["form"] = {
            "measures": measures or [], "priority": priority, "reason": reason,
            "hold_months": _months(hold_months),
        }  # fmt: skip
        context["form_error"] = error
        return render(
            request, "council/family.html.j2", context,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )  # fmt: skip
    target = f"/ui/families/{family_id}?done=1" + (f"&month={month}" if month else "")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
