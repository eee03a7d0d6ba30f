"""Households for the subject-access tests: two adults who were both screened at a clinic, a
child under 18 and an adult child, added to a seeded family."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from service.lists.generate import pack
from service.storage.tables import (
    ListSnapshot,
    MedicalScreeningRow,
    Person,
    PoliceSignalRow,
    SchoolSurveyRow,
    SnapshotFamily,
)
from tests.service.conftest import Service

DAY = dt.date(2025, 5, 2)
#: Screening answers no other adult may ever see: distinctive values, easy to search for.
SCREENING = {"hits_hurt": 5, "hits_insult": 4, "hits_threaten": 5, "hits_scream": 3, "phq2": 6}


@dataclass(frozen=True)
class Household:
    family_id: str
    adult: str  # screened at a clinic (ms-<family>-a)
    other_adult: str  # screened too (ms-<family>-b), subject of a police signal
    child: str  # under 18, surveyed at school
    adult_child: str  # 25 years old, screened at a clinic


def _screening(
    record_id: str, family_id: str, person_id: str, **answers: int
) -> MedicalScreeningRow:
    values = {**SCREENING, **answers}
    return MedicalScreeningRow(
        record_id=record_id, family_id=family_id, person_id=person_id,
        institution_id="clinic-secret-17", submitted_by=None, event_date=DAY,
        knowledge_date=DAY, wast_tension="a_lot", wast_arguments="great",
        injury_inconsistent=True, pregnant=True, alcohol_concern=True, forms="sexual",
        **values,
    )  # fmt: skip


def add_household(session: Session, family_id: str, *, other_screened: bool = True) -> Household:
    """Add a second adult, an adult child and records to the seeded family `family_id`: a
    screening of each adult and of the adult child (only the first adult's unless
    `other_screened`), a school survey of the child under 18 and a police signal about the
    second adult."""
    adult, child = f"P{family_id}a", f"P{family_id}c"
    other, grown = f"P{family_id}b", f"P{family_id}o"
    session.add_all(
        [
            Person(
                person_id=other, family_id=family_id, role="adult", sex="m", birth_year=1980,
                full_name=f"Other Adult {family_id}", iin_hash=f"hash-{other}",
            ),
            Person(
                person_id=grown, family_id=family_id, role="child", sex="f", birth_year=2000,
                full_name=f"Grown Child {family_id}", iin_hash=f"hash-{grown}",
            ),
        ]
    )  # fmt: skip
    session.flush()
    records: list[object] = [
        _screening(f"ms-{family_id}-a", family_id, adult, hits_hurt=2, phq2=1),
        SchoolSurveyRow(
            record_id=f"ss-{family_id}-c", family_id=family_id, person_id=child,
            institution_id="school-secret-9", event_date=DAY, knowledge_date=DAY,
            feels_safe=2, afraid_of_adult=True, seen_violence=True, hurt_by_adult=False,
            hunger_neglect=False, wants_counsellor=True, unexplained_injury=False,
            behaviour_change=True, days_absent=7,
        ),
        PoliceSignalRow(
            record_id=f"ps-{family_id}-b", family_id=family_id, person_id=other,
            institution_id="police-secret-3", event_date=DAY, knowledge_date=DAY,
            kind="preventive_registration", forms="",
        ),
    ]  # fmt: skip
    if other_screened:
        records.append(_screening(f"ms-{family_id}-b", family_id, other))
        records.append(_screening(f"ms-{family_id}-o", family_id, grown, hits_hurt=1, phq2=2))
    session.add_all(records)
    session.commit()
    return Household(family_id, adult, other, child, grown)


def household(service: Service, index: int = 0, *, other_screened: bool = True) -> Household:
    """`add_household` on Almaly's family number `index`."""
    with service.state.sessions() as session:
        return add_household(
            session, service.seeded.families["Almaly"][index], other_screened=other_screened
        )


#: Feature values and contributions of a stored list entry: a clinic reason on top.
LISTED: dict[str, tuple[float, float]] = {
    "hits_latest": (17.0, 0.9),
    "police_domestic_call_6m": (3.0, 0.5),
    "school_concerns_12m": (1.0, 0.3),
    "agencies_signalled_12m": (3.0, 0.2),
    "n_children": (2.0, 0.1),
    "clinic_never_screened": (1.0, 0.05),
    "police_order_violation_12m": (0.0, -0.2),
}


def store_list_entry(session: Session, family_ids: list[str], *, month: str = "2025-06") -> None:
    """A stored list of Almaly for `month` with the families in `family_ids` listed, each with
    the feature values and contributions of `LISTED`."""
    names = list(LISTED)
    snapshot = ListSnapshot(
        district="Almaly", month=month, as_of=dt.date(2025, 6, 1), model_version="7",
        ranker="model", data_fingerprint="f" * 64, capacity=0.05, k=len(family_ids),
        n_families=40, base_value=-2.0, feature_names=json.dumps(names),
    )  # fmt: skip
    session.add(snapshot)
    session.flush()
    values = np.array([LISTED[n][0] for n in names])
    contributions = np.array([LISTED[n][1] for n in names])
    for rank, family_id in enumerate(family_ids, start=1):
        session.add(
            SnapshotFamily(
                snapshot_id=snapshot.id, family_id=family_id, score_rank=rank, list_rank=rank,
                probability=0.4, raw_score=0.1, band="very_high", change="new",
                values=pack(values), contributions=pack(contributions), signals=None,
            )
        )  # fmt: skip
    session.commit()
