"""Seeded test data for the service: a small registry, agency records, users of every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from features.iin import make_iin
from service.auth.roles import Principal, UserRole
from service.auth.security import create_access_token, hash_iin, hash_password
from service.storage.db import make_engine
from service.storage.migrate import upgrade
from service.storage.tables import (
    Family,
    MedicalScreeningRow,
    Person,
    PoliceSignalRow,
    SchoolSurveyRow,
    User,
)

DISTRICTS = ("Almaly", "Bostandyk")
#: The one region of the seeded registry (both districts are in it).
REGION = "Almaty"
#: Roles bound to no district: seeded once, as `<role>.all` (the regional user: of `REGION`).
NO_DISTRICT_ROLES = (UserRole.auditor, UserRole.admin, UserRole.regional, UserRole.ministry)
PASSWORD = "correct horse battery staple"
TODAY = dt.date(2025, 6, 15)


@dataclass
class Seeded:
    families: dict[str, list[str]] = field(default_factory=dict)  # district -> family ids
    iins: dict[str, str] = field(default_factory=dict)  # person_id -> IIN
    family_of: dict[str, str] = field(default_factory=dict)  # person_id -> family_id
    users: dict[tuple[UserRole, str | None], Principal] = field(default_factory=dict)
    with_order: dict[str, str] = field(default_factory=dict)  # district -> family with order


def _iin(rng: np.random.Generator, year: int) -> str:
    while True:
        born = dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        value = make_iin(born, male=bool(rng.random() < 0.5), serial=int(rng.integers(0, 10000)))
        if value is not None:
            return value


def seed_registry(
    session: Session, *, iin_key: bytes, families_per_district: int = 40, seed: int = 0
) -> Seeded:
    """Families with an adult and a child each, and a few records per family (committed)."""
    rng = np.random.default_rng(seed)
    out = Seeded()
    used: set[str] = set()
    n_record = 0
    for d_index, district in enumerate(DISTRICTS):
        ids = []
        for i in range(families_per_district):
            fid = f"F{d_index}{i:04d}"
            ids.append(fid)
            session.add(
                Family(
                    family_id=fid, region=REGION, district=district, urban=True,
                    n_children=1, ethnicity="kazakh", language="kk", income_group="middle",
                    disability_in_household=False, single_parent=bool(i % 3 == 0),
                )
            )  # fmt: skip
            for role, year in (("adult", 1985), ("child", 2012)):
                pid = f"P{fid}{role[0]}"
                iin = _iin(rng, year)
                while iin in used:
                    iin = _iin(rng, year)
                used.add(iin)
                out.iins[pid] = iin
                out.family_of[pid] = fid
                session.add(
                    Person(
                        person_id=pid, family_id=fid, role=role, sex="f", birth_year=year,
                        full_name=f"Name {fid} {role}", iin_hash=hash_iin(iin, key=iin_key),
                    )
                )  # fmt: skip
            session.flush()
            risk = rng.random()
            for _ in range(int(rng.poisson(4 * risk))):
                n_record += 1
                day = TODAY - dt.timedelta(days=int(rng.integers(20, 400)))
                session.add(
                    PoliceSignalRow(
                        record_id=f"ps-seed-{n_record}", family_id=fid, person_id=f"P{fid}a",
                        institution_id="police-1", event_date=day,
                        knowledge_date=day + dt.timedelta(days=2), kind="domestic_call", forms="",
                    )
                )  # fmt: skip
            for _ in range(int(rng.integers(0, 3))):
                n_record += 1
                day = TODAY - dt.timedelta(days=int(rng.integers(20, 400)))
                session.add(
                    SchoolSurveyRow(
                        record_id=f"ss-seed-{n_record}", family_id=fid, person_id=f"P{fid}c",
                        institution_id="school-1", event_date=day, knowledge_date=day,
                        feels_safe=int(5 - 3 * risk), afraid_of_adult=bool(risk > 0.7),
                        seen_violence=bool(risk > 0.6), hurt_by_adult=False,
                        hunger_neglect=False, wants_counsellor=bool(risk > 0.8),
                        unexplained_injury=False, behaviour_change=bool(risk > 0.5),
                        days_absent=int(10 * risk),
                    )
                )  # fmt: skip
            if rng.random() < 0.5:
                n_record += 1
                day = TODAY - dt.timedelta(days=int(rng.integers(20, 300)))
                hits = 1 + int(4 * risk)
                session.add(
                    MedicalScreeningRow(
                        record_id=f"ms-seed-{n_record}", family_id=fid, person_id=f"P{fid}a",
                        institution_id="clinic-1", event_date=day, knowledge_date=day,
                        hits_hurt=hits, hits_insult=hits, hits_threaten=hits, hits_scream=hits,
                        wast_tension="a_lot" if risk > 0.7 else "none", wast_arguments="some",
                        injury_inconsistent=False, pregnant=False, phq2=int(6 * risk),
                        alcohol_concern=bool(risk > 0.8), forms="physical" if risk > 0.8 else "",
                    )
                )  # fmt: skip
        # One low-risk family per district holds a protective order in force on TODAY.
        fid = ids[-1]
        out.with_order[district] = fid
        session.add(
            PoliceSignalRow(
                record_id=f"ps-order-{district}", family_id=fid, person_id=f"P{fid}a",
                institution_id="police-1", event_date=TODAY - dt.timedelta(days=20),
                knowledge_date=TODAY - dt.timedelta(days=20), kind="protective_order",
                forms="physical", valid_until=TODAY + dt.timedelta(days=20),
            )
        )  # fmt: skip
        out.families[district] = ids
    session.commit()
    out.users = seed_users(session)
    return out


def seed_home(home: Path, *, iin_key: bytes, families_per_district: int = 10) -> Seeded:
    """A migrated SQLite database `home/patronage.db` holding a seeded registry, for tests that
    run the server in its own process."""
    engine = make_engine(f"sqlite:///{home / 'patronage.db'}")
    upgrade(engine)
    with Session(engine) as session:
        seeded = seed_registry(
            session, iin_key=iin_key, families_per_district=families_per_district
        )
    engine.dispose()
    return seeded


def seed_users(session: Session) -> dict[tuple[UserRole, str | None], Principal]:
    """One user per role and district (auditor, admin, regional and ministry have no
    district; the regional user reads `REGION`)."""
    password_hash = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
    users: dict[tuple[UserRole, str | None], Principal] = {}
    for role in UserRole:
        districts: tuple[str | None, ...] = (None,) if role in NO_DISTRICT_ROLES else DISTRICTS
        region = REGION if role is UserRole.regional else None
        for district in districts:
            name = f"{role.value}.{(district or 'all').lower()}"
            institution = f"{role.value}-{district}" if district else None
            user = User(
                username=name, password_hash=password_hash, role=role.value,
                district=district, institution_id=institution, region=region, active=True,
            )  # fmt: skip
            session.add(user)
            session.flush()
            users[(role, district)] = Principal(
                id=user.id, username=name, role=role, district=district,
                institution_id=institution, region=region,
            )  # fmt: skip
    session.commit()
    return users


def token_for(user: Principal, key: str, *, minutes: int = 60, version: int = 0) -> str:
    """A token of `user` at token version `version` (0 until a reset, disable or logout)."""
    token, _ = create_access_token(
        user_id=user.id,
        username=user.username,
        role=user.role.value,
        key=key,
        minutes=minutes,
        version=version,
    )
    return token


def auth(user: Principal, key: str, *, version: int = 0) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user, key, version=version)}"}
