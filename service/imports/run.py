"""`import_rows`: one upload, validated row by row and stored all-or-nothing.

The whole upload runs in one database transaction: rows are validated and written batch by
batch (memory stays flat however long the file), and the transaction commits only when every
row passed. One bad row rolls everything back, and the answer is the per-row report. The same
function serves `POST /v1/imports`, the background jobs, `patronage import` and the demo.

The upload is written to the access log in the same transaction (who, kind, rows, historical),
never its content.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Final, cast

from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal
from service.imports.kinds import (
    CONTRACT_KINDS,
    LIVE_KINDS,
    REGISTER_KINDS,
    ImportKind,
    check_allowed,
    columns_of,
)
from service.imports.readers import ImportFileError, RowSource, check_header, open_rows
from service.imports.store import Writer
from service.imports.store_records import ContractWriter, LiveWriter
from service.imports.store_register import RegisterWriter
from service.imports.validate import RowError, live_row, model_row
from service.state import ServiceState
from service.storage.tables import ImportJob, utcnow

logger = logging.getLogger(__name__)

BATCH: Final = 2000
#: Errors listed in a report; the rest are counted.
MAX_ERRORS: Final = 200

Progress = Callable[[int], None]  # rows read so far


def writer_for(kind: ImportKind) -> type[Writer]:
    if kind in LIVE_KINDS:
        return LiveWriter
    if kind in CONTRACT_KINDS:
        return ContractWriter
    return RegisterWriter


Rows = Path | bytes | IO[bytes] | Iterable[Mapping[str, Any]]

__all__ = ["ImportResult", "RowError", "import_rows"]


@dataclass
class ImportResult:
    """What an upload did. With `errors`, nothing was stored."""

    kind: str
    file_format: str
    historical: bool
    rows: int = 0
    stored: int = 0
    already_stored: int = 0
    updated: int = 0
    police_outcomes: int = 0
    errors: list[RowError] = field(default_factory=list)
    more_errors: int = 0
    encoding: str | None = None
    import_id: int | None = None
    alert_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)


def _source(rows: Rows, *, filename: str | None, kind: ImportKind, historical: bool) -> RowSource:
    columns = columns_of(kind, historical=historical)
    if isinstance(rows, Path):
        return open_rows(rows.open("rb"), filename=filename or rows.name, columns=columns)
    if isinstance(rows, bytes):
        return open_rows(io.BytesIO(rows), filename=filename, columns=columns)
    if not isinstance(rows, Iterable) or hasattr(rows, "read"):
        return open_rows(cast(IO[bytes], rows), filename=filename, columns=columns)
    iterator = iter(rows)
    first = next(iterator, None)
    header = list(first) if first is not None else list(columns.required)
    check_header(header, columns)
    records = itertools.chain([first], iterator) if first is not None else iter(())

    def numbered() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, row in enumerate(records, start=2):
            yield number, dict(row)

    return RowSource("rows", header, numbered())


def import_rows(
    target: ServiceState | Session,
    *,
    principal: Principal,
    kind: ImportKind | str,
    rows_or_file: Rows,
    historical: bool = False,
    filename: str | None = None,
    iin_key: bytes | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
    job_id: int | None = None,
) -> ImportResult:
    """Validate every row of one upload and store them all, or none.

    `target` is the service state (a write session is opened) or a write session (then pass
    `iin_key`). Contract kinds are always historical. Raises `ImportForbiddenError` (403) when
    the principal may not upload the kind and `ImportFileError` (422) for a file that cannot
    be read as a whole; row problems come back in `ImportResult.errors`, with nothing stored.
    """
    kind = ImportKind(kind)
    historical = historical or kind in CONTRACT_KINDS
    check_allowed(principal, kind, historical=historical)
    if isinstance(target, ServiceState):
        key = target.secrets.iin_hash_key
        context: AbstractContextManager[Session] = target.sessions()
    else:
        if iin_key is None:
            raise TypeError("iin_key: expected the IIN hash key with a session, got None")
        key, context = iin_key, nullcontext(target)
    source = _source(rows_or_file, filename=filename, kind=kind, historical=historical)
    with context as session:
        return run_import(
            session, source, principal=principal, kind=kind, historical=historical,
            iin_key=key, progress=progress, today=today, job_id=job_id,
        )  # fmt: skip


def run_import(
    session: Session,
    source: RowSource,
    *,
    principal: Principal,
    kind: ImportKind,
    historical: bool,
    iin_key: bytes,
    progress: Progress | None = None,
    today: dt.date | None = None,
    job_id: int | None = None,
    commit: bool = True,
) -> ImportResult:
    """Store the rows of `source` in one transaction of `session` (see the module)."""
    today = today or dt.datetime.now(dt.UTC).date()
    result = ImportResult(
        kind=kind.value, file_format=source.file_format, historical=historical,
        encoding=source.encoding,
    )  # fmt: skip
    try:
        job = _job(session, job_id, principal=principal, kind=kind, source=source,
                   historical=historical)  # fmt: skip
        result.import_id = job.id
        writer = writer_for(kind)(
            session=session, principal=principal, kind=kind, import_id=job.id,
            historical=historical, iin_key=iin_key, today=today,
        )  # fmt: skip
        validate = _validator(kind, historical=historical, today=today)
        errors: list[RowError] = []
        with paused_gc():
            n_errors = _rows(source, validate, writer, result, errors, progress)
        if result.rows == 0:
            raise ImportFileError("file: expected data rows below the header, got none")
        if n_errors:
            session.rollback()
            result.errors = sorted(errors, key=lambda e: (e.row, e.column or ""))
            result.more_errors = n_errors - len(result.errors)
            return result
        counts = writer.counts
        result.stored, result.already_stored = counts.stored, counts.already_stored
        result.updated, result.police_outcomes = counts.updated, counts.police_outcomes
        result.alert_ids = counts.alert_ids
        if kind in REGISTER_KINDS:
            from service.admin.linking import link_pending

            link_pending(session)  # records that arrived before their subject's register entry
        _finish(job, result, status="done")
        access_log.append(session, user=principal, action=_action(result))
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    logger.info(
        "import %s by user %s: %s rows, %s stored, %s already stored%s",
        kind.value, principal.id, result.rows, result.stored, result.already_stored,
        " (historical)" if historical else "",
    )  # fmt: skip
    return result


def _rows(
    source: RowSource,
    validate: Callable[[int, dict[str, Any]], Any],
    writer: Writer,
    result: ImportResult,
    errors: list[RowError],
    progress: Progress | None,
) -> int:
    """Validate and write the rows batch by batch; the number of problems found."""
    n_errors = 0
    for batch in _batched(source.rows, BATCH):
        valid = []
        for number, raw in batch:
            checked = validate(number, raw)
            if isinstance(checked, list):
                n_errors += len(checked)
                errors.extend(checked[: max(0, MAX_ERRORS - len(errors))])
            else:
                valid.append((number, checked))
        result.rows += len(batch)
        if not n_errors and valid:
            found = writer.write(valid)
            n_errors += len(found)
            errors.extend(found[:MAX_ERRORS])
        if progress is not None:
            progress(result.rows)
    return n_errors


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while rows stream through: an upload makes millions of
    short-lived, acyclic objects (freed by reference counting), and the collector's full passes
    over the process's heap cost a quarter of the upload's time. Restored on the way out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batched(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _action(result: ImportResult) -> str:
    """The access-log action: who is the entry's user; what kind, how many rows (<= 64 chars)."""
    suffix = ":historical" if result.historical else ""
    return f"import:{result.kind}:{result.rows}rows:{result.stored}new{suffix}"[:64]


def _job(
    session: Session,
    job_id: int | None,
    *,
    principal: Principal,
    kind: ImportKind,
    source: RowSource,
    historical: bool,
) -> ImportJob:
    if job_id is not None:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise LookupError(f"import {job_id}: no such job")
        return job
    job = ImportJob(
        user_id=principal.id, kind=kind.value, file_format=source.file_format,
        historical=historical, status="running", rows=0, stored=0, already_stored=0,
    )  # fmt: skip
    session.add(job)
    session.flush()
    return job


def _finish(job: ImportJob, result: ImportResult, *, status: str) -> None:
    job.status = status
    job.rows, job.stored, job.already_stored = result.rows, result.stored, result.already_stored
    job.result = result.to_json()
    job.finished_at = utcnow()


def _validator(
    kind: ImportKind, *, historical: bool, today: dt.date
) -> Callable[[int, dict[str, Any]], Any]:
    if kind in LIVE_KINDS:
        return lambda number, raw: live_row(kind, number, raw, historical=historical, today=today)
    return lambda number, raw: model_row(kind, number, raw, today=today)
