"""The "My submissions" pages (`/ui/submissions`): the own institution's records, corrections.

The pages call the functions of `GET /v1/submissions` and
`POST /v1/records/{record_type}/{record_id}/corrections` (`service.records.submissions`,
`service.records.corrections`): the same institution check, the same access-log entries, never
another institution's record, never a score, band, reason or list. A correction stores the next
version of the record and keeps the old one; the page shows every version.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from service.auth.roles import Principal
from service.deps import SessionDep, StateDep, WriteSessionDep
from service.errors import FieldError
from service.records.corrections import (
    authored_by_institution,
    correct_own_record,
    institution_of,
    record_types_of,
)
from service.records.schemas import EARLIEST_EVENT_DATE, RecordCorrectionCreate
from service.records.submissions import SubmissionFilters, list_submissions, read_submission
from service.ui import forms, i18n, labels
from service.ui.auth import check_csrf
from service.ui.forms import Problem
from service.ui.pages_records import FrontLineUser, PostedForm, posted_values, today, translate
from service.ui.rendering import render, request_lang, url_with
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)

PAGE_SIZE: Final = 50
MIN_REASON: Final = 10
REASON_SHORT: Final = i18n.N_("Expected a reason of at least %(n)s characters.")
NOTHING_CHANGED: Final = i18n.N_("Nothing was changed: change at least one answer.")
STORED: Final = i18n.N_("The record has been stored. Its number is %(id)s.")
CORRECTED: Final = i18n.N_("The correction has been stored as version %(version)s.")
#: Shown instead of the reason of a version written outside the user's institution.
BY_COUNCIL: Final = i18n.N_("Corrected by the district council")
#: Refusals of the correction itself (the form's checks passed), beside the field.
EVENT_DATE_RANGE: Final = i18n.N_("Expected a date from %(earliest)s to today (%(today)s).")
NOT_ALLOWED: Final = i18n.N_("Expected an answer this kind of record allows.")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/submissions", response_class=HTMLResponse)
def submissions_page(
    request: Request,
    user: FrontLineUser,
    session: SessionDep,
    kind: str = "",
    to: str = "",
    page: str = "1",
) -> Response:
    """The institution's records, newest event first, searchable by kind and event date."""
    kinds = record_types_of(user)
    start = _date(request.query_params.get("from", ""))
    end = _date(to)
    number = max(1, min(int(page) if page.isdigit() else 1, 10_000))
    if start and end and start > end:
        start, end = end, start
    filters = SubmissionFilters(
        kind=kind if kind in kinds else None,
        date_from=start,
        date_to=end,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    found = list_submissions(session, user, filters)
    catalog = i18n.catalog(request_lang(request))
    rows = [
        {
            "record_id": item.record_id,
            "record_type": item.record_type,
            "kind_label": forms.RECORD_TYPE_LABELS[item.record_type],
            "event_date": item.event_date,
            "knowledge_date": item.knowledge_date,
            "version": item.version,
            "linked": item.linked,
            "summary": _summary(catalog, item.record_type, item.content),
        }
        for item in found.items
    ]
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render(
        request,
        "submissions/list.html.j2",
        {
            "rows": rows,
            "total": found.total,
            "kinds": [(k, forms.RECORD_TYPE_LABELS[k]) for k in kinds],
            "filters": {
                "kind": filters.kind or "",
                "from": start.isoformat() if start else "",
                "to": end.isoformat() if end else "",
            },
            "page": number,
            "pages": pages,
            "previous": url_with(request, page=str(number - 1)) if number > 1 else None,
            "next": url_with(request, page=str(number + 1)) if number < pages else None,
        },
    )


def _summary(catalog: i18n.Catalog, record_type: str, content: dict[str, Any]) -> str:
    """One line of what the record holds, as the council's timeline says it."""
    source = {"school_survey": "school", "medical_screening": "clinic", "police_signal": "police"}
    if record_type in source:
        return labels.summarise(catalog, source[record_type], content)
    pairs = forms.describe(catalog, forms.FORM_OF_TYPE[record_type], content, None)
    return "; ".join(f"{question}: {answer}" for question, answer in pairs)


def _detail_context(
    request: Request,
    session: Session,
    user: Principal,
    record_type: str,
    record_id: str,
) -> dict[str, Any]:
    detail = read_submission(session, user, record_type, record_id)
    catalog = i18n.catalog(request_lang(request))
    spec = forms.FORM_OF_TYPE[record_type]
    item = detail.submission
    own = authored_by_institution(session, detail.versions, institution_of(user))
    return {
        "spec": spec,
        "record": {
            "record_id": item.record_id,
            "record_type": item.record_type,
            "kind_label": forms.RECORD_TYPE_LABELS[record_type],
            "event_date": item.event_date,
            "knowledge_date": item.knowledge_date,
            "submitted_at": item.submitted_at.date(),
            "linked": item.linked,
            "version": item.version,
            "answers": forms.describe(catalog, spec, item.content, item.event_date),
        },
        "versions": [
            {
                "version": v.version,
                "date": v.created_at.date(),
                "reason": _version_reason(catalog, v.version, v.reason, own=own),
                "answers": forms.describe(catalog, spec, v.content, v.event_date),
            }
            for v in reversed(detail.versions)
        ],
        "values": forms.as_form_values(spec, item.content, item.event_date),
        "problems": {},
        "reason": "",
        "with_iin": False,
        "today": today().isoformat(),
        "notice": None,
        "action": f"/ui/submissions/{record_type}/{record_id}/corrections",
    }


@router.get("/submissions/{record_type}/{record_id}", response_class=HTMLResponse)
def submission_page(
    request: Request,
    record_type: str,
    record_id: str,
    user: FrontLineUser,
    session: SessionDep,
    stored: str = "",
    corrected: str = "",
) -> Response:
    """One record of the institution: its answers, its versions and the correction form; after
    a submission, the confirmation with the record's number."""
    context = _detail_context(request, session, user, record_type, record_id)
    catalog = i18n.catalog(request_lang(request))
    if stored == "1":
        context["notice"] = catalog.gettext(STORED) % {"id": record_id}
    elif corrected.isdigit():
        context["notice"] = catalog.gettext(CORRECTED) % {"version": corrected}
    return render(request, "submissions/detail.html.j2", context)


@router.post("/submissions/{record_type}/{record_id}/corrections", response_class=HTMLResponse)
def correct_submission(
    request: Request,
    record_type: str,
    record_id: str,
    user: FrontLineUser,
    state: StateDep,
    session: WriteSessionDep,
    posted: PostedForm,
    csrf_token: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Store the changed answers as the record's next version (the old version is kept), or
    show the form again with a message beside each wrong field."""
    check_csrf(request, state, csrf_token)
    # The record first: another institution's answers 404 before anything is checked.
    context = _detail_context(request, session, user, record_type, record_id)
    catalog = i18n.catalog(request_lang(request))
    spec = forms.FORM_OF_TYPE[record_type]
    parsed = forms.parse(spec, posted_values(posted), today=today(), with_iin=False)
    problems = dict(parsed.problems)
    if len(reason.strip()) < MIN_REASON:
        problems["reason"] = Problem(REASON_SHORT, {"n": MIN_REASON})
    stored: dict[str, Any] = context["values"]  # the stored answers as the form's text
    changes = {
        name: value
        for name, value in parsed.values.items()
        if name not in problems and _as_text(value) != stored.get(name)
    }
    if not problems and not changes:
        problems["changes"] = Problem(NOTHING_CHANGED)
    if not problems:
        body = RecordCorrectionCreate(changes=_json(changes), reason=reason.strip())
        try:
            version = correct_own_record(
                session, record_type, record_id, body, user=user, today=today()
            )
        except FieldError as exc:
            name, problem = refusal_problem(exc, parsed.values, today=today())
            problems[name if name in stored else "changes"] = problem
        else:
            return RedirectResponse(
                f"/ui/submissions/{record_type}/{record_id}?corrected={version.version}",
                status_code=status.HTTP_303_SEE_OTHER,
            )
    context.update(
        values=parsed.raw,
        reason=reason,
        problems={k: translate(catalog, p) for k, p in problems.items()},
    )
    return render(request, "submissions/detail.html.j2", context, status_code=422)


def _version_reason(
    catalog: i18n.Catalog, version: int, reason: str | None, *, own: set[int]
) -> str | None:
    """A version's reason as the institution may read it: its own words, none for the record
    as first submitted, and a neutral line for a version the council wrote (its corrections
    and accepted disputes carry the council's words)."""
    if version == 1 or version in own:
        return reason
    return catalog.gettext(BY_COUNCIL)


def refusal_problem(
    exc: FieldError, values: dict[str, Any], *, today: dt.date
) -> tuple[str, Problem]:
    """The field a refusal of `correct_own_record` is about and its message there: the event
    date and the validity date each with their own; "nothing was changed" only for the
    refusal of no change."""
    detail = str(exc.detail)
    name = str(exc.loc[-1])
    if name == "changes" and "valid_until:" in detail:  # the contract's check of the kind
        name = "valid_until"
    if name == "event_date":
        return name, Problem(
            EVENT_DATE_RANGE,
            {"earliest": EARLIEST_EVENT_DATE.isoformat(), "today": today.isoformat()},
        )
    if name == "valid_until":
        until, day = values.get("valid_until"), values.get("event_date")
        if until is None and "got none" in detail:
            return name, Problem(forms.UNTIL_NEEDED)
        if "expected none" in detail:
            return name, Problem(forms.UNTIL_NOT_ALLOWED)
        if isinstance(until, dt.date) and isinstance(day, dt.date) and until < day:
            return name, Problem(forms.UNTIL_BEFORE)
        return name, Problem(forms.UNTIL_TOO_LATE)
    if name == "changes":
        if "at least one value other than the stored one" in detail:
            return name, Problem(NOTHING_CHANGED)
        return name, Problem(NOT_ALLOWED)
    return name, Problem(NOT_ALLOWED)


def _as_text(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return [str(v) for v in value]
    return "" if value is None else str(value)


def _json(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in changes.items()}
