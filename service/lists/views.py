"""Reading stored snapshots: a district's list and one family's explanation for a month.

Everything comes from the snapshot (scores, feature values, contributions), so a past month reads
exactly as it was generated; only the reason texts are rendered at read time, from the stored
values, in the language asked for. Days to expiry count from the snapshot's as-of date.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from typing import Final, Literal, cast

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.i18n import Lang, negotiate, parse_lang
from model.reasons import as_value, listed, render
from service.audit import access_log
from service.auth.access import district_scope, may_see_names
from service.auth.roles import Principal
from service.errors import NotFoundError
from service.families.orders import order_read
from service.families.scope import family_in_scope
from service.lists.generate import previous_month, snapshot_fields, unpack
from service.lists.rankers import Ranker
from service.lists.schemas import (
    ContributionRead,
    ExplanationRead,
    ListEntryRead,
    ListRead,
    ReasonRead,
)
from service.storage.tables import Family, ListSnapshot, Person, SnapshotFamily

#: The API answers in English when asked for none of its languages (the pages in Kazakh).
DEFAULT_LANG: Final[Lang] = "en"
TOP_REASONS: Final = 5


@functools.lru_cache(maxsize=200_000)
def _text(feature: str, value: float | None, lang: Lang) -> str:
    """Reason texts repeat (counts, flags, days): render each (feature, value, language) once."""
    return render(feature, value, lang=lang)


def pick_lang(query: str | None, accept_language: str | None) -> Lang:
    """`?lang=` if given, else the first supported language of `Accept-Language`, else English."""
    return parse_lang(query) or negotiate(accept_language, default=DEFAULT_LANG)


def list_months(session: Session, district: str) -> list[str]:
    """Months that have a stored list for `district`, newest first."""
    return list(
        session.scalars(
            select(ListSnapshot.month)
            .where(ListSnapshot.district == district)
            .order_by(ListSnapshot.month.desc())
        )
    )


def known_district(session: Session, district: str) -> None:
    """Raise `NotFoundError` (404) unless the registry has families in `district`."""
    if session.query(Family.family_id).filter(Family.district == district).first() is None:
        raise NotFoundError("district: no such district")


def get_snapshot(session: Session, district: str, month: str) -> ListSnapshot:
    snapshot = session.scalar(
        select(ListSnapshot).where(ListSnapshot.district == district, ListSnapshot.month == month)
    )
    if snapshot is None:
        raise NotFoundError("month: the district has no list for that month")
    return snapshot


def _merge_items(
    names: list[str], values: np.ndarray, contributions: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One column per feature: two checklist items that read one feature (one police call, two
    or more) give one reason whose contribution is the number of items answered yes."""
    unique = list(dict.fromkeys(names))
    if len(unique) == len(names):
        return names, values, contributions
    index = {name: i for i, name in enumerate(unique)}
    merged_values = np.full(len(unique), np.nan)
    merged = np.zeros(len(unique))
    for j, name in enumerate(names):
        merged_values[index[name]] = values[j]
        merged[index[name]] += contributions[j]
    return unique, merged_values, merged


def _reasons(
    names: list[str],
    values: np.ndarray,
    contributions: np.ndarray,
    *,
    lang: Lang,
    top: int = TOP_REASONS,
) -> list[ReasonRead]:
    names, values, contributions = _merge_items(names, values, contributions)
    out: list[ReasonRead] = []
    for j in np.argsort(-np.abs(contributions), kind="stable").tolist():
        if len(out) >= top:
            break
        value = as_value(float(values[j]))
        if not listed(names[j], value, float(contributions[j])):
            continue
        out.append(
            ReasonRead(
                feature=names[j],
                value=value,
                contribution=float(contributions[j]),
                text=_text(names[j], value, lang),
            )
        )
    return out


def _names(session: Session, family_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(family_ids), 500):
        chunk = family_ids[start : start + 500]
        rows = session.execute(
            select(Person.family_id, Person.full_name)
            .where(Person.family_id.in_(chunk))
            .order_by(Person.family_id, Person.person_id)
        )
        for fid, name in rows:
            out[fid].append(name)
    return out


