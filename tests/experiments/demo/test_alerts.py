"""Demo alerts: re-scored, listed on the alerts page, never repeated on a re-run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from experiments.demo.alerts import (
    ALERTS_PER_DISTRICT,
    AlertsResult,
    _alert_dates,
    ensure_alerts,
    person_iins,
)
from experiments.demo.steps import latest_month
from experiments.demo.users import ensure_demo_users
from features.contracts import ALERT_KINDS
from service.auth.roles import UserRole
from service.storage.tables import Alert, ListSnapshot, PoliceSignalRow, SnapshotFamily, User
from tests.service.conftest import Service
from tests.service.factory import DISTRICTS, Seeded

COUNCIL = UserRole.council


def _write_persons(seeded: Seeded, data: Path) -> None:
    """The simulator's persons table, as much of it as `person_iins` reads."""
    data.mkdir()
    pl.DataFrame(
        {
            "person_id": list(seeded.iins),
            "role": ["adult" if p.endswith("a") else "child" for p in seeded.iins],
            "iin": list(seeded.iins.values()),
        }
    ).write_parquet(data / "persons.parquet")


def test_demo_alerts_are_rescored_listed_and_not_repeated(
    listed_service: Service, tmp_path: Path
) -> None:
    state, seeded, client = listed_service.state, listed_service.seeded, listed_service.client
    messages: list[str] = []
    with state.sessions() as session:
        ensure_demo_users(session, tmp_path, say=messages.append)
    _write_persons(seeded, tmp_path / "data")
    iins = person_iins(tmp_path / "data")
    assert set(iins) == {p for p in seeded.iins if p.endswith("a")}

    first = ensure_alerts(state, iins, month="2025-06", say=messages.append)

    assert first == AlertsResult(created=6, reused=0, scored=6)
    assert messages[-1].startswith("6 alerts created (0 already stored, 6 re-scored")
    today = dt.datetime.now(dt.UTC).date()
    for district in DISTRICTS:
        response = client.get(
            f"/v1/districts/{district}/alerts", headers=listed_service.headers(COUNCIL, district)
        )
        assert response.status_code == 200
        alerts = response.json()["alerts"]
        assert len(alerts) == ALERTS_PER_DISTRICT
        assert {a["kind"] for a in alerts} <= {k.value for k in ALERT_KINDS}
        for alert in alerts:
            assert alert["model_version"] == "7"
            assert 0.0 <= alert["probability"] <= 1.0
            assert alert["band"]
            assert dt.date(2025, 6, 1) <= dt.date.fromisoformat(alert["event_date"]) < today
        police = listed_service.user(UserRole.police, district)
        with state.sessions() as session:
            snapshot = session.scalars(
                select(ListSnapshot).where(
                    ListSnapshot.district == district, ListSnapshot.month == "2025-06"
                )
            ).one()
            ranks = {
                f.family_id: f
                for f in session.scalars(
                    select(SnapshotFamily).where(SnapshotFamily.snapshot_id == snapshot.id)
                )
            }
            institution = session.get(User, police.id).institution_id  # type: ignore[union-attr]
            rows = session.scalars(
                select(PoliceSignalRow)
                .join(Alert, Alert.record_id == PoliceSignalRow.record_id)
                .where(Alert.district == district)
            ).all()
        for alert in alerts:
            entry = ranks[alert["family_id"]]
            # Not on the list, from the middle half: the alert moves someone the list missed.
            assert entry.list_rank is None
            assert len(ranks) // 4 <= entry.score_rank <= 3 * len(ranks) // 4 + 2
        assert {(r.submitted_by, r.institution_id, r.knowledge_date) for r in rows} == {
            (police.id, institution, today)
        }

    second = ensure_alerts(state, iins, month="2025-06", say=messages.append)

    assert second == AlertsResult(created=0, reused=6, scored=0)
    with state.sessions() as session:
        # The signals are dated today; the next run must still list the simulated month.
        assert latest_month(session) == "2025-05"
    assert messages[-1].startswith("0 alerts created (6 already stored, 0 re-scored")
    with state.sessions() as session:
        assert session.scalar(select(func.count(Alert.id))) == 6


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # The list month is the current month: dated in it, never before its first day.
        (dt.date(2026, 3, 1), [dt.date(2026, 3, 2), dt.date(2026, 3, 1), dt.date(2026, 3, 1)]),
        # A simulated history that ended months ago: the last days, inside the alerts window.
        (dt.date(2026, 1, 1), [dt.date(2026, 3, 2), dt.date(2026, 3, 1), dt.date(2026, 2, 28)]),
    ],
)
def test_alert_dates_follow_the_list_and_stay_visible(
    as_of: dt.date, expected: list[dt.date]
) -> None:
    assert _alert_dates(as_of, dt.date(2026, 3, 3), 3) == expected
