"""Monthly council lists: score every family as of the 1st of the month, explain, snapshot.

`compute_lists` is a pure function of the events, the champion and the previous month's ranks;
`generate_lists` wraps it with the database (load, skip existing snapshots, store). A snapshot
keeps every family's probability, band, raw score, feature values and contributions, so a past
month's list and explanations are reproduced exactly from storage without re-scoring.
Before the first champion model the lists are ranked by the transparent checklist instead
(`service.lists.rankers`); the snapshot's `ranker` says which ranked it.

Always listed, whatever the score (guardrail 5): families with a protective order or court
requirements in force on the as-of date, a protective-order violation in the last
`VIOLATION_DAYS`, an alert-kind signal in the last `ALERT_DAYS` (most re-offending happens
within three months), or an alert between meetings: an alert-kind signal the previous month's
list did not know yet (recorded on or after its as-of date, before this list's).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import polars as pl
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from features.contracts import ALERT_KINDS, PROTECTION_KINDS, Events, PoliceKind
from features.fingerprint import update_digest
from features.months import format_month, months_before, parse_month
from features.pipeline import build_features
from service.cases.holds import ActiveHold, HoldEnd, HoldKind, end_holds, holds_for_month
from service.errors import FieldError, NotFoundError
from service.lists.rankers import Ranker, rank_by_checklist, rank_by_model
from service.lists.schemas import SnapshotRead
from service.model_source import Champion
from service.state import ServiceState
from service.storage.db import read_connection
from service.storage.events import load_events
from service.storage.tables import DistrictSetting, ListSnapshot, SnapshotFamily
from service.storage.transaction import transaction

#: How a month's features are built: `build_features`, or a Dask cluster's `Cluster.features`.
FeatureBuilder = Callable[..., pl.DataFrame]

DEFAULT_CAPACITY: Final = 0.05
VIOLATION_DAYS: Final = 182
ALERT_DAYS: Final = 92


def pack(vector: np.ndarray) -> bytes:
    """float64 vector -> compressed bytes (exact; feature values are mostly small and repeat)."""
    return zlib.compress(np.ascontiguousarray(vector, dtype=np.float64).tobytes(), 1)


def unpack(blob: bytes) -> np.ndarray:
    """The exact float64 vector `pack` stored (or raw float64 bytes, as the first snapshots
    of the development databases were written)."""
    try:
        return np.frombuffer(zlib.decompress(blob), dtype=np.float64)
    except zlib.error:
        return np.frombuffer(blob, dtype=np.float64)


def month_start(month: str) -> dt.date:
    """The first day of `YYYY-MM` (`FieldError` naming `month` otherwise)."""
    try:
        return parse_month(month)
    except ValueError:
        raise FieldError(("month",), "month: expected YYYY-MM, got another text") from None


def previous_month(month: str) -> str:
    return format_month(months_before(month_start(month), 1))


@dataclass(frozen=True)
class DistrictList:
    """One district's snapshot, ready to store."""

    district: str
    month: str
    as_of: dt.date
    model_version: str
    ranker: Ranker
    data_fingerprint: str
    capacity: float
    k: int
    base_value: float
    feature_names: list[str]
    families: list[dict[str, Any]] = field(repr=False)  # rows of `snapshot_families`
    #: The attribute the model recalibrated within (issue 18); None: none.
    recalibrated_within: str | None = None
    #: Families whose lowered priority a new signal broke (issue 12: the hold ends).
    holds_broken: list[str] = field(default_factory=list)


#: Bumped whenever the byte layout of `fingerprint` changes. Snapshots stored before the tag
#: existed hold one over polars `hash_rows`, which a later polars version need not reproduce.
LIST_FINGERPRINT_FORMAT: Final = b"patronage-list-fingerprint/v1\n"


def fingerprint(features: pl.DataFrame, *, as_of: dt.date) -> str:
    """The data fingerprint of a month's lists: 64 hex digits of a SHA-256 over
    `LIST_FINGERPRINT_FORMAT`, the as-of date (ISO, 10 ASCII bytes) and the point-in-time
    features in the canonical byte form of `features.fingerprint.update_digest`.

    The same as-of date and feature values give the same fingerprint whatever the row or column
    order and the polars version, so an auditor can re-generate a past month after an upgrade.
    """
    digest = hashlib.sha256(LIST_FINGERPRINT_FORMAT)
    digest.update(as_of.isoformat().encode("ascii"))
    update_digest(digest, features, name="features")
    return digest.hexdigest()