def list_view(session: Session, snapshot: ListSnapshot, *, lang: Lang, names: bool) -> ListRead:
    """The entries of a stored list, in list order; names only when `names` is true."""
    feature_names: list[str] = json.loads(snapshot.feature_names)
    rows = list(
        session.scalars(
            select(SnapshotFamily)
            .where(SnapshotFamily.snapshot_id == snapshot.id, SnapshotFamily.list_rank.is_not(None))
            .order_by(SnapshotFamily.list_rank)
        )
    )
    people = _names(session, [r.family_id for r in rows]) if names else {}
    checklist = snapshot.ranker == "checklist"
    # A checklist entry's reasons are every item answered yes, not only the top five.
    top = len(feature_names) if checklist else TOP_REASONS
    entries = []
    for row in rows:
        signals = json.loads(row.signals) if row.signals else {}
        values = unpack(row.values)
        contributions = unpack(row.contributions)
        entries.append(
            ListEntryRead(
                family_id=row.family_id,
                names=people.get(row.family_id, []) if names else None,
                probability=row.probability,
                band=row.band,
                checklist_score=round(row.raw_score) if checklist else None,
                rank=row.list_rank or 0,
                score_rank=row.score_rank,
                change=row.change or "new",
                reasons=_reasons(feature_names, values, contributions, lang=lang, top=top),
                open_orders=[
                    order_read(
                        o["record_id"],
                        o["kind"],
                        dt.date.fromisoformat(o["valid_until"]),
                        today=snapshot.as_of,
                        band=row.band,
                    )
                    for o in signals.get("open_orders", [])
                ],
                violations=[dt.date.fromisoformat(d) for d in signals.get("violations", [])],
                alerts=[dt.date.fromisoformat(d) for d in signals.get("alerts", [])],
                alerts_between_meetings=[
                    dt.date.fromisoformat(d) for d in signals.get("alerts_since_previous", [])
                ],
                hold=cast(Literal["watch", "lowered"] | None, row.hold),
            )
        )
    return ListRead(
        **snapshot_fields(snapshot),
        previous_ranker=previous_ranker(session, snapshot),
        checklist_items=len(feature_names) if checklist else None,
        recalibrated_within=snapshot.recalibrated_within,
        lang=lang,
        entries=entries,
    )


def previous_ranker(session: Session, snapshot: ListSnapshot) -> Ranker | None:
    """What ranked the district's list of the month before `snapshot`'s (None: no list)."""
    ranker = session.scalar(
        select(ListSnapshot.ranker).where(
            ListSnapshot.district == snapshot.district,
            ListSnapshot.month == previous_month(snapshot.month),
        )
    )
    return cast("Ranker | None", ranker)


def latest_month(session: Session, district: str) -> str | None:
    months = list_months(session, district)
    return months[0] if months else None


def explanation_view(
    session: Session, family_id: str, district: str, month: str, *, lang: Lang
) -> ExplanationRead:
    """Every feature's value, contribution and reason text for the family in `month`'s list."""
    snapshot = get_snapshot(session, district, month)
    row = session.get(SnapshotFamily, (snapshot.id, family_id))
    if row is None:
        raise NotFoundError("family_id: the family is not on that month's list")
    names: list[str] = json.loads(snapshot.feature_names)
    values = unpack(row.values)
    contributions = unpack(row.contributions)
    return ExplanationRead(
        family_id=family_id,
        month=month,
        model_version=snapshot.model_version,
        ranker=snapshot.ranker,
        base_value=snapshot.base_value,
        raw_score=row.raw_score,
        probability=row.probability,
        band=row.band,
        recalibrated_within=snapshot.recalibrated_within,
        group_shift=row.group_shift,
        contributions=[
            ContributionRead(
                feature=name,
                value=as_value(float(values[j])),
                contribution=float(contributions[j]),
                reason=_text(name, as_value(float(values[j])), lang),
            )
            for j, name in enumerate(names)
        ],
    )


#: How a list left the service, as the access log records it: read on a screen (the API and
#: the list page), printed (the printable page) or exported as a CSV file.
ListAction = Literal["list.read", "list.print", "list.export_csv"]


def read_list(
    session: Session,
    user: Principal,
    district: str,
    month: str,
    *,
    lang: Lang,
    action: ListAction = "list.read",
) -> ListRead:
    """The district's list of `month` after the district check, with the read written to the
    access log as `action` (names only for the council of the district)."""
    district_scope(user, district)
    access_log.begin_read(session)
    known_district(session, district)
    snapshot = get_snapshot(session, district, month)
    view = list_view(session, snapshot, lang=lang, names=may_see_names(user, district))
    access_log.log_read(session, user=user, action=action, district=district, list_month=month)
    return view


def read_explanation(
    session: Session, user: Principal, family_id: str, *, month: str | None, lang: Lang
) -> ExplanationRead:
    """The explanation of `family_id` in `month`'s list (default: the latest), after the scope
    check, with the read written to the access log. The route and the web pages both use it."""
    access_log.begin_read(session)
    district = family_in_scope(session, user, family_id).district
    month = month or latest_month(session, district)
    if month is None:
        raise NotFoundError("month: the district has no list yet")
    view = explanation_view(session, family_id, district, month, lang=lang)
    access_log.log_read(
        session,
        user=user,
        action="family.explanation",
        family_id=family_id,
        district=district,
        list_month=month,
    )
    return view
