"""An old family with data in every table that can hold a family's data, for the purge tests."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from features.iin import make_iin
from service.auth.roles import Principal, UserRole
from service.auth.security import hash_iin
from service.storage import tables as t
from tests.service.conftest import Service

DISTRICT = "Almaly"


@dataclass
class OldFamily:
    """What identifies the family: every value must be gone after a purge."""

    family_id: str
    person_ids: list[str]
    iins: list[str]
    iin_hashes: list[str]
    names: list[str]
    record_ids: list[str] = field(default_factory=list)

    def needles(self) -> list[str]:
        return [self.family_id, *self.person_ids, *self.iins, *self.iin_hashes, *self.names]


def _iin(year: int, serial: int) -> str:
    for day in range(1, 28):
        value = make_iin(dt.date(year, 3, day), male=False, serial=serial)
        if value is not None:
            return value
    raise AssertionError("no valid IIN")


def add_old_family(
    service: Service, *, family_id: str = "FX-OLD-0001", serial: int = 7301
) -> OldFamily:
    """A family whose last activity was in 2011: past every default period today. Records of
    every kind, an alert, a correction, an earlier version, a decision, a closed case with a
    measure and its history, an ended hold, a dispute; not yet in any list."""
    key = service.state.secrets.iin_hash_key
    council = service.user(UserRole.council, DISTRICT)
    people = [("a", "adult", 1970), ("b", "adult", 1968), ("c", "child", 1990)]
    iins = [_iin(year, serial + i) for i, (_, _, year) in enumerate(people)]
    old = OldFamily(
        family_id=family_id,
        person_ids=[f"{family_id}-P{s}" for s, _, _ in people],
        iins=iins,
        iin_hashes=[hash_iin(iin, key=key) for iin in iins],
        names=[f"Zhanar Oldfamily{family_id[-2:]}{s}" for s, _, _ in people],
    )
    day = dt.date(2010, 11, 3)
    with service.state.sessions() as session:
        session.add(
            t.Family(
                family_id=family_id,
                region="Almaty",
                district=DISTRICT,
                urban=True,
                n_children=1,
                ethnicity="kazakh",
                language="kk",
                income_group="low",
                disability_in_household=False,
                single_parent=False,
            )
        )
        for (_suffix, role, year), pid, name, digest in zip(
            people, old.person_ids, old.names, old.iin_hashes, strict=True
        ):
            session.add(
                t.Person(
                    person_id=pid,
                    family_id=family_id,
                    role=role,
                    sex="f",
                    birth_year=year,
                    full_name=name,
                    iin_hash=digest,
                )
            )
        session.flush()
        adult, child = old.person_ids[0], old.person_ids[2]
        common = {
            "family_id": family_id,
            "institution_id": "x-1",
            "event_date": day,
            "knowledge_date": day,
        }
        signal = f"ps-old{serial}-1"
        order = f"ps-old{serial}-2"
        session.add_all(
            [
                t.PoliceSignalRow(
                    record_id=signal,
                    person_id=adult,
                    subject_iin_hash=old.iin_hashes[0],
                    kind="criminal_offense",
                    forms="physical",
                    **common,
                ),
                t.PoliceSignalRow(
                    record_id=order,
                    person_id=adult,
                    subject_iin_hash=old.iin_hashes[0],
                    kind="protective_order",
                    forms="physical",
                    valid_until=dt.date(2011, 1, 20),
                    **common,
                ),
                t.SchoolSurveyRow(
                    record_id=f"ss-old{serial}",
                    person_id=child,
                    subject_iin_hash=old.iin_hashes[2],
                    feels_safe=2,
                    afraid_of_adult=True,
                    seen_violence=True,
                    hurt_by_adult=False,
                    hunger_neglect=False,
                    wants_counsellor=True,
                    unexplained_injury=False,
                    behaviour_change=True,
                    days_absent=4,
                    **common,
                ),
                t.MedicalScreeningRow(
                    record_id=f"ms-old{serial}",
                    person_id=old.person_ids[1],
                    subject_iin_hash=old.iin_hashes[1],
                    hits_hurt=3,
                    hits_insult=4,
                    hits_threaten=3,
                    hits_scream=4,
                    wast_tension="a_lot",
                    wast_arguments="great",
                    injury_inconsistent=True,
                    pregnant=False,
                    phq2=4,
                    alcohol_concern=True,
                    forms="physical",
                    **common,
                ),
                t.HospitalInjuryRow(
                    record_id=f"hi-old{serial}",
                    person_id=old.person_ids[1],
                    subject_iin_hash=old.iin_hashes[1],
                    admitted=True,
                    forms="physical",
                    **common,
                ),
                t.CarePlacementRow(
                    record_id=f"gc-old{serial}",
                    person_id=child,
                    subject_iin_hash=old.iin_hashes[2],
                    placement="relatives",
                    temporary=True,
                    **common,
                ),
                t.OutcomeRow(
                    record_id=f"oc-old{serial}",
                    family_id=family_id,
                    kind="hospital_injury",
                    event_date=day,
                    knowledge_date=day,
                ),
                t.IdempotencyKey(
                    user_id=council.id,
                    key=f"k-{family_id}",
                    body_hash="0" * 64,
                    record_type="police_signal",
                    record_id=signal,
                ),
            ]
        )
        session.flush()
        old.record_ids = [
            signal,
            order,
            f"ss-old{serial}",
            f"ms-old{serial}",
            f"hi-old{serial}",
            f"gc-old{serial}",
            f"oc-old{serial}",
        ]
        session.add(
            t.Alert(
                record_id=signal,
                family_id=family_id,
                district=DISTRICT,
                kind="criminal_offense",
                event_date=day,
                created_at=dt.datetime(2010, 11, 4),
            )
        )
        correction = t.Correction(
            record_type="police_signal",
            record_id=signal,
            family_id=family_id,
            field="forms",
            old_value=f'"{old.names[0]} said so"',
            new_value='"physical"',
            reason="review",
            user_id=council.id,
            created_at=dt.datetime(2010, 11, 5),
        )
        session.add(correction)
        session.add(
            t.RecordVersion(
                record_type="police_signal",
                record_id=signal,
                version=1,
                event_date=day,
                content='{"forms": "physical"}',
                user_id=council.id,
            )
        )
        decision = t.Decision(
            family_id=family_id,
            district=DISTRICT,
            user_id=council.id,
            measures='["psychologist"]',
            priority="raise",
            reason=f"{old.names[1]} asked for help",
            list_month="2010-12",
            created_at=dt.datetime(2010, 12, 1),
        )
        session.add(decision)
        session.flush()
        case = t.Case(
            family_id=family_id,
            district=DISTRICT,
            status="closed",
            watch=False,
            opened_by=council.id,
            opened_on=dt.date(2010, 12, 1),
            first_decision_id=decision.id,
            closed_on=dt.date(2011, 2, 1),
            closed_by=council.id,
            close_note="done",
        )
        session.add(case)
        session.flush()
        measure = t.CaseMeasure(
            case_id=case.id,
            decision_id=decision.id,
            measure="psychologist",
            agency="clinic",
            officer=old.names[0],
            target="victim",
            person_id=old.person_ids[1],
            due_on=dt.date(2011, 1, 1),
            status="delivered",
            created_by=council.id,
            created_on=dt.date(2010, 12, 1),
        )
        session.add(measure)
        session.flush()
        session.add(
            t.MeasureEvent(
                measure_id=measure.id, on=dt.date(2010, 12, 2), user_id=council.id, status_to="sent"
            )
        )
        session.add(
            t.PriorityHold(
                family_id=family_id,
                district=DISTRICT,
                decision_id=decision.id,
                case_id=case.id,
                kind="watch",
                began_on=dt.date(2010, 12, 1),
                from_month="2011-01",
                ended_at=dt.datetime(2011, 2, 1),
                ended_on=dt.date(2011, 2, 1),
                ended_reason="case_closed",
            )
        )
        session.add(
            t.Dispute(
                person_id=old.person_ids[1],
                family_id=family_id,
                district=DISTRICT,
                record_type="police_signal",
                record_id=signal,
                statement="not me",
                status="rejected",
                received_by=council.id,
            )
        )
        session.commit()
    return old


def admin(service: Service) -> Principal:
    return service.user(UserRole.admin)


def add_leftovers(service: Service, old: OldFamily) -> list[Path]:
    """An unlinked record known in 2015, an upload job that ended in 2020, and upload files
    (a job's and a preview's) left over from a crash, the preview naming the family."""
    home = service.state.settings.resolved_home
    with service.state.sessions() as session:
        session.add(
            t.SchoolSurveyRow(
                record_id="ss-unlinked-old",
                family_id=None,
                person_id=None,
                subject_iin_hash="f" * 64,
                institution_id="school-1",
                event_date=dt.date(2015, 1, 1),
                knowledge_date=dt.date(2015, 1, 2),
                feels_safe=5,
                afraid_of_adult=False,
                seen_violence=False,
                hurt_by_adult=False,
                hunger_neglect=False,
                wants_counsellor=False,
                unexplained_injury=False,
                behaviour_change=False,
                days_absent=0,
            )
        )
        session.add(
            t.ImportJob(
                user_id=admin(service).id,
                kind="school_survey",
                file_format="csv",
                historical=False,
                status="done",
                rows=1,
                stored=1,
                already_stored=0,
                result="{}",
                created_at=dt.datetime(2020, 1, 1),
                finished_at=dt.datetime(2020, 1, 1),
            )
        )
        session.commit()
    files = []
    for directory, name in (("imports", "tmp123.upload"), ("ui-uploads", "abc.upload")):
        path = home / directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"iin,full_name\n{old.iins[0]},{old.names[0]}\n", "utf-8")
        past = time.time() - 3 * 86400
        os.utime(path, (past, past))
        files.append(path)
    return files


def session_of(service: Service) -> Session:
    return service.state.sessions()
