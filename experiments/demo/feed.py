"""How the demo feeds the service: as the agencies and the admin of a starting district would.

The simulator only plays the world. What it recorded goes in through the product's own doors:
- the register extract (families, persons) and the years of history before the last
  `FEED_MONTHS` months: the admin's historical uploads through the bulk path
  (`service.records.importer.import_events`, which is `POST /v1/imports` without HTTP); they
  keep their knowledge dates and are marked historical;
- the last `FEED_MONTHS` months: live submissions, one record at a time through
  `service.records.intake.submit_record` as each agency would send them (police signals, school
  surveys, screenings, hospital injuries, children taken into care), each with its record id as
  the Idempotency-Key, so a re-run stores nothing twice.

A live record is known when the service stores it. The demo replays those months: each record
is stored with the service's clock at the day the simulated agency recorded it (`today=` of
`submit_record`), because the simulated world lies in the past. Nothing later reads the
simulator's files for the product's data (the demo's alerts look up IINs as a police user
would type them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from features.contracts import Events, OutcomeKind, Placement, Role
from features.loaders import load_events
from features.months import months_after
from service.auth.roles import Principal, UserRole
from service.records.importer import import_events
from service.records.intake import submit_record
from service.records.kinds import RECORD_SOURCES, RECORD_TYPES
from service.records.schemas import GuardianshipCareCreate, HospitalInjuryCreate, RecordCreate
from service.storage.db import make_sessionmaker
from service.storage.tables import User

#: The recent months the agencies submit live (the rest is the district's history).
FEED_MONTHS: Final = 2
#: Usernames of the agencies' feeds (inactive users: nobody logs in as them).
FEED_USERS: Final[dict[UserRole, str]] = {
    UserRole.school: "feed.school",
    UserRole.clinic: "feed.clinic",
    UserRole.police: "feed.police",
    UserRole.guardianship: "feed.guardianship",
}
_RECORDS: Final = ("school_surveys", "medical_screenings", "police_signals")
Say = Callable[[str], None]


@dataclass(frozen=True)
class FeedResult:
    historical: int  # rows stored by the historical uploads
    already: int  # rows an earlier run stored
    live: int  # records submitted live
    replayed: int  # live records an earlier run submitted


def cut_date(data: Path) -> dt.date:
    """The first day of the live months: `FEED_MONTHS` before the simulated period's end."""
    config = json.loads((data / "config.json").read_text())
    start = dt.date.fromisoformat(str(config["start"]))
    return months_after(start, int(config["months"]) - FEED_MONTHS)


def _split(events: Events, cut: dt.date) -> tuple[Events, Events]:
    known_before = pl.col("knowledge_date") < cut
    history = {t: getattr(events, t).filter(known_before) for t in (*_RECORDS, "outcomes")}
    recent = {t: getattr(events, t).filter(~known_before) for t in (*_RECORDS, "outcomes")}
    return (
        Events(families=events.families, persons=events.persons, **history),
        Events(families=events.families.clear(), persons=events.persons, **recent),
    )


def _feed_user(session: Session, role: UserRole) -> Principal:
    name = FEED_USERS[role]
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        user = User(
            username=name, password_hash="!", role=role.value, active=False,
            institution_id=f"demo-{role.value}-feed",
        )  # fmt: skip
        session.add(user)
        session.commit()
    return Principal.of(user)


def _bodies(recent: Events) -> list[tuple[dt.date, str, UserRole, RecordCreate]]:
    """(knowledge date, record id, submitting role, body) of every recent record, by day."""
    persons = recent.persons
    iin = dict(zip(persons["person_id"].to_list(), persons["iin"].to_list(), strict=True))
    first: dict[tuple[str, str], str] = {}  # (family, role) -> first person
    for pid, fid, role in persons.select("person_id", "family_id", "role").iter_rows():
        first.setdefault((fid, role), pid)
    out: list[tuple[dt.date, str, UserRole, RecordCreate]] = []
    sources = {record_type: source for record_type, source, _row in RECORD_SOURCES}
    for table in _RECORDS:
        record_type = table.removesuffix("s")
        schema: type[Any] = RECORD_TYPES[record_type][0]
        role = UserRole(sources[record_type])
        for row in getattr(recent, table).iter_rows(named=True):
            content = {k: v for k, v in row.items() if k in schema.model_fields}
            if table == "police_signals" and content.get("valid_until") is None:
                content.pop("valid_until", None)
            body = schema(subject_iin=iin[row["person_id"]], **content)
            out.append((row["knowledge_date"], row["record_id"], role, body))
    for row in recent.outcomes.iter_rows(named=True):
        kind, family = row["kind"], row["family_id"]
        when = {"event_date": row["event_date"]}
        if kind == OutcomeKind.hospital_injury:
            pid = first.get((family, Role.adult.value)) or first[(family, Role.child.value)]
            injury = HospitalInjuryCreate(subject_iin=iin[pid], admitted=True, forms=[], **when)
            out.append((row["knowledge_date"], row["record_id"], UserRole.clinic, injury))
        elif kind == OutcomeKind.guardianship_care:
            pid = first.get((family, Role.child.value)) or first[(family, Role.adult.value)]
            care = GuardianshipCareCreate(
                subject_iin=iin[pid], placement=Placement.relatives, temporary=True, **when
            )
            out.append((row["knowledge_date"], row["record_id"], UserRole.guardianship, care))
        # criminal offenses and violations: their police signals are the outcome
    out.sort(key=lambda item: (item[0], item[1]))
    return out


def feed(engine: Engine, data: Path, *, iin_key: bytes, say: Say) -> FeedResult:
    """The register and history as historical uploads, then the recent months live."""
    events = load_events(data)
    cut = cut_date(data)
    history, recent = _split(events, cut)
    say(f"uploading the register extract and the history known before {cut} (historical)")
    uploaded = import_events(engine, history, iin_key=iin_key)
    bodies = _bodies(recent)
    say(f"the agencies submit the {len(bodies):,} records of the last {FEED_MONTHS} months live")
    live = replayed = 0
    with make_sessionmaker(engine)() as session:
        users = {role: _feed_user(session, role) for role in FEED_USERS}
        session.rollback()  # end the look-up: each submission runs its own transactions
        for i, (known, record_id, role, body) in enumerate(bodies, start=1):
            result = submit_record(
                session, body, user=users[role], iin_key=iin_key, idempotency_key=record_id,
                today=known,
            )  # fmt: skip
            replayed += result.replayed
            live += not result.replayed
            if i % 2000 == 0:
                say(f"  {i:,} of {len(bodies):,} submitted")
    return FeedResult(
        historical=sum(uploaded.inserted.values()),
        already=sum(uploaded.skipped.values()),
        live=live,
        replayed=replayed,
    )
