"""The retention run: what is past its period (`service.retention.policy`) and, with `apply`,
its destruction: each family in its own transaction with its tombstone and access-log entry
(`service.retention.purge`), then unlinked records, old upload reports, and upload files left
over from a crash. SQLite's write-ahead log is emptied afterwards, so no earlier copy of a
destroyed row stays in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from service.audit import access_log
from service.auth.roles import Principal, UserRole
from service.retention.policy import (
    FamilyDue,
    RetentionPolicy,
    due_families,
    due_unlinked,
    import_reports_cutoff,
)
from service.retention.purge import (
    Key,
    Keys,
    NotAdminError,
    collect,
    destroy,
    log_destruction,
    rowcount,
    tombstone,
)
from service.retention.schemas import DistrictDue, RetentionReport
from service.storage.tables import ImportJob
from service.storage.transaction import transaction

#: Directories under `$PATRONAGE_HOME` where uploads wait (jobs; previews of the upload pages),
#: and the age after which a file there is left over from a crash: removed by a retention run.
UPLOAD_DIRS: Final[tuple[tuple[str, dt.timedelta], ...]] = (
    ("imports", dt.timedelta(days=1)),
    ("ui-uploads", dt.timedelta(hours=1)),
)


def purge_family(session: Session, due: FamilyDue, *, user: Principal) -> int:
    """Destroy one family past its retention period, in one transaction; the tombstone's id."""
    with transaction(session):
        keys = collect(session, Keys({Key.family: {due.family_id}}))
        counts = destroy(session, keys)
        row = tombstone(session, kind="family", ground="retention", counts=counts, user=user,
                        district=due.district)  # fmt: skip
        log_destruction(session, user, row)
        return row.id


def _purge_unlinked(session: Session, record_ids: list[str], *, user: Principal) -> int:
    with transaction(session):
        counts = destroy(session, Keys({Key.record: set(record_ids)}))
        row = tombstone(session, kind="unlinked", ground="retention", counts=counts, user=user)
        log_destruction(session, user, row)
        return row.id


def _purge_reports(session: Session, cutoff: dt.datetime, *, user: Principal) -> int:
    with transaction(session):
        result = session.execute(
            delete(ImportJob).where(
                ImportJob.finished_at.is_not(None), ImportJob.finished_at < cutoff
            )
        )
        counts = {"imports": rowcount(result)}
        row = tombstone(session, kind="reports", ground="retention", counts=counts, user=user)
        log_destruction(session, user, row)
        return row.id


def stale_upload_files(home: Path, *, now: dt.datetime) -> list[Path]:
    """Upload files left over past their directory's age (`UPLOAD_DIRS`)."""
    stale = []
    for name, age in UPLOAD_DIRS:
        directory = home / name
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            if path.is_file() and now - modified > age:
                stale.append(path)
    return stale


def _report(
    session: Session, policy: RetentionPolicy, *, today: dt.date, home: Path, now: dt.datetime
) -> tuple[list[FamilyDue], list[str], int, list[Path]]:
    families = due_families(session, policy, today=today)
    unlinked = due_unlinked(session, policy, today=today)
    cutoff = import_reports_cutoff(policy, today=today)
    reports = int(
        session.scalar(
            select(func.count())
            .select_from(ImportJob)
            .where(ImportJob.finished_at.is_not(None), ImportJob.finished_at < cutoff)
        )
        or 0
    )
    return families, unlinked, reports, stale_upload_files(home, now=now)


def run_retention(
    session: Session,
    policy: RetentionPolicy,
    *,
    user: Principal,
    home: Path,
    apply: bool,
    today: dt.date | None = None,
) -> RetentionReport:
    """What is past its period on `today` (a dry run, logged as a read), or, with `apply`,
    destroy it: each family in its own transaction with its tombstone and access-log entry,
    then the unlinked records, the old upload reports and the left-over upload files."""
    now = dt.datetime.now(dt.UTC)
    today = today or now.date()
    if user.role is not UserRole.admin:
        raise NotAdminError(user)
    session.rollback()  # its own transactions: a read, then one per destruction
    access_log.begin_read(session)
    families, unlinked, reports, files = _report(session, policy, today=today, home=home, now=now)
    by_district: dict[str, int] = {}
    for due in families:
        by_district[due.district] = by_district.get(due.district, 0) + 1
    report = RetentionReport(
        today=today, applied=apply, families=len(families),
        by_district=[DistrictDue(district=d, families=n) for d, n in sorted(by_district.items())],
        unlinked_records=len(unlinked), import_reports=reports, upload_files=len(files),
    )  # fmt: skip
    if not apply:
        access_log.log_read(session, user=user, action="retention.dry_run")
        return report
    access_log.end_read(session)
    for due in families:
        report.deletions.append(purge_family(session, due, user=user))
    if unlinked:
        report.deletions.append(_purge_unlinked(session, unlinked, user=user))
    if reports:
        cutoff = import_reports_cutoff(policy, today=today)
        report.deletions.append(_purge_reports(session, cutoff, user=user))
    for path in files:
        path.unlink(missing_ok=True)
    engine = session.get_bind()
    if isinstance(engine, Engine):
        checkpoint_wal(engine)
    return report


def checkpoint_wal(engine: Engine) -> bool:
    """SQLite: copy the write-ahead log into the database and empty it, so that no earlier copy
    of a destroyed row stays in the log file. True when it completed (a reader that holds an old
    snapshot makes it wait for the next run); PostgreSQL: nothing to do here (VACUUM,
    docs/data-protection.md)."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
        cursor.close()
        return row is not None and row[0] == 0
    finally:
        raw.close()