def signals_as_of(events: Events, *, as_of: dt.date) -> dict[str, dict[str, list[Any]]]:
    """Per family: open orders, recent violations and recent alerts known before `as_of`, and
    the alerts between meetings (`alerts_since_previous`: event dates of alert-kind signals
    recorded on or after the previous month's as-of date, so unknown to its list)."""
    police = events.police_signals.filter(pl.col("knowledge_date") < as_of)
    since_previous = police.filter(
        pl.col("kind").is_in([k.value for k in ALERT_KINDS]),
        pl.col("knowledge_date") >= months_before(as_of, 1),
    ).sort("event_date", "record_id")
    orders = police.filter(
        pl.col("kind").is_in([k.value for k in PROTECTION_KINDS]),
        pl.col("valid_until") >= as_of,
    ).sort("valid_until", "record_id")
    violations = police.filter(
        pl.col("kind") == PoliceKind.order_violation.value,
        pl.col("event_date") >= as_of - dt.timedelta(days=VIOLATION_DAYS),
    ).sort("event_date", "record_id")
    alerts = police.filter(
        pl.col("kind").is_in([k.value for k in ALERT_KINDS]),
        pl.col("event_date") >= as_of - dt.timedelta(days=ALERT_DAYS),
    ).sort("event_date", "record_id")
    out: dict[str, dict[str, list[Any]]] = {}

    def slot(family_id: str) -> dict[str, list[Any]]:
        return out.setdefault(
            family_id,
            {"open_orders": [], "violations": [], "alerts": [], "alerts_since_previous": []},
        )

    for row in orders.iter_rows(named=True):
        slot(row["family_id"])["open_orders"].append(
            {"record_id": row["record_id"], "kind": row["kind"],
             "valid_until": row["valid_until"].isoformat()}
        )  # fmt: skip
    for row in violations.iter_rows(named=True):
        slot(row["family_id"])["violations"].append(row["event_date"].isoformat())
    for row in alerts.iter_rows(named=True):
        slot(row["family_id"])["alerts"].append(row["event_date"].isoformat())
    for row in since_previous.iter_rows(named=True):
        slot(row["family_id"])["alerts_since_previous"].append(row["event_date"].isoformat())
    return out


#: Signals that break a lowered priority when known on or after the hold's first day.
_HOLD_BREAKERS: Final = frozenset(
    {k.value for k in ALERT_KINDS}
    | {k.value for k in PROTECTION_KINDS}
    | {PoliceKind.order_violation.value}
)


def broken_holds(events: Events, holds: Mapping[str, ActiveHold], *, as_of: dt.date) -> set[str]:
    """Families whose lowered hold a new alert, violation or protective order breaks: one
    known on or after the hold began and before `as_of`."""
    lowered = {fid: h.began_on for fid, h in holds.items() if h.kind is HoldKind.lowered}
    if not lowered:
        return set()
    police = events.police_signals.filter(
        pl.col("family_id").is_in(list(lowered)),
        pl.col("kind").is_in(list(_HOLD_BREAKERS)),
        pl.col("knowledge_date") < as_of,
    )
    return {
        row["family_id"]
        for row in police.select("family_id", "knowledge_date").iter_rows(named=True)
        if row["knowledge_date"] >= lowered[row["family_id"]]
    }


