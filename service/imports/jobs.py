"""Large uploads run as jobs: `202` with an id, then `GET /v1/imports/{id}`.

A job's rows are stored in the one transaction of `run.import_rows`, so a job either commits
everything or nothing. Its progress (rows read) lives in the memory of the process running it;
the database holds its state. When that process dies (a restart, a crash), the transaction
dies with it and the job is reported failed, with nothing stored, the next time it is read:
its owner (host and process id) is no longer alive.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from service.auth.roles import Principal, UserRole
from service.errors import NotFoundError, ServiceError
from service.imports.kinds import ImportKind
from service.imports.run import ImportResult, import_rows
from service.imports.schemas import ImportRead, RowErrorRead
from service.state import ServiceState
from service.storage.tables import ImportJob, utcnow
from service.storage.transaction import transaction

logger = logging.getLogger(__name__)

OWNER: Final = f"{socket.gethostname()}:{os.getpid()}"
INTERRUPTED: Final = (
    "the server stopped while the upload ran; nothing of it was stored: upload the file again"
)
#: Jobs this process runs, by database and id (a process may serve several databases: tests).
_progress: dict[tuple[str, int], int] = {}
_running: set[tuple[str, int]] = set()
_lock = threading.Lock()


def _key(state: ServiceState, job_id: int) -> tuple[str, int]:
    return (str(state.engine.url), job_id)


def uploads_dir(state: ServiceState) -> Path:
    """Where uploaded files wait for their job (deleted when it ends)."""
    path = state.settings.resolved_home / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_job(
    state: ServiceState, *, principal: Principal, kind: ImportKind, historical: bool, fmt: str
) -> int:
    """A queued job owned by this process (committed, so a restart can report it)."""
    with state.sessions() as session, transaction(session):
        job = ImportJob(
            user_id=principal.id, kind=kind.value, file_format=fmt, historical=historical,
            status="queued", rows=0, stored=0, already_stored=0, owner=OWNER,
        )  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
    with _lock:  # from now on this process answers for it
        _running.add(_key(state, job_id))
        _progress[_key(state, job_id)] = 0
    return job_id


@dataclass(frozen=True)
class JobUpload:
    """What a job uploads: the saved file (deleted at the end) and who uploads it as what."""

    principal: Principal
    kind: ImportKind
    historical: bool
    path: Path
    filename: str | None


def start_job(state: ServiceState, job_id: int, upload: JobUpload) -> None:
    """Run the job in a thread of this process."""
    thread = threading.Thread(
        target=run_job, args=(state, job_id, upload), name=f"import-{job_id}", daemon=True
    )
    thread.start()


def run_job(state: ServiceState, job_id: int, upload: JobUpload) -> ImportResult | None:
    """Run one job to its end: done with everything stored, or failed with nothing."""

    key = _key(state, job_id)

    def progress(rows: int) -> None:
        _progress[key] = rows

    try:
        result = import_rows(
            state, principal=upload.principal, kind=upload.kind, rows_or_file=upload.path,
            historical=upload.historical, filename=upload.filename, progress=progress,
            job_id=job_id,
        )  # fmt: skip
        if not result.ok:
            _fail(state, job_id, result=result, detail=_rows_failed(result))
        return result
    except ServiceError as exc:
        _fail(state, job_id, detail=exc.detail)
    except Exception as exc:
        # No traceback: a database error's text may quote the failing row (a name).
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or "-"
        logger.error("import job %s failed: %s (SQLSTATE %s)", job_id, type(exc).__name__, sqlstate)
        _fail(state, job_id, detail="the upload failed on the server; nothing was stored")
    finally:
        upload.path.unlink(missing_ok=True)
        with _lock:
            _running.discard(key)
            _progress.pop(key, None)
    return None


def _rows_failed(result: ImportResult) -> str:
    n = len(result.errors) + result.more_errors
    return f"{n} problems in the rows; nothing was stored"


def _fail(
    state: ServiceState, job_id: int, *, detail: str, result: ImportResult | None = None
) -> None:
    with state.sessions() as session, transaction(session):
        job = session.get(ImportJob, job_id)
        if job is None:
            return
        job.status = "failed"
        payload = json.loads(result.to_json()) if result is not None else {}
        payload["detail"] = detail
        if result is not None:
            job.rows = result.rows
        job.stored = job.already_stored = 0
        job.result = json.dumps(payload)
        job.finished_at = utcnow()


def _alive(owner: str | None) -> bool:
    """Whether the process that owns a job still runs it (unknown hosts count as alive)."""
    if owner is None:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    pid = int(pid_text) if pid_text.isdigit() else -1
    if pid == os.getpid():
        return False  # this process: alive only while in `_running` (checked by the caller)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_job(state: ServiceState, session: Session, job_id: int, *, user: Principal) -> ImportRead:
    """The upload `job_id` as its uploader (or the admin) may see it; 404 for anyone else.

    A job whose process died is marked failed here, with nothing stored."""
    job = session.get(ImportJob, job_id)
    if job is None or (user.role is not UserRole.admin and job.user_id != user.id):
        raise NotFoundError("import_id: no such upload of yours")
    status, rows = job.status, job.rows
    if status in ("queued", "running"):
        with _lock:
            here = _key(state, job_id) in _running
            rows = _progress.get(_key(state, job_id), rows)
        if here:
            status = "running" if rows else "queued"
        elif not _alive(job.owner):
            session.rollback()
            _fail(state, job_id, detail=INTERRUPTED)
            job = session.get(ImportJob, job_id)
            assert job is not None
            status, rows = job.status, job.rows
    payload = json.loads(job.result) if job.result else {}
    return ImportRead(
        id=job.id,
        kind=job.kind,
        status=status,
        historical=job.historical,
        file_format=job.file_format,
        rows=rows,
        stored=job.stored,
        already_stored=job.already_stored,
        updated=int(payload.get("updated", 0)),
        police_outcomes=int(payload.get("police_outcomes", 0)),
        errors=[RowErrorRead(**e) for e in payload.get("errors", [])],
        more_errors=int(payload.get("more_errors", 0)),
        encoding=payload.get("encoding"),
        detail=payload.get("detail"),
    )


def fail_interrupted(state: ServiceState) -> int:
    """Mark every job whose process is gone as failed (at start-up); how many were."""
    with state.sessions() as session:
        jobs = (
            session.query(ImportJob.id, ImportJob.owner)
            .filter(ImportJob.status.in_(("queued", "running")))
            .all()
        )
    stale = [
        job_id
        for job_id, owner in jobs
        if _key(state, job_id) not in _running and not _alive(owner)
    ]
    for job_id in stale:
        _fail(state, job_id, detail=INTERRUPTED)
    return len(stale)
