"""Uploading a class or a term (`/ui/uploads`): a CSV or XLSX file through the bulk intake.

School, clinic, police and guardianship users upload their own kinds of record; the admin
uploads the register and historical files. The page offers the template of each kind in the
page's language; an upload is first a **preview**: the file is validated by the same code as
`POST /v1/imports` (`service.imports.run.run_import`) in a transaction that is rolled back, so
nothing is stored, and the page shows what would be stored or each row's problem in the
reader's language (`service.ui.upload_messages`). The previewed file stays on the server
(`service.ui.upload_previews`: bound to the user, expiring), and **commit** stores exactly it
with `import_rows`, all or nothing, as the API does. Files of another kind, files over
`PAGE_LIMIT_BYTES` and posts without the form's CSRF token are refused with a page that says
why; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from features.i18n import N_
from service.auth.roles import Principal, UserRole
from service.deps import StateDep
from service.downloads import csv_response
from service.imports.kinds import CONTRACT_KINDS, LIVE_KINDS, ImportKind, columns_of, kinds_for
from service.imports.readers import ImportFileError, ImportTooLargeError, open_rows
from service.imports.run import ImportResult, import_rows, run_import
from service.imports.templates import template_csv
from service.lists.alerts import rescore_alert
from service.state import ServiceState
from service.ui import i18n
from service.ui.auth import page_role
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute
from service.ui.upload_messages import Text, file_problem, row_problems
from service.ui.upload_previews import PreviewStore

router = APIRouter(route_class=UIRoute)

UPLOADERS: Final = (
    UserRole.school, UserRole.clinic, UserRole.police, UserRole.guardianship, UserRole.admin,
)  # fmt: skip
Uploader = Annotated[Principal, Depends(page_role(*UPLOADERS))]

#: The largest file the page takes (a class or a term is a few hundred kilobytes; the API's
#: own limit, `max_upload_bytes`, is the ceiling).
PAGE_LIMIT_BYTES: Final = 10 * 1024 * 1024
#: What the page takes: a spreadsheet, as CSV or as an Excel workbook.
SUFFIXES: Final = (".csv", ".xlsx")
ACCEPT: Final = (
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

KIND_LABELS: Final[dict[ImportKind, str]] = {
    ImportKind.school_survey: N_("School surveys"),
    ImportKind.medical_screening: N_("Medical screenings"),
    ImportKind.police_signal: N_("Police signals"),
    ImportKind.hospital_injury: N_("Hospital-treated injuries"),
    ImportKind.guardianship_care: N_("Children taken into care"),
    ImportKind.families: N_("Register extract: families"),
    ImportKind.persons: N_("Register extract: persons"),
    ImportKind.register_changes: N_("Register changes of the month"),
    ImportKind.school_surveys: N_("School surveys, export format (historical)"),
    ImportKind.medical_screenings: N_("Medical screenings, export format (historical)"),
    ImportKind.police_signals: N_("Police signals, export format (historical)"),
    ImportKind.outcomes: N_("Outcomes, export format (historical)"),
}
_HISTORICAL: Final = N_("%(kind)s (historical, with the date the agency learned of each)")


def historical_for(user: Principal, kind: ImportKind) -> bool:
    """Whether `user` uploads `kind` as historical records: the admin's records always are
    (live records come from the agency that made them)."""
    return user.role is UserRole.admin and (kind in LIVE_KINDS or kind in CONTRACT_KINDS)


def kind_choices(user: Principal, lang: str) -> list[tuple[str, str]]:
    """The kinds `user` may upload, as (code, label in `lang`)."""
    gettext = i18n.catalog(lang).gettext
    out = []
    for kind in kinds_for(user):
        label = gettext(KIND_LABELS[kind])
        if user.role is UserRole.admin and kind in LIVE_KINDS:
            label = gettext(_HISTORICAL) % {"kind": label}
        out.append((kind.value, label))
    return out


def previews(state: ServiceState) -> PreviewStore:
    return PreviewStore(state.settings.resolved_home / "ui-uploads")


def page_limit(state: ServiceState) -> int:
    return min(PAGE_LIMIT_BYTES, state.settings.max_upload_bytes)


def _own_kind(user: Principal, value: str) -> ImportKind | None:
    allowed = {k.value: k for k in kinds_for(user)}
    return allowed.get(value)


# ---- the dry run -----------------------------------------------------------------------------


def preview_file(
    state: ServiceState, *, user: Principal, kind: ImportKind, path: Path, filename: str
) -> ImportResult:
    """Validate the file at `path` exactly as an upload of it would be stored, then roll back:
    the counts and row problems of a commit, with nothing stored. Raises `ImportFileError` for
    a file that cannot be read as a whole."""
    historical = historical_for(user, kind)
    with path.open("rb") as stream, state.sessions() as session:
        source = open_rows(
            stream, filename=filename, columns=columns_of(kind, historical=historical)
        )
        try:
            return run_import(
                session, source, principal=user, kind=kind, historical=historical,
                iin_key=state.secrets.iin_hash_key, commit=False,
            )  # fmt: skip
        finally:
            session.rollback()  # a preview stores nothing, its import record included


# ---- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadForm:
    """What the upload form shows besides the kinds."""

    kind: str = ""
    errors: tuple[Text, ...] = ()


def _upload_page(
    request: Request,
    user: Principal,
    state: ServiceState,
    *,
    form: UploadForm | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
    template: str = "uploads/upload.html.j2",
) -> Response:
    lang = request_lang(request)
    form = form or UploadForm()
    kinds = kind_choices(user, lang)
    chosen = form.kind or (kinds[0][0] if kinds else "")
    context: dict[str, Any] = {
        "kinds": kinds,
        "chosen": chosen,
        "form_errors": list(form.errors),
        "accept": ACCEPT,
        "limit_mb": page_limit(state) // (1024 * 1024),
        "notice": None,
        **(extra or {}),
    }
    return render(request, template, context, status_code=status_code)


def _refused(
    request: Request, user: Principal, state: ServiceState, kind: str, texts: list[Text], code: int
) -> Response:
    return _upload_page(
        request, user, state, form=UploadForm(kind=kind, errors=tuple(texts)), status_code=code
    )


def _gettext(request: Request) -> Any:
    return i18n.catalog(request_lang(request)).gettext


# ---- routes ----------------------------------------------------------------------------------


@router.get("/uploads", response_class=HTMLResponse)
def uploads_page(request: Request, user: Uploader, state: StateDep) -> Response:
    """The upload form: the kind, the templates, the file."""
    return _upload_page(
        request, user, state, form=UploadForm(kind=request.query_params.get("kind", ""))
    )


@router.get("/uploads/templates/{kind}")
def uploads_template(kind: str, request: Request, user: Uploader) -> Response:
    """The template of one of the user's kinds in the page's language (CSV, written through
    `features.csv_safe` like every CSV of the product)."""
    import_kind = _own_kind(user, kind)
    if import_kind is None:
        from service.errors import NotFoundError

        raise NotFoundError("kind: not one of your kinds")
    lang = request_lang(request)
    text = template_csv(import_kind, lang, historical=historical_for(user, import_kind))
    return csv_response(text, f"patronage-{import_kind.value}-{lang}.csv")


@router.get("/uploads/preview")
@router.get("/uploads/commit")
@router.get("/uploads/cancel")
def uploads_again(request: Request, user: Uploader) -> Response:
    """A form's address opened again (the language switch, a bookmark): back to the form, in
    the chosen language; the preview itself is answered only to its post."""
    lang = request.query_params.get("lang")
    target = "/ui/uploads" + (f"?lang={lang}" if i18n.parse_lang(lang) else "")
    return RedirectResponse(target, status_code=303)


@router.post("/uploads/preview", response_class=HTMLResponse)
def uploads_preview(
    request: Request,
    user: Uploader,
    state: StateDep,
    kind: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Keep the file, validate it without storing anything, and show what a commit would do
    (the CSRF token is checked by the pages' router)."""
    _ = _gettext(request)
    lang = request_lang(request)
    import_kind = _own_kind(user, kind)
    if import_kind is None:
        texts = [Text(_("Choose what the file holds from the list."))]
        return _refused(request, user, state, kind, texts, 422)
    filename = Path(file.filename or "").name if file is not None else ""
    if file is None or not filename:
        return _refused(request, user, state, kind, [Text(_("Choose a file to upload."))], 422)
    if not filename.lower().endswith(SUFFIXES):
        suffix = Path(filename).suffix.lower() or _("no extension")
        message = _(
            "The file must be a CSV file (.csv) or an Excel workbook (.xlsx); "
            "this one is %(suffix)s."
        ) % {"suffix": suffix}
        return _refused(request, user, state, kind, [Text(message)], 415)
    store = previews(state)
    try:
        kept = store.save(
            file.file, user_id=user.id, kind=import_kind, filename=filename,
            historical=historical_for(user, import_kind), limit=page_limit(state),
        )  # fmt: skip
    except ImportTooLargeError as exc:
        return _refused(request, user, state, kind, file_problem(exc.detail, lang), 413)
    try:
        result = preview_file(state, user=user, kind=import_kind, path=kept.path, filename=filename)
    except ImportFileError as exc:
        store.discard(kept.token)
        return _refused(request, user, state, kind, file_problem(exc.detail, lang), 422)
    if not result.ok:
        store.discard(kept.token)  # nothing to commit: the corrected file comes as a new upload
    extra = {
        "filename": filename,
        "kind_label": dict(kind_choices(user, lang))[import_kind.value],
        "result": result,
        "problems": row_problems(result.errors, lang),
        "token": kept.token if result.ok else "",
        "expires": (kept.created + store.ttl).strftime("%H:%M UTC"),
    }
    return _upload_page(
        request, user, state, form=UploadForm(kind=import_kind.value),
        status_code=200 if result.ok else 422, extra=extra, template="uploads/preview.html.j2",
    )  # fmt: skip


