"""`patronage demo`: everything a first look needs, reusing whatever already exists.

Steps: simulate (default 20,000 families) -> import -> train, audit and register (the training
pipeline runs the fairness audit and the promotion gate) -> generate the lists of the latest month
for every district -> create the demo users -> submit a few alert-kind police signals after the
lists -> serve. Each step checks what exists first. Model training and simulation run through the
same `patronage` commands a user would type; the alerts go through the same intake and re-scoring
functions as `POST /v1/records/police-signals`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from experiments.settings import Settings
from features.contracts import Form, PoliceKind, Role
from service.alerts import ALERT_WINDOW_DAYS, rescore_alert
from service.importer import import_directory
from service.intake import submit_record
from service.lists import SnapshotResult, generate_lists
from service.models import Champion, TrackingModelSource
from service.roles import Principal, UserRole
from service.schemas import PoliceSignalCreate
from service.security import hash_password, write_private_json
from service.state import ServiceState
from service.tables import (
    Alert,
    Family,
    IdempotencyKey,
    ListSnapshot,
    MedicalScreeningRow,
    Person,
    PoliceSignalRow,
    SchoolSurveyRow,
    SnapshotFamily,
    User,
)

DEFAULT_FAMILIES: Final = 20_000
CREDENTIALS_FILE: Final = "demo-credentials.json"
DATA_DIR: Final = "data"
ALERTS_PER_DISTRICT: Final = 3
#: The alert-kind signals the demo submits, in turn. No order violation: the families picked
#: rarely hold a protective order, and a violation of an order that does not exist is not real.
DEMO_SIGNALS: Final[tuple[tuple[PoliceKind, tuple[Form, ...]], ...]] = (
    (PoliceKind.criminal_offense, (Form.physical,)),
    (PoliceKind.weapon_present, (Form.physical, Form.psychological)),
    (PoliceKind.criminal_offense, (Form.physical, Form.psychological)),
)
Say = Callable[[str], None]


class DemoError(RuntimeError):
    """A demo step failed; the message says which and how to retry."""


def patronage_command(*args: str, home: Path) -> None:
    """Run a `patronage` subcommand in a child process with `PATRONAGE_HOME=home`."""
    env = {**os.environ, "PATRONAGE_HOME": str(home), "PATRONAGE_DEMO": "1"}
    code = "from experiments.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, check=False)
    if result.returncode != 0:
        raise DemoError(f"`patronage {args[0]}` failed with exit code {result.returncode}")


def ensure_population(home: Path, *, families: int, say: Say) -> Path:
    """The simulator directory under `home`, simulated once."""
    data = home / DATA_DIR
    if (data / "config.json").is_file():
        config = json.loads((data / "config.json").read_text())
        say(f"reusing the simulated population in {data} ({config.get('families')} families)")
        return data
    say(f"simulating {families:,} families into {data}")
    patronage_command("simulate", "--families", str(families), "--out", str(data), home=home)
    return data


def ensure_imported(engine: Engine, data: Path, *, iin_key: bytes, say: Say) -> None:
    """Import the simulator tables; rows already stored are skipped."""
    say("importing the population into the database (new rows only)")
    result = import_directory(engine, data, iin_key=iin_key)
    added = sum(result.inserted.values())
    kept = sum(result.skipped.values())
    say(f"imported {added:,} rows, {kept:,} already present")


def latest_month(session: Session) -> str:
    """The month of the latest knowledge date of the imported records (its lists are generated).

    Records submitted by a user (the demo's own alerts among them) are dated today and would
    otherwise move a re-run's lists to the current month, far from the simulated history."""
    latest = max(
        (
            session.scalar(
                select(func.max(table.knowledge_date)).where(table.submitted_by.is_(None))
            )
            for table in (SchoolSurveyRow, MedicalScreeningRow, PoliceSignalRow)
        ),
        default=None,
        key=lambda d: d or dt.date.min,
    )
    if latest is None:
        raise DemoError("the database holds no records: import a population first")
    month: str = latest.strftime("%Y-%m")
    return month


def ensure_champion(settings: Settings, data: Path, *, until: dt.date, say: Say) -> Champion:
    """The registered champion; trains, audits and registers one when there is none."""
    models = TrackingModelSource(settings)
    champion = models.champion()
    if champion is not None:
        say(f"reusing the champion model, version {champion.version}")
        return champion
    say(f"training on records known before {until} (with fairness audit and promotion gate)")
    home = settings.resolved_home
    patronage_command("train", "--data", str(data), "--until", until.isoformat(), home=home)
    models.refresh()
    champion = models.champion()
    if champion is None:
        from experiments import tracking

        client = tracking.configure(settings)
        versions = client.search_model_versions(f"name = '{settings.model_name}'")
        if not versions:
            raise DemoError("training registered no model version")
        latest = max(int(v.version) for v in versions)
        say(f"version {latest} failed its gate; promoting it for the demo with a written reason")
        patronage_command(
            "promote", "--version", str(latest), "--by", "demo",
            "--reason", "Demo on synthetic data: promoted despite a failed gate so the pages "
            "can be explored; never do this with real data.",
            home=home,
        )  # fmt: skip
        models.refresh()
        champion = models.champion()
    if champion is None:
        raise DemoError("no champion model after training")
    say(f"champion model: version {champion.version}")
    return champion


def ensure_lists(
    engine: Engine, session: Session, champion: Champion, *, month: str, say: Say
) -> list[SnapshotResult]:
    say(f"generating the lists of {month} for every district")
    results = generate_lists(engine, session, champion, month=month)
    created = sum(r.created for r in results)
    say(f"{created} lists generated, {len(results) - created} already stored")
    return results


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    district: str | None


def largest_districts(session: Session, n: int = 2) -> list[str]:
    rows = session.execute(
        select(Family.district, func.count())
        .group_by(Family.district)
        .order_by(func.count().desc(), Family.district)
        .limit(n)
    ).all()
    return [district for district, _count in rows]


def ensure_demo_users(session: Session, home: Path, *, say: Say) -> Path:
    """Demo users with random passwords in `$PATRONAGE_HOME/demo-credentials.json` (0600).

    Reuses the file when every user in it exists; otherwise (re)sets the passwords."""
    path = home / CREDENTIALS_FILE
    if path.is_file():
        stored = json.loads(path.read_text())["users"]
        names = {u["username"] for u in stored}
        found = set(session.scalars(select(User.username).where(User.username.in_(names))))
        if found == names:
            say(f"reusing the demo users in {path}")
            return path
    wanted: list[tuple[str, UserRole, str | None, str | None]] = [
        ("admin", UserRole.admin, None, None),
        ("auditor", UserRole.auditor, None, None),
    ]
    for district in largest_districts(session):
        slug = district.lower().replace(" ", "-")
        for role in (UserRole.council, UserRole.school, UserRole.clinic, UserRole.police):
            institution = None if role is UserRole.council else f"{role.value}-{slug}-1"
            wanted.append((f"{role.value}.{slug}", role, district, institution))
    users = []
    for username, role, scope, institution in wanted:
        password = secrets.token_urlsafe(12)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role=role.value, password_hash="", active=True)
            session.add(user)
        user.role = role.value
        user.district = scope
        user.institution_id = institution
        user.password_hash = hash_password(password)
        users.append(DemoUser(username, password, role.value, scope))
    session.commit()
    write_private_json(path, {"users": [u.__dict__ for u in users]})
    say(f"demo users written to {path} (readable by you only)")
    return path


