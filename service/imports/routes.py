"""`/v1/imports`: bulk uploads of agency records, the family register and historical files."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response

from features.i18n import LANGS, Lang
from service.api_types import IdPath
from service.auth.access import require_role
from service.auth.roles import Principal, UserRole
from service.deps import SessionDep, StateDep
from service.downloads import csv_response
from service.imports import jobs
from service.imports.kinds import check_allowed, parse_kind
from service.imports.readers import ImportTooLargeError
from service.imports.run import ImportResult, import_rows
from service.imports.schemas import ImportRead, RowErrorRead
from service.imports.templates import template_csv
from service.lists.alerts import rescore_alert

#: Files larger than this run as a job (202); smaller ones are answered at once.
JOB_THRESHOLD_BYTES: Final = 2 * 1024 * 1024
_CHUNK: Final = 1024 * 1024

UPLOADERS: Final = (
    UserRole.school, UserRole.clinic, UserRole.police, UserRole.guardianship, UserRole.admin,
)  # fmt: skip
router = APIRouter(tags=["imports"], dependencies=[Depends(require_role(*UPLOADERS))])
Uploader = Annotated[Principal, Depends(require_role(*UPLOADERS))]


def _read(result: ImportResult, *, status_text: str, detail: str | None = None) -> ImportRead:
    return ImportRead(
        id=result.import_id, kind=result.kind, status=status_text,
        historical=result.historical, file_format=result.file_format, rows=result.rows,
        stored=result.stored, already_stored=result.already_stored, updated=result.updated,
        police_outcomes=result.police_outcomes,
        errors=[RowErrorRead(**e.__dict__) for e in result.errors],
        more_errors=result.more_errors, encoding=result.encoding, detail=detail,
    )  # fmt: skip


def _save(upload: UploadFile, directory: Path, *, limit: int) -> Path:
    """Copy the upload to a file of its own, refusing it past `limit` bytes (413)."""
    size = 0
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".upload", delete=False) as out:
        path = Path(out.name)
        try:
            while chunk := upload.file.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ImportTooLargeError(
                        f"file: expected at most {limit // (1024 * 1024)} MB, got more; "
                        "split it into smaller files"
                    )
                out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


@router.post(
    "/v1/imports",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        202: {"description": "A large file: running as a job; follow GET /v1/imports/{id}."},
        403: {"description": "The role may not upload this kind."},
        413: {"description": "The file is larger than the limit (named in the answer)."},
        422: {"description": "A row or the file is invalid; nothing was stored."},
    },
)
def post_import(
    user: Uploader,
    state: StateDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="CSV (UTF-8), XLSX or NDJSON.")],
    kind: Annotated[str, Form(description="What the file holds (see the templates).")],
    historical: Annotated[
        bool, Form(description="Admin only: records of the past, with their knowledge dates.")
    ] = False,
) -> Any:
    """Upload a file of records (school, clinic, police, guardianship: your own kinds, your own
    district and institution) or, as the admin, the family register and historical files.

    Every row is validated before anything is stored; one bad row stores nothing and the answer
    (422) lists each problem by row and column, never with an IIN or a name. Rows an earlier
    upload stored are not stored twice. A live upload's records are known from the moment they
    are stored; a historical upload keeps its knowledge dates. Files over 2 MB run as a job
    (202 with its id)."""
    import_kind = parse_kind(kind)
    check_allowed(user, import_kind, historical=historical)
    directory = jobs.uploads_dir(state)
    # The body-size middleware refuses larger bodies before they are read; this also bounds
    # what is written to disk when a client sends no length.
    path = _save(file, directory, limit=state.settings.max_upload_bytes)
    filename = file.filename
    if path.stat().st_size > JOB_THRESHOLD_BYTES:
        job_id = jobs.create_job(
            state, principal=user, kind=import_kind, historical=historical,
            fmt=Path(filename or "").suffix.lstrip(".").lower() or "csv",
        )  # fmt: skip
        jobs.start_job(state, job_id, jobs.JobUpload(user, import_kind, historical, path, filename))
        body = ImportRead(
            id=job_id, kind=import_kind.value, status="queued", historical=historical,
            file_format=Path(filename or "").suffix.lstrip(".") or "csv", rows=0,
            detail=f"running as a job: GET /v1/imports/{job_id}",
        )  # fmt: skip
        return JSONResponse(status_code=202, content=body.model_dump(mode="json"))
    try:
        result = import_rows(
            state, principal=user, kind=import_kind, rows_or_file=path, historical=historical,
            filename=filename,
        )  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
    if not result.ok:
        n = len(result.errors) + result.more_errors
        body = _read(result, status_text="failed", detail=f"{n} problems; nothing was stored")
        return JSONResponse(status_code=422, content=body.model_dump(mode="json"))
    for alert_id in result.alert_ids:
        background.add_task(rescore_alert, state, alert_id)
    detail = f"{result.stored} rows stored, {result.already_stored} already stored"
    return _read(result, status_text="done", detail=detail)


@router.get("/v1/imports/templates/{kind}", response_class=Response)
def get_template(
    kind: str,
    user: Uploader,
    lang: Annotated[Lang, Query(description="Language of the column labels.")] = "en",
    historical: Annotated[bool, Query(description="The historical variant (admin).")] = False,
) -> Response:
    """A CSV template of one kind: each column's label in the language, with the column's name
    in brackets, and one example row. A filled-in template uploads as it is."""
    import_kind = parse_kind(kind)
    check_allowed(user, import_kind, historical=historical or user.role is UserRole.admin)
    if lang not in LANGS:
        lang = "en"
    text = template_csv(import_kind, lang, historical=historical)
    return csv_response(text, f"patronage-{kind}-{lang}.csv")


@router.get("/v1/imports/{import_id}", response_model=ImportRead)
def get_import(
    import_id: IdPath, user: Uploader, state: StateDep, session: SessionDep
) -> ImportRead:
    """An upload's state: `queued`, `running` (with the rows read so far), `done` or `failed`
    (with the report; nothing stored). Only its uploader and the admin see it."""
    return jobs.read_job(state, session, import_id, user=user)