@router.post("/uploads/commit", response_class=HTMLResponse)
def uploads_commit(
    request: Request,
    user: Uploader,
    state: StateDep,
    background: BackgroundTasks,
    token: Annotated[str, Form()] = "",
) -> Response:
    """Store the previewed file, all or nothing (`import_rows`, as `POST /v1/imports`)."""
    _ = _gettext(request)
    lang = request_lang(request)
    store = previews(state)
    kept = store.load(token, user_id=user.id)
    if kept is None:
        texts = [Text(_("This preview has expired or was already stored. Upload the file again."))]
        return _refused(request, user, state, "", texts, 410)
    try:
        result = import_rows(
            state, principal=user, kind=kept.kind, rows_or_file=kept.path,
            historical=kept.historical, filename=kept.filename,
        )  # fmt: skip
    except ImportFileError as exc:
        return _refused(request, user, state, kept.kind.value, file_problem(exc.detail, lang), 422)
    finally:
        store.discard(kept.token)
    for alert_id in result.alert_ids:
        background.add_task(rescore_alert, state, alert_id)
    extra = {
        "filename": kept.filename,
        "kind_label": dict(kind_choices(user, lang))[kept.kind.value],
        "result": result,
        "problems": row_problems(result.errors, lang),
        "token": "",
        "stored_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    template = "uploads/result.html.j2" if result.ok else "uploads/preview.html.j2"
    return _upload_page(
        request, user, state, form=UploadForm(kind=kept.kind.value),
        status_code=200 if result.ok else 422, extra=extra, template=template,
    )  # fmt: skip


@router.post("/uploads/cancel", response_class=HTMLResponse)
def uploads_cancel(
    request: Request, user: Uploader, state: StateDep, token: Annotated[str, Form()] = ""
) -> Response:
    """Discard a previewed file without storing it."""
    store = previews(state)
    kept = store.load(token, user_id=user.id)
    if kept is not None:
        store.discard(kept.token)
    _ = _gettext(request)
    notice = _("The file was discarded; nothing was stored.")
    return _upload_page(request, user, state, extra={"notice": notice})