def compute_lists(
    events: Events,
    champion: Champion | None,
    *,
    month: str,
    capacities: dict[str, float] | None = None,
    previous: dict[str, dict[str, tuple[int | None, int]]] | None = None,
    districts: Sequence[str] | None = None,
    holds: Mapping[str, ActiveHold] | None = None,
    build: FeatureBuilder = build_features,
) -> list[DistrictList]:
    """Score and explain every family as of the 1st of `month`; one list per district.

    Ranked by `champion`, or, with none, by the transparent checklist (`service.lists.rankers`).
    `previous[district][family_id] = (list_rank, score_rank)` of last month gives the change
    (new, up, down, same). Deterministic: the same events, model, holds and month give the same
    lists.

    `holds` (issue 12, `service.cases.holds.holds_for_month`): a `watch` family is listed
    whatever its score; a `lowered` one is kept off the top k (the next family takes its place)
    and listed only for an open order or a recent violation (guardrail 5), unless a new alert,
    violation or order known on or after the hold began broke the hold (`holds_broken`: it is
    then ranked as any other family). Each row's `hold` says which hold the list honoured.

    `build`: how the features are built (`build_features`, or a Dask cluster's
    `Cluster.features`: the same rows, built per partition of districts).
    """
    as_of = month_start(month)
    capacities = capacities or {}
    previous = previous or {}
    features = build(events, as_of=as_of)
    scores = (
        rank_by_checklist(features)
        if champion is None
        else rank_by_model(features, champion, families=events.families)
    )
    primary, secondary = scores.order
    data_fp = fingerprint(features, as_of=as_of)
    signals = signals_as_of(events, as_of=as_of)
    holds = holds or {}
    broken = broken_holds(events, holds, as_of=as_of)
    district_of = dict(
        zip(
            events.families["family_id"].to_list(),
            events.families["district"].to_list(),
            strict=True,
        )
    )
    wanted = set(districts) if districts is not None else set(district_of.values())
    by_district: dict[str, list[int]] = {}
    for i, fid in enumerate(scores.family_id):
        district = district_of[fid]
        if district in wanted:
            by_district.setdefault(district, []).append(i)
    values = scores.values
    contributions = scores.contributions
    shift = scores.group_shift
    out = []
    for district in sorted(by_district):
        rows = sorted(
            by_district[district], key=lambda i: (-primary[i], -secondary[i], scores.family_id[i])
        )
        capacity = capacities.get(district, DEFAULT_CAPACITY)
        k = max(1, math.ceil(capacity * len(rows)))
        prev = previous.get(district, {})
        families: list[dict[str, Any]] = []
        list_rank = 0
        open_rank = 0  # rank among the families not held lowered: the top k are taken from them
        for score_rank, i in enumerate(rows, start=1):
            fid = scores.family_id[i]
            sig = signals.get(fid)
            hold = holds.get(fid)
            if hold is not None and fid in broken:
                hold = None
            if hold is None or hold.kind is HoldKind.watch:
                open_rank += 1
                listed = open_rank <= k or sig is not None or hold is not None
            else:  # lowered: an open order or a recent violation keeps it visible
                listed = sig is not None and bool(sig["open_orders"] or sig["violations"])
            change = None
            if listed:
                list_rank += 1
                prev_list_rank, prev_score_rank = prev.get(fid, (None, 0))
                if prev_list_rank is None:
                    change = "new"
                elif score_rank < prev_score_rank:
                    change = "up"
                elif score_rank > prev_score_rank:
                    change = "down"
                else:
                    change = "same"
            families.append(
                {
                    "family_id": fid,
                    "score_rank": score_rank,
                    "list_rank": list_rank if listed else None,
                    "probability": scores.probability[i],
                    "raw_score": float(scores.raw_score[i]),
                    "band": scores.band[i],
                    "change": change,
                    "values": pack(values[i]),
                    "contributions": pack(contributions[i]),
                    "signals": json.dumps(sig, sort_keys=True) if sig else None,
                    "hold": hold.kind.value if hold is not None else None,
                    "group_shift": None if shift is None else float(shift[i]),
                }
            )
        out.append(
            DistrictList(
                district=district,
                month=month,
                as_of=as_of,
                model_version=scores.version,
                ranker=scores.ranker,
                data_fingerprint=data_fp,
                capacity=capacity,
                k=k,
                base_value=scores.base_value,
                feature_names=scores.feature_names,
                families=families,
                holds_broken=sorted(broken & {scores.family_id[i] for i in rows}),
                recalibrated_within=scores.recalibrated_within,
            )
        )
    return out


#: What identifies a stored snapshot, as both `SnapshotRead` and `ListRead` show it.
_SNAPSHOT_FIELDS = (
    "district",
    "month",
    "model_version",
    "ranker",
    "data_fingerprint",
    "n_families",
    "k",
)


