"""The retention run: a dry run reports and changes nothing; --apply destroys a family past its
period and everything that names it, in every table of the schema and every file the service
writes, keeps the lists auditable under a pseudonym, and leaves the access log verifiable."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit import verification
from service.auth.roles import UserRole
from service.lists.generate import generate_lists
from service.retention.policy import RetentionPolicy, due_families
from service.retention.purge import PSEUDONYM_PREFIX, NotAdminError
from service.retention.run import run_retention
from service.storage import tables as t
from service.storage.anchor import anchor_for
from service.storage.db import read_connection
from service.storage.events import load_events
from tests.service.conftest import Service
from tests.service.retention.conftest import (
    DISTRICT,
    OldFamily,
    add_leftovers,
    add_old_family,
    admin,
)

#: The access log is never rewritten: its family ids are kept (docs/data-protection.md).
KEPT = {("access_log", "family_id")}


def _all_rows(session: Session) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for table in t.Base.metadata.sorted_tables:
        out[table.name] = [dict(row._mapping) for row in session.execute(select(table))]
    return out


def _survivors(session: Session, needles: list[str]) -> list[str]:
    found = []
    for name, rows in _all_rows(session).items():
        for row in rows:
            for column, value in row.items():
                if value is None or isinstance(value, bytes) or (name, column) in KEPT:
                    continue
                text = str(value)
                found += [f"{name}.{column}" for needle in needles if needle in text]
    return found


def _count(session: Session, table: type[t.Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def prepared(service: Service) -> OldFamily:
    old = add_old_family(service)
    with service.state.sessions() as session:
        generate_lists(service.state.engine, session, None, month="2011-01")
    # A council member reads the family: the log now names it.
    council = service.headers(UserRole.council, DISTRICT)
    assert service.client.get(f"/v1/families/{old.family_id}", headers=council).status_code == 200
    return old


def test_dry_run_reports_and_changes_nothing(service: Service, prepared: OldFamily) -> None:
    files = add_leftovers(service, prepared)
    home = service.state.settings.resolved_home
    with service.state.sessions() as session:
        before = _all_rows(session)
        report = run_retention(
            session, RetentionPolicy(), user=admin(service), home=home, apply=False
        )
    assert report.families == 1  # the seeded families were active in 2025
    assert [(d.district, d.families) for d in report.by_district] == [(DISTRICT, 1)]
    assert (report.unlinked_records, report.import_reports, report.upload_files) == (1, 1, 2)
    assert report.deletions == []
    assert not report.applied
    with service.state.sessions() as session:
        after = _all_rows(session)
        entry = session.scalars(
            select(t.AccessLogEntry).order_by(t.AccessLogEntry.id.desc())
        ).first()
    assert entry is not None
    assert (entry.action, entry.family_id) == ("retention.dry_run", None)
    after["access_log"] = after["access_log"][:-1]  # only the dry run's own log entry is new
    assert after == before
    assert all(path.exists() for path in files)


def test_apply_destroys_everything_that_names_the_family(
    service: Service, prepared: OldFamily
) -> None:
    old = prepared
    files = add_leftovers(service, old)
    home = service.state.settings.resolved_home
    with service.state.sessions() as session:
        snapshot_rows = _count(session, t.SnapshotFamily)
        families = _count(session, t.Family)
        report = run_retention(
            session, RetentionPolicy(), user=admin(service), home=home, apply=True
        )
    assert report.applied
    assert (report.families, len(report.deletions)) == (1, 3)

    with service.state.sessions() as session:
        assert _survivors(session, old.needles()) == []
        # Record ids of the family survive nowhere (the tombstones name none of them).
        assert _survivors(session, old.record_ids) == []
        assert _count(session, t.Family) == families - 1
        # The lists keep every row, the purged family's under a pseudonym, no record ids.
        assert _count(session, t.SnapshotFamily) == snapshot_rows
        purged = session.scalars(
            select(t.SnapshotFamily).where(t.SnapshotFamily.family_id.startswith(PSEUDONYM_PREFIX))
        ).all()
        assert len(purged) == 1
        signals = json.loads(purged[0].signals or "{}")
        assert [o["record_id"] for o in signals["open_orders"]] == ["deleted"]
        # Tombstones: kinds and counts, no data; one access-log entry each, without a family.
        tombstones = {d.kind: d for d in session.scalars(select(t.Deletion))}
        assert set(tombstones) == {"family", "unlinked", "reports"}
        counts = json.loads(tombstones["family"].counts)
        for table in (
            "families",
            "persons",
            "police_signals",
            "school_surveys",
            "medical_screenings",
            "hospital_injuries",
            "care_placements",
            "outcomes",
            "alerts",
            "corrections",
            "record_versions",
            "idempotency_keys",
            "decisions",
            "cases",
            "case_measures",
            "measure_events",
            "priority_holds",
            "disputes",
            "snapshot_families",
        ):
            assert counts.get(table, 0) >= 1, table
        assert (counts["persons"], counts["police_signals"]) == (3, 2)
        entries = session.scalars(
            select(t.AccessLogEntry).where(t.AccessLogEntry.action.startswith("deletion."))
        ).all()
        assert sorted(e.action.split("#")[0] for e in entries) == [
            "deletion.family",
            "deletion.reports",
            "deletion.unlinked",
        ]
        assert all(e.family_id is None for e in entries)
        # The chain and its signed checkpoints still verify: no entry was rewritten.
        anchor = anchor_for(session)
        assert anchor is not None
        result = verification.verify(session, anchor)
        assert result.ok, result.problems
    assert not any(path.exists() for path in files)
    # The next list is built without the family.
    with read_connection(service.state.engine) as conn:
        events = load_events(conn)
    assert old.family_id not in events.families["family_id"].to_list()
    _no_files_name_the_family(home, old)


def _no_files_name_the_family(home: Path, old: OldFamily) -> None:
    """Every file the service wrote under its home, the SQLite database and its log included
    (freed pages are zeroed, the log emptied): no name, IIN or IIN hash in any byte."""
    needles = [n.encode() for n in (*old.names, *old.iins, *old.iin_hashes)]
    for path in home.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes()
        assert not [n for n in needles if n in content], path


def test_an_open_case_or_a_longer_period_keeps_the_family(
    service: Service, prepared: OldFamily
) -> None:
    home = service.state.settings.resolved_home
    with service.state.sessions() as session:
        longer = run_retention(
            session, RetentionPolicy(family_years=30), user=admin(service), home=home, apply=False
        )
        assert longer.families == 0
        case = session.scalars(select(t.Case).where(t.Case.family_id == prepared.family_id)).one()
        case.status = "open"
        session.commit()
        report = run_retention(
            session, RetentionPolicy(), user=admin(service), home=home, apply=True
        )
    assert report.families == 0
    with service.state.sessions() as session:
        assert session.get(t.Family, prepared.family_id) is not None


def test_only_the_admin_purges(service: Service, prepared: OldFamily) -> None:
    home = service.state.settings.resolved_home
    with service.state.sessions() as session:
        before = _all_rows(session)
        with pytest.raises(NotAdminError, match="role council may not purge"):
            run_retention(
                session,
                RetentionPolicy(),
                user=service.user(UserRole.council, DISTRICT),
                home=home,
                apply=True,
            )
    with service.state.sessions() as session:
        assert _all_rows(session) == before
    response = service.client.post(
        "/v1/admin/retention/purge", headers=service.headers(UserRole.council, DISTRICT)
    )
    assert response.status_code == 403
    with service.state.sessions() as session:
        assert session.get(t.Family, prepared.family_id) is not None
    # The admin: the report, then the purge, through the API.
    headers = service.headers(UserRole.admin)
    report = service.client.get("/v1/admin/retention", headers=headers)
    assert report.status_code == 200, report.text
    assert (report.json()["families"], report.json()["applied"]) == (1, False)
    purge = service.client.post("/v1/admin/retention/purge", headers=headers)
    assert purge.status_code == 200, purge.text
    assert (purge.json()["families"], len(purge.json()["deletions"])) == (1, 1)
    assert prepared.family_id not in purge.text
    again = service.client.get("/v1/admin/retention", headers=headers)
    assert again.json()["families"] == 0


@pytest.mark.parametrize("value", [0, -1])
def test_a_period_of_zero_or_less_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="PATRONAGE_RETENTION_FAMILY_YEARS: expected a whole"):
        RetentionPolicy(family_years=value)


def test_a_lowered_hold_past_its_last_month_does_not_keep_the_family(
    service: Service, prepared: OldFamily
) -> None:
    """A lowered priority holds the family only up to its last list (`until_month`); it is
    never ended, so `ended_at IS NULL` alone would keep the family for ever. A watch hold
    keeps it while not ended."""
    today = dt.date(2026, 11, 30)
    with service.state.sessions() as session:
        hold = session.scalars(
            select(t.PriorityHold).where(t.PriorityHold.family_id == prepared.family_id)
        ).one()
        hold.kind, hold.until_month, hold.ended_at, hold.ended_on = "lowered", "2011-03", None, None
        hold.ended_reason = None
        session.commit()

        def due() -> list[str]:
            return [d.family_id for d in due_families(session, RetentionPolicy(), today=today)]

        assert prepared.family_id in due()  # the lowered priority's last list was 2011-03
        hold.until_month = "2026-11"  # still applies to this month's list
        session.commit()
        assert prepared.family_id not in due()
        hold.kind, hold.until_month = "watch", None  # a watch hold, not ended
        session.commit()
        assert prepared.family_id not in due()
        hold.ended_at, hold.ended_on = dt.datetime(2011, 2, 1), dt.date(2011, 2, 1)
        session.commit()
        assert prepared.family_id in due()
