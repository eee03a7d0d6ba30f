"""Deleting one record or one person on a legal ground: the admin only, with a written reason;
a tombstone without content; derived data gone; the lists that used it marked; logged."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from service.auth.roles import UserRole
from service.lists.generate import generate_lists
from service.storage import tables as t
from service.storage.db import read_connection
from service.storage.events import load_events
from tests.service.conftest import Service
from tests.service.retention.conftest import DISTRICT, OldFamily, add_old_family

BODY = {"ground": "court_decision", "reason": "Decision of the district court No. 2-1234/2026."}


def _listed(service: Service) -> OldFamily:
    old = add_old_family(service)
    with service.state.sessions() as session:
        generate_lists(service.state.engine, session, None, month="2011-01")
    return old


@pytest.fixture
def listed(service: Service) -> OldFamily:
    """The old family in a list, on SQLite and PostgreSQL."""
    return _listed(service)


@pytest.fixture
def listed_sqlite(sqlite_service: Service) -> OldFamily:
    """The same on SQLite only, for the checks of who and what is refused (no storage)."""
    return _listed(sqlite_service)


def _post(service: Service, path: str, body: Any, role: UserRole = UserRole.admin) -> Any:
    district = None if role in (UserRole.admin, UserRole.auditor) else DISTRICT
    return service.client.post(path, json=body, headers=service.headers(role, district))


def test_deleting_a_record(service: Service, listed: OldFamily) -> None:
    record_id = listed.record_ids[0]  # a criminal offense with an alert, a correction, ...
    response = _post(service, f"/v1/admin/records/police_signal/{record_id}/delete", BODY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["ground"], body["record_type"]) == (
        "record",
        "court_decision",
        "police_signal",
    )
    assert body["reason"] == BODY["reason"]
    assert body["counts"] == {
        "alerts": 1,
        "corrections": 1,
        "disputes": 1,
        "idempotency_keys": 1,
        "police_signals": 1,
        "record_versions": 1,
    }
    assert body["snapshots_marked"] == 1  # the list was built after it was known
    with service.state.sessions() as session:
        assert session.get(t.PoliceSignalRow, record_id) is None
        assert session.get(t.Family, listed.family_id) is not None  # the rest stays
        assert session.get(t.PoliceSignalRow, listed.record_ids[1]) is not None
        tomb = session.get(t.Deletion, body["id"])
        assert tomb is not None
        assert (tomb.record_id, tomb.district, tomb.user_id) == (
            record_id,
            DISTRICT,
            service.user(UserRole.admin).id,
        )
        marked = session.scalars(
            select(t.DeletionSnapshot.snapshot_id).where(t.DeletionSnapshot.deletion_id == tomb.id)
        ).all()
        assert len(marked) == 1
        entry = session.scalars(
            select(t.AccessLogEntry).order_by(t.AccessLogEntry.id.desc())
        ).first()
        assert entry is not None
        assert entry.action == f"deletion.record#{tomb.id}:6rows"
        assert (entry.family_id, entry.username) == (listed.family_id, "admin.all")
    # The next list does not use it.
    with read_connection(service.state.engine) as conn:
        events = load_events(conn)
    assert record_id not in events.police_signals["record_id"].to_list()
    # Deleting it again: there is nothing left to delete.
    again = _post(service, f"/v1/admin/records/police_signal/{record_id}/delete", BODY)
    assert again.status_code == 404
    assert record_id not in again.text
    _tombstone_carries_no_content(service, listed)
    # A record stored after the list was built (a late historical upload) was not used by it.
    with service.state.sessions() as session:
        late = t.PoliceSignalRow(
            record_id="ps-late-1", family_id=listed.family_id, person_id=listed.person_ids[0],
            institution_id="police-1", event_date=dt.date(2010, 5, 1),
            knowledge_date=dt.date(2010, 5, 2), kind="domestic_call", forms="", historical=True,
        )  # fmt: skip
        session.add(late)
        session.commit()
    response = _post(service, "/v1/admin/records/police_signal/ps-late-1/delete", BODY)
    assert response.status_code == 200, response.text
    assert response.json()["snapshots_marked"] == 0


def test_deleting_a_person(service: Service, listed: OldFamily) -> None:
    person = listed.person_ids[1]  # the screened adult: a screening, an injury, a measure
    response = _post(
        service, f"/v1/admin/persons/{person}/delete", {**BODY, "ground": "wrong_subject"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "person"
    assert body["counts"] == {
        "case_measures": 1,
        "disputes": 1,
        "hospital_injuries": 1,
        "measure_events": 1,
        "medical_screenings": 1,
        "persons": 1,
        "decisions:name_removed": 1,
    }
    assert body["snapshots_marked"] == 1
    assert person not in response.text
    with service.state.sessions() as session:
        assert session.get(t.Person, person) is None
        assert session.get(t.Family, listed.family_id) is not None
        left = session.scalars(
            select(t.Person.person_id).where(t.Person.family_id == listed.family_id)
        )
        assert sorted(left) == [listed.person_ids[0], listed.person_ids[2]]
        # Nothing names the person any more (the tombstone included).
        for table in t.Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                values = [str(v) for v in row if v is not None and not isinstance(v, bytes)]
                for needle in (person, listed.names[1], listed.iin_hashes[1]):
                    assert not any(needle in v for v in values), (table.name, needle)


def test_only_the_admin_deletes(sqlite_service: Service, listed_sqlite: OldFamily) -> None:
    service, listed = sqlite_service, listed_sqlite
    record_path = f"/v1/admin/records/police_signal/{listed.record_ids[0]}/delete"
    person_path = f"/v1/admin/persons/{listed.person_ids[0]}/delete"
    others = [(r, d) for r, d in service.seeded.users if r is not UserRole.admin]
    assert {r for r, _ in others} == set(UserRole) - {UserRole.admin}
    for role, district in others:
        headers = service.headers(role, district)
        for path in (record_path, person_path):
            response = service.client.post(path, json=BODY, headers=headers)
            assert response.status_code == 403, (role, path)
    with service.state.sessions() as session:
        assert session.get(t.PoliceSignalRow, listed.record_ids[0]) is not None
        assert session.get(t.Person, listed.person_ids[0]) is not None
        assert session.scalars(select(t.Deletion)).first() is None


BAD_BODIES = [
    ({"ground": "court_decision"}, "reason", "Field required"),
    ({"ground": "court_decision", "reason": "   short  "}, "reason", "at least 10"),
    ({"ground": "because", "reason": BODY["reason"]}, "ground", "court_decision"),
    ({"ground": "court_decision", "reason": "about IIN 700301473015 of him"}, "reason", "no IIN"),
]


def test_bad_bodies_and_unknown_ids_are_refused(
    sqlite_service: Service, listed_sqlite: OldFamily
) -> None:
    service, listed = sqlite_service, listed_sqlite
    path = f"/v1/admin/records/police_signal/{listed.record_ids[0]}/delete"
    for body, field, message in BAD_BODIES:
        response = _post(service, path, body)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert detail["loc"][-1] == field
        assert message in detail["msg"]
        assert "700301473015" not in response.text
    # A reason that names the person: the tombstone outlives them.
    person = listed.person_ids[1]
    body = {"ground": "court_decision", "reason": f"Court ordered: {listed.names[1].upper()}"}
    response = _post(service, f"/v1/admin/persons/{person}/delete", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]
    assert listed.names[1].upper() not in response.text
    assert _post(service, "/v1/admin/records/diary/x/delete", BODY).status_code == 422
    missing = _post(service, "/v1/admin/records/school_survey/ss-none/delete", BODY)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "record_id: no such school_survey record"
    assert _post(service, "/v1/admin/persons/P-none/delete", BODY).status_code == 404
    with service.state.sessions() as session:
        assert session.get(t.PoliceSignalRow, listed.record_ids[0]) is not None
        assert session.get(t.Person, person) is not None
        assert session.scalars(select(t.Deletion)).first() is None


def _tombstone_carries_no_content(service: Service, listed: OldFamily) -> None:
    record_id = listed.record_ids[3]
    response = _post(service, f"/v1/admin/records/medical_screening/{record_id}/delete", BODY)
    assert response.status_code == 200
    with service.state.sessions() as session:
        tomb = session.get(t.Deletion, response.json()["id"])
        assert tomb is not None
        stored = json.dumps([str(getattr(tomb, c.key)) for c in t.Deletion.__table__.columns])
    for needle in (listed.family_id, *listed.person_ids, *listed.iin_hashes, "a_lot", "great"):
        assert needle not in stored