def snapshot_fields(snapshot: ListSnapshot) -> dict[str, Any]:
    """The snapshot's district, month, model, data fingerprint, size and capacity by name."""
    return {name: getattr(snapshot, name) for name in _SNAPSHOT_FIELDS}


def _result(snapshot: ListSnapshot, *, created: bool) -> SnapshotRead:
    return SnapshotRead(**snapshot_fields(snapshot), created=created)


def _previous_ranks(session: Session, month: str) -> dict[str, dict[str, tuple[int | None, int]]]:
    rows = session.execute(
        select(
            ListSnapshot.district,
            SnapshotFamily.family_id,
            SnapshotFamily.list_rank,
            SnapshotFamily.score_rank,
        )
        .join(SnapshotFamily, SnapshotFamily.snapshot_id == ListSnapshot.id)
        .where(ListSnapshot.month == previous_month(month))
    ).all()
    out: dict[str, dict[str, tuple[int | None, int]]] = {}
    for district, fid, list_rank, score_rank in rows:
        out.setdefault(district, {})[fid] = (list_rank, score_rank)
    return out


def generate_lists(
    engine: Engine,
    session: Session,
    champion: Champion | None,
    *,
    month: str,
    districts: Sequence[str] | None = None,
    build: FeatureBuilder = build_features,
) -> list[SnapshotRead]:
    """Build and store the lists of `month` for `districts` (None: every district), ranked by
    `champion`, or by the interim checklist when there is none (`service.lists.rankers`).
    `build`: see `compute_lists`.

    Snapshots are immutable: a district whose list for `month` exists is left as it is and
    reported with `created=False`.
    """
    month_start(month)
    session.rollback()  # hold no write lock (the caller's auth query) while loading and scoring
    with read_connection(engine) as conn:
        events = load_events(conn)
    known = set(events.families["district"].unique().to_list())
    if districts is not None:
        unknown = [i for i, name in enumerate(districts) if name not in known]
        if unknown:  # positions, not the names: an answer never repeats what came
            raise NotFoundError(f"districts: no families in the districts at positions {unknown}")
    wanted = sorted(known if districts is None else set(districts))
    existing = {
        s.district: s
        for s in session.scalars(select(ListSnapshot).where(ListSnapshot.month == month))
    }
    todo = [d for d in wanted if d not in existing]
    results = [_result(existing[d], created=False) for d in wanted if d in existing]
    session.rollback()  # release the read so the long computation holds no lock
    if todo:
        capacities = {s.district: s.capacity for s in session.scalars(select(DistrictSetting))}
        previous = _previous_ranks(session, month)
        holds = holds_for_month(session, month, districts=todo)
        session.rollback()
        computed = compute_lists(
            events, champion, month=month, capacities=capacities, previous=previous,
            districts=todo, holds=holds, build=build,
        )  # fmt: skip
        with transaction(session):
            for district_list in computed:
                results.append(_store(session, district_list))
                end_holds(
                    session, district_list.holds_broken, reason=HoldEnd.new_signal,
                    today=district_list.as_of,
                )  # fmt: skip
    return sorted(results, key=lambda r: r.district)


def generate_with_champion(
    state: ServiceState,
    session: Session,
    *,
    month: str,
    districts: Sequence[str] | None = None,
) -> list[SnapshotRead]:
    """`generate_lists` with the service's champion model; before the first champion, the
    interim lists ranked by the checklist (their `ranker` says so)."""
    champion = state.models.champion()
    return generate_lists(state.engine, session, champion, month=month, districts=districts)


#: The fields of a `DistrictList` its `ListSnapshot` stores unchanged.
_STORED_AS_THEY_ARE: Final = (
    "district", "month", "as_of", "model_version", "ranker", "data_fingerprint", "capacity", "k",
    "base_value", "recalibrated_within",
)  # fmt: skip


def _store(session: Session, lst: DistrictList) -> SnapshotRead:
    snapshot = ListSnapshot(
        **{name: getattr(lst, name) for name in _STORED_AS_THEY_ARE},
        n_families=len(lst.families),
        feature_names=json.dumps(lst.feature_names),
    )
    session.add(snapshot)
    session.flush()
    session.execute(
        insert(SnapshotFamily), [{"snapshot_id": snapshot.id, **row} for row in lst.families]
    )
    return _result(snapshot, created=True)
