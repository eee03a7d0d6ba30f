"""`patronage demo`: everything a first look needs, reusing whatever already exists.

Steps: simulate (default 20,000 families) -> import -> train, audit and register (the training
pipeline runs the fairness audit and the promotion gate) -> generate the lists of the latest month
for every district -> create the demo users -> submit a few alert-kind police signals after the
lists (`experiments.demo_alerts`) -> serve. Each step checks what exists first. Model training and
simulation run through the same `patronage` commands a user would type.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from experiments.model_source import TrackingModelSource
from service.importer import import_directory
from service.lists import SnapshotResult, generate_lists
from service.model_source import Champion
from service.roles import UserRole
from service.security import hash_password, write_private_json
from service.settings import Settings
from service.tables import (
    Family,
    MedicalScreeningRow,
    PoliceSignalRow,
    SchoolSurveyRow,
    User,
)

DEFAULT_FAMILIES: Final = 20_000
CREDENTIALS_FILE: Final = "demo-credentials.json"
DATA_DIR: Final = "data"
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
