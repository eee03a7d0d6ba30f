"""Record forms of the front-line roles (`/ui/forms/...`): one per record kind each role submits.

A form posts to the same function the API's record routes call
(`service.records.intake.submit_record`), with the form's one-time token as its
`Idempotency-Key`: a double click or a form sent again stores the record once, and both answers
lead to the same confirmation. Every field is checked on the server (`service.ui.forms`) and a
wrong one is shown again with its message beside it; nothing is stored until all are right.
The pages need no script: the HITS total is a CSS counter of the checked answers.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from service.auth.access import check_role
from service.auth.roles import SUBMITTER_ROLES, Principal
from service.deps import StateDep, WriteSessionDep
from service.errors import ConflictError, FieldError, NotFoundError
from service.records.intake import submit_record
from service.storage.tables import IdempotencyKey
from service.ui import forms, i18n, labels
from service.ui.auth import check_csrf, page_role
from service.ui.forms import FormSpec, Problem
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute

router = APIRouter(route_class=UIRoute)

FrontLineUser = Annotated[Principal, Depends(page_role(*SUBMITTER_ROLES))]
#: The one-time token of a form: url-safe, long enough not to be guessed or repeated.
FORM_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FORM_EXPIRED: Final = i18n.N_("This form has expired: please open it again.")
ALREADY_SENT: Final = i18n.N_(
    "This form was already sent with other answers and stored as record %(id)s. To submit "
    "another record, fill in this new form."
)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def spec_for(user: Principal, slug: str) -> FormSpec:
    """The form `slug` if the user's role submits it: 404 for an unknown form, 403 for
    another role's (both shown as the translated page)."""
    spec = forms.FORMS.get(slug)
    if spec is None:
        raise NotFoundError("form: no such form")
    check_role(user, (spec.role,))
    return spec


def translate(catalog: i18n.Catalog, problem: Problem) -> str:
    return catalog.gettext(problem.message) % dict(problem.params)


def form_context(
    request: Request,
    spec: FormSpec,
    *,
    raw: dict[str, Any] | None = None,
    problems: dict[str, Problem] | None = None,
    token: str | None = None,
    notice: str | None = None,
) -> dict[str, object]:
    """What `records/form.html.j2` needs: the spec, what to show in the fields again (never
    the IIN), the translated problems, and the one-time token."""
    catalog = i18n.catalog(request_lang(request))
    return {
        "spec": spec,
        "values": raw or {},
        "problems": {k: translate(catalog, p) for k, p in (problems or {}).items()},
        "form_token": token or secrets.token_urlsafe(24),
        "action": f"/ui/forms/{spec.slug}",
        "with_iin": True,
        "today": today().isoformat(),
        "notice": notice,
        "submit_label": i18n.N_("Submit the record"),
    }


@router.get("/forms", response_class=HTMLResponse)
def forms_index(request: Request, user: FrontLineUser) -> Response:
    """The forms of the user's role."""
    return render(request, "records/index.html.j2", home_context(user))


@router.get("/forms/{slug}", response_class=HTMLResponse)
def form_page(request: Request, slug: str, user: FrontLineUser, kind: str = "") -> Response:
    """An empty form (`?kind=` preselects the kind of a police signal)."""
    spec = spec_for(user, slug)
    raw: dict[str, Any] = {"kind": kind} if kind in labels.POLICE_KINDS else {}
    return render(request, "records/form.html.j2", form_context(request, spec, raw=raw))


def _stored_by_token(session: WriteSessionDep, user: Principal, key: str) -> str | None:
    stored = session.get(IdempotencyKey, (user.id, key))
    record_id = stored.record_id if stored is not None else None
    session.rollback()
    return record_id


async def posted_form(request: Request) -> FormData:
    """The posted form (already read and cached by the CSRF check), for sync routes."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def posted_values(posted: FormData) -> dict[str, list[str]]:
    """Every posted name with all its values (text fields only)."""
    return {key: [v for v in posted.getlist(key) if isinstance(v, str)] for key in posted}


@router.post("/forms/{slug}", response_class=HTMLResponse)
def submit_form(
    request: Request,
    slug: str,
    user: FrontLineUser,
    state: StateDep,
    session: WriteSessionDep,
    posted: PostedForm,
    csrf_token: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
) -> Response:
    """Check every field; store the record once per form token; show the confirmation."""
    check_csrf(request, state, csrf_token)
    spec = spec_for(user, slug)
    parsed = forms.parse(spec, posted_values(posted), today=today())
    catalog = i18n.catalog(request_lang(request))
    if not FORM_TOKEN.match(form_token):
        context = form_context(request, spec, raw=parsed.raw, problems=parsed.problems)
        context["notice"] = catalog.gettext(FORM_EXPIRED)
        return render(request, "records/form.html.j2", context, status_code=422)
    if not parsed.ok:
        context = form_context(
            request, spec, raw=parsed.raw, problems=parsed.problems, token=form_token
        )
        return render(request, "records/form.html.j2", context, status_code=422)
    key = f"form:{form_token}"
    try:
        result = submit_record(
            session, forms.build(spec, parsed.values), user=user,
            iin_key=state.secrets.iin_hash_key, idempotency_key=key, today=today(),
        )  # fmt: skip
    except ConflictError:
        # The same form sent again with other answers: say which record it already stored.
        earlier = _stored_by_token(session, user, key)
        context = form_context(request, spec, raw=parsed.raw)
        context["notice"] = catalog.gettext(ALREADY_SENT) % {"id": earlier or "?"}
        return render(request, "records/form.html.j2", context, status_code=409)
    except FieldError:  # the event date passed midnight between the check and the store
        problems = {
            "event_date": Problem(forms.FUTURE_DATE, {"today": today().isoformat()}),
            "subject_iin": Problem(forms.IIN_AGAIN),
        }
        context = form_context(request, spec, raw=parsed.raw, problems=problems, token=form_token)
        return render(request, "records/form.html.j2", context, status_code=422)
    return RedirectResponse(
        f"/ui/submissions/{spec.record_type}/{result.record_id}?stored=1",
        status_code=status.HTTP_303_SEE_OTHER,
    )


def home_context(user: Principal) -> dict[str, object]:
    """The start page of a front-line role: its forms (police: one link per kind of signal),
    its submissions, the referrals addressed to it, and bulk uploads."""
    links: list[dict[str, str]] = []
    for spec in forms.forms_for(user.role):
        if spec.slug == forms.POLICE_SIGNAL.slug:
            links.extend(
                {"href": f"/ui/forms/{spec.slug}?kind={code}", "label": label}
                for code, label in labels.POLICE_KINDS.items()
            )
        else:
            links.append({"href": f"/ui/forms/{spec.slug}", "label": spec.title})
    return {"form_links": links, "front_line": user.role in SUBMITTER_ROLES}
