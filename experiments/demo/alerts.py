"""The demo's alerts: a few alert-kind police signals submitted after the lists.

So that a council member opening the alerts page on day one sees what it is for, the demo's police
users submit a few signals about mid-ranked families through the same intake and re-scoring
functions as `POST /v1/records/police-signals`. Deterministic and idempotent: a re-run adds none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from experiments.demo.steps import DemoError, Say
from experiments.demo.users import largest_districts
from features.contracts import Form, PoliceKind, Role
from service.auth.roles import Principal, UserRole
from service.errors import ServiceError
from service.lists.alerts import rescore_alert
from service.records.intake import submit_record
from service.records.schemas import PoliceSignalCreate
from service.state import ServiceState
from service.storage.tables import Alert, IdempotencyKey, ListSnapshot, Person, SnapshotFamily, User

ALERTS_PER_DISTRICT: Final = 3
#: The alert-kind signals the demo submits, in turn. No order violation: the families picked
#: rarely hold a protective order, and a violation of an order that does not exist is not real.
DEMO_SIGNALS: Final[tuple[tuple[PoliceKind, tuple[Form, ...]], ...]] = (
    (PoliceKind.criminal_offense, (Form.physical,)),
    (PoliceKind.weapon_present, (Form.physical, Form.psychological)),
    (PoliceKind.criminal_offense, (Form.physical, Form.psychological)),
)


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
    months ago gets recent dates instead (the signals are recorded today either way, so the
    alerts view, which shows every alert recorded since the latest list, lists them)."""
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
                try:
                    result = submit_record(
                        session, body, user=user, iin_key=state.secrets.iin_hash_key,
                        idempotency_key=key, today=today,
                    )  # fmt: skip
                except ServiceError as exc:
                    raise DemoError(
                        f"alerts: the police signal for {district} was refused ({exc.detail}); "
                        "re-run `make demo` to retry"
                    ) from None
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
        "police signals after the lists; the alerts pages show every alert recorded since the "
        "latest list"
    )
    return AlertsResult(created=created, reused=reused, scored=scored or 0)
