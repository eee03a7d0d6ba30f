"""Corrections of every record kind by the institution that submitted it (issue 13): a new
version, the old one kept, both logged; the council's correction route keeps working."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.storage.tables import (
    AccessLogEntry,
    CarePlacementRow,
    Correction,
    HospitalInjuryRow,
    RecordVersion,
)
from tests.service.conftest import Service

R = UserRole
#: A valid IIN of nobody in the registry: its records are stored unlinked.
UNKNOWN_IIN = "850315401231"


def _submit(service: Service, path: str, body: dict[str, Any], role: UserRole) -> str:
    response = service.client.post(path, json=body, headers=service.headers(role, "Almaly"))
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def _correct(
    service: Service, record_type: str, record_id: str, body: dict[str, Any], role: UserRole,
    district: str = "Almaly",
) -> Any:  # fmt: skip
    return service.client.post(
        f"/v1/records/{record_type}/{record_id}/corrections",
        json=body,
        headers=service.headers(role, district),
    )


def _counts(service: Service) -> tuple[int, int, int]:
    with service.state.sessions() as session:
        return (
            int(session.scalar(select(func.count()).select_from(RecordVersion)) or 0),
            int(session.scalar(select(func.count()).select_from(Correction)) or 0),
            int(session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0),
        )


def test_the_submitter_corrects_an_injury_and_a_placement_keeping_every_version(
    service: Service,
) -> None:
    family = service.seeded.families["Almaly"][2]
    injury = _submit(
        service,
        "/v1/records/hospital-injuries",
        {"subject_iin": service.seeded.iins[f"P{family}a"], "event_date": "2025-05-03",
         "admitted": False, "forms": ["physical"]},
        R.clinic,
    )  # fmt: skip
    placement = _submit(
        service,
        "/v1/records/care-placements",
        {"subject_iin": UNKNOWN_IIN, "event_date": "2025-05-04", "placement": "relatives",
         "temporary": True},
        R.guardianship,
    )  # fmt: skip
    first = _correct(
        service, "hospital_injury", injury,
        {"changes": {"admitted": True, "event_date": "2025-05-02"},
         "reason": "Admission confirmed by the ward."},
        R.clinic,
    )  # fmt: skip
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 2
    assert first.json()["content"]["admitted"] is True
    second = _correct(
        service, "hospital_injury", injury,
        {"changes": {"forms": ["physical", "psychological"]}, "reason": "Second look at notes."},
        R.clinic,
    )  # fmt: skip
    assert second.json()["version"] == 3
    # The care placement is not linked to a family: it is corrected all the same.
    third = _correct(
        service, "guardianship_care", placement,
        {"changes": {"placement": "foster_family"}, "reason": "Placed with a foster family."},
        R.guardianship,
    )  # fmt: skip
    assert third.status_code == 201, third.text
    with service.state.sessions() as session:
        row = session.get(HospitalInjuryRow, injury)
        assert row is not None
        assert (row.admitted, row.forms, str(row.event_date)) == (
            True, "physical,psychological", "2025-05-02",
        )  # fmt: skip
        versions = session.scalars(
            select(RecordVersion).where(RecordVersion.record_id == injury)
            .order_by(RecordVersion.version)
        ).all()  # fmt: skip
        assert [v.version for v in versions] == [1, 2, 3]
        original = json.loads(versions[0].content)
        assert original["admitted"] is False
        assert str(versions[0].event_date) == "2025-05-03"
        assert versions[0].reason is None
        assert versions[2].reason == "Second look at notes."
        fields = session.scalars(
            select(Correction.field).where(Correction.record_id == injury).order_by(Correction.id)
        ).all()
        assert list(fields) == ["admitted", "event_date", "forms"]
        care = session.get(CarePlacementRow, placement)
        assert care is not None
        assert care.placement == "foster_family"
        assert care.family_id is None
        actions = session.scalars(
            select(AccessLogEntry.action).where(AccessLogEntry.action == "record.correction")
        ).all()
        assert len(actions) == 3


def test_another_institution_or_role_may_not_correct_and_bad_changes_store_nothing(
    service: Service,
) -> None:
    family = service.seeded.families["Almaly"][3]
    injury = _submit(
        service,
        "/v1/records/hospital-injuries",
        {"subject_iin": service.seeded.iins[f"P{family}a"], "event_date": "2025-05-03",
         "admitted": False, "forms": []},
        R.clinic,
    )  # fmt: skip
    before = _counts(service)
    good = {"changes": {"admitted": True}, "reason": "Admission confirmed by the ward."}
    # The clinic of the other district: answered as if the record did not exist.
    other = _correct(service, "hospital_injury", injury, good, R.clinic, "Bostandyk")
    assert other.status_code == 404
    assert injury not in other.text
    assert _correct(service, "hospital_injury", injury, good, R.school).status_code == 403
    bad = {
        "unknown field": {"changes": {"ward": 3}, "reason": "A reason long enough."},
        "wrong type": {"changes": {"admitted": "yes"}, "reason": "A reason long enough."},
        "future date": {"changes": {"event_date": "2999-01-01"}, "reason": "A reason long."},
        "no change": {"changes": {"admitted": False}, "reason": "A reason long enough."},
        "short reason": {"changes": {"admitted": True}, "reason": "short"},
    }
    for name, body in bad.items():
        response = _correct(service, "hospital_injury", injury, body, R.clinic)
        assert response.status_code == 422, (name, response.text)
    assert _counts(service) == before


def test_the_council_still_corrects_a_record_of_its_family(service: Service) -> None:
    family = service.seeded.with_order["Almaly"]
    response = service.client.post(
        f"/v1/families/{family}/corrections",
        json={
            "record_type": "police_signal",
            "record_id": "ps-order-Almaly",
            "field": "forms",
            "new_value": ["psychological"],
            "reason": "The inspector corrected the form.",
        },
        headers=service.headers(R.council, "Almaly"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["old_value"] == ["physical"]
    with service.state.sessions() as session:
        versions = session.scalars(
            select(RecordVersion.version).where(RecordVersion.record_id == "ps-order-Almaly")
        ).all()
    assert sorted(versions) == [1, 2]
