"""A plain-language explanation, for one person, of why the family is on a list.

For the conversation with the family: plain sentences in kk, ru or en, no score, no band, no
rank. It states only what the person may know:

- reasons from the family's shared records (police records at the address, the household's
  composition) are always stated;
- a reason from school, clinic or guardianship records (and the counts that mix agencies) is
  stated only when every such record the list read is the person's own. Otherwise it is left
  out, so another adult's screening answers never reach this person, nor whether they exist,
  and a parent never reads a reason built on what a child disclosed at school or at a clinic
  (the parent may be the adult the child is afraid of);
- only reasons that put the family higher on the list, with a recorded value (no "never
  screened" and no zero counts: their presence or absence would tell about other people).

The template adds what the family can do, that a person decides, and how to dispute a record.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.i18n import Lang
from features.registry import FEATURES
from model.reasons import render
from service.audit import access_log
from service.auth.roles import Principal
from service.lists.generate import unpack
from service.lists.views import get_snapshot, latest_month
from service.records.kinds import RECORD_SOURCES
from service.storage.tables import Family, Person, SnapshotFamily
from service.subjects.persons import person_in_scope, today_utc

EXPLANATION_ACTION: Final = "person.explanation"
MAX_REASONS: Final = 5
#: Feature sources read from the family's shared records: stated to every member.
SHARED_SOURCES: Final = frozenset({"police", "household"})
#: Record types each other feature source reads (police records are shared, left out here).
SOURCE_RECORDS: Final[dict[str, frozenset[str]]] = {
    "clinic": frozenset({"medical_screening", "hospital_injury"}),
    "school": frozenset({"school_survey"}),
    "outcome": frozenset({"hospital_injury", "guardianship_care"}),
    "multi_agency": frozenset({"medical_screening", "hospital_injury", "school_survey"}),
}


@dataclass(frozen=True)
class PlainExplanation:
    person_id: str
    full_name: str
    family_id: str
    month: str | None  # None: the district has no list yet
    scored: bool  # the family was in that month's scoring
    on_list: bool
    reasons: list[str]


def foreign_record_types(
    session: Session, family_id: str, visible: set[str], *, known_before: dt.date
) -> set[str]:
    """Record types of which the family has a record, known before `known_before`, about
    somebody outside `visible` (or about nobody linked)."""
    found: set[str] = set()
    for record_type, _source, table in RECORD_SOURCES:
        if record_type == "police_signal":
            continue
        rows = session.scalars(
            select(table.person_id).where(
                table.family_id == family_id, table.knowledge_date < known_before
            )
        )
        if any(pid not in visible for pid in rows):
            found.add(record_type)
    return found


def stated_sources(foreign: set[str]) -> set[str]:
    """The feature sources whose reasons may be stated, given the foreign record types."""
    allowed = set(SHARED_SOURCES)
    allowed.update(s for s, kinds in SOURCE_RECORDS.items() if not kinds & foreign)
    return allowed


def plain_reasons(
    names: list[str], values: np.ndarray, contributions: np.ndarray, *, sources: set[str],
    lang: Lang,
) -> list[str]:  # fmt: skip
    """The sentences of the reasons that raised the score, largest first, from `sources` only,
    each with a recorded, non-zero value."""
    merged: dict[str, tuple[float, float]] = {}
    for j, name in enumerate(names):  # checklist items of one feature become one reason
        value, total = merged.get(name, (float(values[j]), 0.0))
        merged[name] = (value, total + float(contributions[j]))
    ranked = sorted(merged.items(), key=lambda item: -item[1][1])
    out: list[str] = []
    for name, (value, contribution) in ranked:
        spec = FEATURES.get(name)
        if contribution <= 0.0 or spec is None or spec.source not in sources:
            continue
        if math.isnan(value) or value == 0.0 or "never" in name:
            continue
        text = render(name, value, lang=lang)
        if text not in out:
            out.append(text)
        if len(out) == MAX_REASONS:
            break
    return out


def plain_explanation(
    session: Session,
    person: Person,
    family: Family,
    *,
    month: str | None,
    lang: Lang,
    today: dt.date,
) -> PlainExplanation:
    """The explanation of `family`'s place on `month`'s list (default: the latest) for
    `person` (no access check, no log entry: `read_plain_explanation` adds both)."""
    month = month or latest_month(session, family.district)
    snapshot = None if month is None else get_snapshot(session, family.district, month)
    row = None if snapshot is None else session.get(SnapshotFamily, (snapshot.id, family.family_id))
    reasons: list[str] = []
    if snapshot is not None and row is not None:
        visible = {person.person_id}  # a child's disclosure is not the parent's to read
        foreign = foreign_record_types(
            session, family.family_id, visible, known_before=snapshot.as_of
        )
        reasons = plain_reasons(
            json.loads(snapshot.feature_names),
            unpack(row.values),
            unpack(row.contributions),
            sources=stated_sources(foreign),
            lang=lang,
        )
    return PlainExplanation(
        person_id=person.person_id,
        full_name=person.full_name,
        family_id=family.family_id,
        month=month,
        scored=row is not None,
        on_list=row is not None and row.list_rank is not None,
        reasons=reasons,
    )


def read_plain_explanation(
    session: Session,
    user: Principal,
    person_id: str,
    *,
    month: str | None = None,
    lang: Lang,
    today: dt.date | None = None,
) -> PlainExplanation:
    """The explanation after the district check, with the read written to the access log as
    `person.explanation`."""
    access_log.begin_read(session)
    person, family = person_in_scope(session, user, person_id)
    fid, district = family.family_id, family.district
    result = plain_explanation(
        session, person, family, month=month, lang=lang, today=today or today_utc()
    )
    access_log.log_read(
        session,
        user=user,
        action=EXPLANATION_ACTION,
        family_id=fid,
        district=district,
        list_month=result.month,
    )
    return result
