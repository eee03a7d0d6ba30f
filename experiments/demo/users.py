"""The demo's users: an admin, an auditor, the council and the four agencies (school,
clinic, police, guardianship authority) of the two largest districts, a regional coordinator
(the region of the largest district) and the ministry, with random passwords in a file only
the user can read."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from experiments.demo.steps import Say
from service.auth.roles import UserRole
from service.auth.security import hash_password, write_private_json
from service.storage.tables import Family, User

CREDENTIALS_FILE: Final = "demo-credentials.json"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    district: str | None
    region: str | None = None


def largest_districts(session: Session, n: int = 2) -> list[str]:
    rows = session.execute(
        select(Family.district, func.count())
        .group_by(Family.district)
        .order_by(func.count().desc(), Family.district)
        .limit(n)
    ).all()
    return [district for district, _count in rows]


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def ensure_demo_users(session: Session, home: Path, *, say: Say) -> Path:
    """Demo users with random passwords in `$PATRONAGE_HOME/demo-credentials.json` (0600).

    Reuses the file when every user in it exists (and it has the statistics roles); otherwise
    (re)sets the passwords."""
    path = home / CREDENTIALS_FILE
    if path.is_file():
        stored = json.loads(path.read_text())["users"]
        names = {u["username"] for u in stored}
        found = set(session.scalars(select(User.username).where(User.username.in_(names))))
        # A file written before the statistics roles existed has no ministry user: redo it.
        if found == names and "ministry" in names:
            say(f"reusing the demo users in {path}")
            return path
    wanted: list[tuple[str, UserRole, str | None, str | None]] = [
        ("admin", UserRole.admin, None, None),
        ("auditor", UserRole.auditor, None, None),
        ("ministry", UserRole.ministry, None, None),
    ]
    districts = largest_districts(session)
    region = (
        session.scalar(select(Family.region).where(Family.district == districts[0]).limit(1))
        if districts
        else None
    )
    if region is not None:
        wanted.append((f"regional.{_slug(region)}", UserRole.regional, None, None))
    for district in districts:
        slug = _slug(district)
        for role in (
            UserRole.council, UserRole.school, UserRole.clinic, UserRole.police,
            UserRole.guardianship,
        ):  # fmt: skip
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
        user.region = region if role is UserRole.regional else None
        user.password_hash = hash_password(password)
        users.append(DemoUser(username, password, role.value, scope, user.region))
    session.commit()
    write_private_json(path, {"users": [u.__dict__ for u in users]})
    say(f"demo users written to {path} (readable by you only)")
    return path