def person_iins(data: Path) -> dict[str, str]:
    """person_id -> IIN of the adults of the simulated population in `data` (never logged).

    The database keeps only keyed hashes, so the demo's police signals name their subject with
    the IIN from the simulator's tables, as a police user would type it."""
    persons = pl.read_parquet(data / "persons.parquet", columns=["person_id", "role", "iin"])
    adults = persons.filter(pl.col("role") == Role.adult.value)
    return dict(zip(adults["person_id"].to_list(), adults["iin"].to_list(), strict=True))


@dataclass(frozen=True)
class AlertsResult:
    created: int
    reused: int
    scored: int


def _police_user(session: Session, district: str) -> Principal | None:
    user = session.scalar(
        select(User)
        .where(User.role == UserRole.police.value, User.district == district, User.active)
        .order_by(User.id)
        .limit(1)
    )
    if user is None:
        return None
    return Principal.of(user)


def _mid_ranked(ranked: Sequence[str], n: int) -> list[int]:
    """Start positions of `n` picks spread evenly over the middle half of `ranked`."""
    low, high = len(ranked) // 4, 3 * len(ranked) // 4
    return [low + (2 * i + 1) * (high - low) // (2 * n) for i in range(n)]


def _subjects(
    session: Session, ranked: Sequence[str], iins: Mapping[str, str], n: int
) -> list[tuple[str, str]]:
    """(family_id, IIN of an adult) for `n` mid-ranked families, deterministically.

    Each pick starts at its position and moves down the ranking until a family has an adult
    with a known IIN (the man first: police signals name the alleged aggressor)."""
    picked: dict[str, str] = {}
    for start in _mid_ranked(ranked, n):
        for family_id in ranked[start:]:
            if family_id in picked:
                continue
            adults = session.execute(
                select(Person.person_id)
                .where(Person.family_id == family_id, Person.role == Role.adult.value)
                .order_by(Person.sex != "male", Person.person_id)
            ).scalars()
            iin = next((iins[p] for p in adults if p in iins), None)
            if iin is not None:
                picked[family_id] = iin
                break
    return list(picked.items())


def _alert_dates(as_of: dt.date, today: dt.date, n: int) -> list[dt.date]:
    """The last `n` days before today, never before the list's as-of date.

    In the list month when that is the current month; a demo whose simulated history ended
    months ago gets recent dates instead, because the alerts view shows only the last
    `ALERT_WINDOW_DAYS` before today."""
    return [max(as_of, today - dt.timedelta(days=1 + i)) for i in range(n)]


def _district_signals(
    session: Session, district: str, iins: Mapping[str, str], *, month: str, today: dt.date, n: int
) -> tuple[Principal, list[tuple[str, PoliceSignalCreate]]] | str:
    """The police user of `district` and (idempotency key, signal) to submit, or why none."""
    user = _police_user(session, district)
    snapshot = session.scalar(
        select(ListSnapshot).where(ListSnapshot.district == district, ListSnapshot.month == month)
    )
    if user is None or snapshot is None:
        return f"it has no {'police user' if user is None else f'list of {month}'}"
    if snapshot.as_of > today:
        return f"the list of {month} starts after today"
    ranked = session.scalars(
        select(SnapshotFamily.family_id)
        .where(SnapshotFamily.snapshot_id == snapshot.id, SnapshotFamily.list_rank.is_(None))
        .order_by(SnapshotFamily.score_rank)
    ).all()
    dates = _alert_dates(snapshot.as_of, today, n)
    signals = []
    for i, (family_id, iin) in enumerate(_subjects(session, ranked, iins, n)):
        kind, forms = DEMO_SIGNALS[i % len(DEMO_SIGNALS)]
        body = PoliceSignalCreate(
            subject_iin=iin, event_date=dates[i], kind=kind, forms=list(forms)
        )
        signals.append((f"demo-alert:{month}:{family_id}", body))
    return user, signals


def ensure_alerts(
    state: ServiceState,
    iins: Mapping[str, str],
    *,
    month: str,
    say: Say,
    per_district: int = ALERTS_PER_DISTRICT,
) -> AlertsResult:
    """A few alert-kind police signals about mid-ranked families of `month`'s lists.

    In each demo district (`largest_districts`) the district's police user submits
    `per_district` signals through `submit_record`, and each alert is re-scored by
    `rescore_alert`, as `POST /v1/records/police-signals` does: the council's alerts page is not
    empty on the first visit. The families are picked deterministically and every signal carries
    an idempotency key, so a re-run finds its signals and adds none (it only re-scores an alert
    left unscored)."""
    today = dt.datetime.now(dt.UTC).date()
    created = reused = 0
    to_score: list[int] = []
    with state.sessions() as session:
        for district in largest_districts(session):
            plan = _district_signals(
                session, district, iins, month=month, today=today, n=per_district
            )
            if isinstance(plan, str):
                say(f"no alerts for {district}: {plan}")
                continue
            user, signals = plan
            for key, body in signals:
                stored = session.get(IdempotencyKey, (user.id, key))
                if stored is not None:
                    reused += 1
                    alert = session.scalar(select(Alert).where(Alert.record_id == stored.record_id))
                    if alert is not None and alert.probability is None:
                        to_score.append(alert.id)
                    continue
                session.rollback()  # intake begins its own read transaction
                result = submit_record(
                    session, body, user=user, iin_key=state.secrets.iin_hash_key,
                    idempotency_key=key, today=today,
                )  # fmt: skip
                if result.alert_id is not None and not result.replayed:
                    created += 1
                    to_score.append(result.alert_id)
    for alert_id in to_score:  # after the commits, as the route's background task runs
        rescore_alert(state, alert_id)
    with state.sessions() as session:
        scored = session.scalar(
            select(func.count(Alert.id)).where(
                Alert.id.in_(to_score), Alert.probability.is_not(None)
            )
        )
    say(
        f"{created} alerts created ({reused} already stored, {scored or 0} re-scored now) from "
        f"police signals after the lists; the alerts pages show the last {ALERT_WINDOW_DAYS} days"
    )
    return AlertsResult(created=created, reused=reused, scored=scored or 0)
