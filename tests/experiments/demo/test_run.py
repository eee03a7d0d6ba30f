"""`patronage demo --no-serve` end to end on a small population: what a newcomer gets, and a
second run that reuses all of it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from experiments import tracking
from experiments.cli import app
from experiments.demo import steps
from experiments.demo.alerts import ALERTS_PER_DISTRICT
from experiments.demo.feed import FEED_USERS
from experiments.demo.steps import PROMOTION_REASON, latest_month
from experiments.demo.users import CREDENTIALS_FILE, largest_districts
from experiments.time_split import known_before
from experiments.training import train
from features.contracts import Events
from features.fingerprint import events_fingerprint
from features.months import parse_month
from service.auth.security import verify_password
from service.records.export import load_contract
from service.settings import get_settings
from service.storage.db import make_engine, read_connection
from service.storage.tables import Alert, Family, ListSnapshot, PoliceSignalRow, User

FAMILIES = 500  # the smallest population whose run trains in a few seconds and still has alerts


@dataclass(frozen=True)
class Stored:
    """What the demo left in the database."""

    month: str
    districts: set[str]
    lists: dict[str, tuple[str, str]]  # district -> model version and ranker of its list
    n_lists: int
    alerts: list[tuple[str, float | None, str | None]]  # district, probability, model version
    users: dict[str, tuple[str, str | None, str]]  # username -> role, district, password hash
    largest: list[str]
    region: str | None  # the region of the largest district (its regional coordinator's)


def _stored() -> Stored:
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with Session(engine) as session:
            month = latest_month(session)
            snapshots = select(ListSnapshot).where(ListSnapshot.month == month)
            return Stored(
                month=month,
                districts=set(session.scalars(select(Family.district).distinct())),
                lists={s.district: (s.model_version, s.ranker) for s in session.scalars(snapshots)},
                n_lists=session.scalar(select(func.count(ListSnapshot.id))) or 0,
                # The demo's own alerts; the agencies' live feed raises alerts of its own
                # (its offenses and violations), unscored until the lists.
                alerts=[
                    (a.district, a.probability, a.model_version)
                    for a in session.scalars(
                        select(Alert)
                        .join(PoliceSignalRow, PoliceSignalRow.record_id == Alert.record_id)
                        .join(User, User.id == PoliceSignalRow.submitted_by)
                        .where(User.username.not_in(list(FEED_USERS.values())))
                        .order_by(Alert.id)
                    )
                ],
                users={
                    u.username: (u.role, u.district, u.password_hash)
                    for u in session.scalars(select(User))
                },
                largest=largest_districts(session),
                region=session.scalar(
                    select(Family.region)
                    .where(Family.district == largest_districts(session)[0])
                    .limit(1)
                ),
            )
    finally:
        engine.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATRONAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATRONAGE_DEMO", "1")  # the command sets it; restored after the test
    for name in (
        "DATABASE_URL", "MLFLOW_TRACKING_URI", "PATRONAGE_MLFLOW_TRACKING_URI",
        "PATRONAGE_TOKEN_KEY", "PATRONAGE_IIN_HASH_KEY",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _database_fingerprint(until: dt.date) -> str:
    """The data fingerprint of the records the database held before `until`."""
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with read_connection(engine) as conn:
            events = load_contract(conn)
    finally:
        engine.dispose()
    return events_fingerprint(known_before(events, until))


@pytest.fixture
def trained_on(monkeypatch: pytest.MonkeyPatch) -> list[Events]:
    """The events every training run of the demo received."""
    seen: list[Events] = []

    def spy(events: Events, **kwargs: Any) -> Any:
        seen.append(events)
        return train(events, **kwargs)

    monkeypatch.setattr(steps, "train", spy)
    return seen


def _squash(text: str) -> str:
    """`text` without whitespace: rich wraps long lines, even in the middle of a path."""
    return "".join(text.split())


def _demo() -> str:
    result = CliRunner().invoke(app, ["demo", "--families", str(FAMILIES), "--no-serve"])
    assert result.exit_code == 0, result.output + result.stderr
    return _squash(result.stdout)


@pytest.mark.slow
def test_demo_prepares_a_first_look_and_a_second_run_reuses_it(
    home: Path, trained_on: list[Events]
) -> None:
    out = _demo()

    # the credentials: private, one line per demo user, passwords that match the stored hashes
    credentials = home / CREDENTIALS_FILE
    assert _squash(f"Demo users and passwords: {credentials}") in out
    assert credentials.stat().st_mode & 0o777 == 0o600
    users = json.loads(credentials.read_text())["users"]
    stored = _stored()
    assert len(stored.largest) == 2
    assert stored.region is not None
    expected = {
        ("admin", "admin", None),
        ("auditor", "auditor", None),
        ("ministry", "ministry", None),
        (f"regional.{stored.region.lower().replace(' ', '-')}", "regional", None),
    } | {
        (f"{role}.{district.lower().replace(' ', '-')}", role, district)
        for district in stored.largest
        for role in ("council", "school", "clinic", "police", "guardianship")
    }
    assert {(u["username"], u["role"], u["district"]) for u in users} == expected
    for user in users:
        role, district, password_hash = stored.users[user["username"]]
        assert (role, district) == (user["role"], user["district"])
        assert verify_password(password_hash, user["password"]), user["username"]

    # a champion: registered and promoted by its gate, or promoted by the demo with its reason
    settings = get_settings()
    _model, info = tracking.load_champion(settings)
    assert str(info.version) == "1"
    assert _squash("champion model: version 1") in out
    (event,) = [e for e in tracking.alias_history(settings) if e.action == "set"]
    assert event.version == 1
    if event.gate_passed:
        assert (event.by, event.override) == ("training-run", False)
        assert _squash("gate: passed") in out
    else:
        assert (event.by, event.override, event.reason) == ("demo", True, PROMOTION_REASON)
        assert _squash("version 1 failed its gate; promoting it for the demo") in out

    # the champion was trained from the service's database, not from the simulator's files:
    # its data fingerprint is that of the records the database held before the lists
    assert _squash("training from the database on records known before") in out
    (events,) = trained_on
    # What the database holds: IINs only as their keyed hash (64 hex digits), no names; the
    # simulator's files hold the 12-digit IINs and the names.
    assert events.persons["iin"].str.len_chars().unique().to_list() == [64]
    assert events.persons["full_name"].null_count() == events.persons.height
    assert info.data_fingerprint == _database_fingerprint(parse_month(stored.month))

    # the lists of the latest month, one per district, ranked by the champion model
    assert stored.lists == dict.fromkeys(stored.districts, ("1", "model"))
    assert _squash(f"{len(stored.districts)} lists generated, 0 already stored") in out

    # the alerts: the police users of the two demo districts, each alert scored by the champion
    assert len(stored.alerts) == ALERTS_PER_DISTRICT * len(stored.largest)
    assert {a[0] for a in stored.alerts} == set(stored.largest)
    assert all(p is not None and 0.0 <= p <= 1.0 and v == "1" for _d, p, v in stored.alerts)
    assert _squash(f"{len(stored.alerts)} alerts created (0 already stored") in out

    # a second run reuses everything: no new lists, alerts, versions or passwords
    before = credentials.read_bytes()
    again = _demo()
    for step in (
        "reusing the simulated population",
        "imported 0 rows",
        "reusing the champion model, version 1",
        f"0 lists generated, {len(stored.districts)} already stored",
        f"reusing the demo users in {credentials}",
        f"0 alerts created ({len(stored.alerts)} already stored",
    ):
        assert _squash(step) in again, step
    assert "training" not in again
    assert credentials.read_bytes() == before
    assert _stored() == stored
    assert [e.version for e in tracking.alias_history(settings) if e.action == "set"] == [1]
