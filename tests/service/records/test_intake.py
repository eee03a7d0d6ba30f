"""Record submissions: validation, linking, idempotency, nothing stored on invalid input."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

import service
from features.contracts import PoliceKind
from service.auth.roles import UserRole
from service.auth.security import hash_iin
from service.records.schemas import MedicalScreeningCreate, PoliceSignalCreate, SchoolSurveyCreate
from service.storage.tables import Alert, MedicalScreeningRow, PoliceSignalRow, SchoolSurveyRow
from tests.service.conftest import Service

ENDPOINTS: dict[str, tuple[str, UserRole, Any, Any]] = {
    "school": ("/v1/records/school-surveys", UserRole.school, SchoolSurveyCreate, SchoolSurveyRow),
    "clinic": (
        "/v1/records/medical-screenings",
        UserRole.clinic,
        MedicalScreeningCreate,
        MedicalScreeningRow,
    ),
    "police": ("/v1/records/police-signals", UserRole.police, PoliceSignalCreate, PoliceSignalRow),
}


def example_of(schema: Any) -> dict[str, Any]:
    extra: Any = schema.model_config["json_schema_extra"]
    return dict(extra["examples"][0])


def example(schema: Any, iin: str) -> dict[str, Any]:
    body = example_of(schema)
    body["subject_iin"] = iin
    return body


def count(service: Service, table: Any) -> int:
    with service.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def a_person(service: Service) -> tuple[str, str]:
    pid = next(iter(service.seeded.iins))
    return pid, service.seeded.iins[pid]


@pytest.mark.parametrize("agency", list(ENDPOINTS))
def test_known_subject_is_stored_linked(service: Service, agency: str) -> None:
    path, role, schema, table = ENDPOINTS[agency]
    pid, iin = a_person(service)
    before = count(service, table)
    response = service.client.post(
        path, json=example(schema, iin), headers=service.headers(role, "Almaly")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["linked"] is True
    assert count(service, table) == before + 1
    with service.state.sessions() as session:
        row = session.get(table, body["record_id"])
        assert row is not None
        assert row.family_id == service.seeded.family_of[pid]
        assert row.subject_iin_hash == hash_iin(iin, key=service.state.secrets.iin_hash_key)
        assert row.institution_id == f"{role.value}-Almaly"
        assert row.knowledge_date == dt.datetime.now(dt.UTC).date()
        # The IIN itself is stored nowhere in the row.
        assert iin not in repr([getattr(row, c.key) for c in table.__table__.columns])


def test_unknown_subject_is_stored_unlinked_and_shown_to_admin(service: Service) -> None:
    body = example(SchoolSurveyCreate, "100902604561")  # valid IIN, not in the registry
    response = service.client.post(
        "/v1/records/school-surveys", json=body, headers=service.headers(UserRole.school, "Almaly")
    )
    assert response.status_code == 201
    assert response.json()["linked"] is False
    record_id = response.json()["record_id"]
    unlinked = service.client.get(
        "/v1/admin/unlinked", headers=service.headers(UserRole.admin)
    ).json()
    assert unlinked["total"] == 1
    assert [r["record_id"] for r in unlinked["records"]] == [record_id]
    assert "subject_iin" not in str(unlinked)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("subject_iin", "85031540123", "12"),
        ("subject_iin", "850315401232", "check digit"),
        ("subject_iin", "851315401231", "birth date"),
        ("feels_safe", 7, "less than or equal to 5"),
        ("days_absent", -1, "greater than or equal to 0"),
        ("event_date", "2999-01-01", "not after today"),
        ("unknown_field", 1, "Extra inputs"),
    ],
)
def test_invalid_school_survey_is_refused_with_field_message(
    service: Service, field: str, value: Any, fragment: str
) -> None:
    _pid, iin = a_person(service)
    body = example(SchoolSurveyCreate, iin)
    body[field] = value
    before = count(service, SchoolSurveyRow)
    response = service.client.post(
        "/v1/records/school-surveys", json=body, headers=service.headers(UserRole.school, "Almaly")
    )
    assert response.status_code == 422
    errors = response.json()["detail"]
    # An unexpected field's name is not repeated either (it could be anything, an IIN too).
    where = "(unexpected field)" if field == "unknown_field" else field
    assert any(e["loc"][-1] == where for e in errors), errors
    assert any(fragment in e["msg"] for e in errors), errors
    assert "unknown_field" not in response.text
    # Error bodies never echo the input (it may be an IIN).
    assert iin not in response.text
    assert str(value) not in response.text or field in ("feels_safe", "days_absent")
    assert count(service, SchoolSurveyRow) == before


def test_police_order_without_expiry_is_refused(service: Service) -> None:
    _pid, iin = a_person(service)
    body = example(PoliceSignalCreate, iin)
    body.pop("valid_until")
    response = service.client.post(
        "/v1/records/police-signals", json=body, headers=service.headers(UserRole.police, "Almaly")
    )
    assert response.status_code == 422
    assert "valid_until" in response.text
    assert iin not in response.text


def test_idempotency_key_replays_and_conflicts(service: Service) -> None:
    _pid, iin = a_person(service)
    headers = {**service.headers(UserRole.clinic, "Almaly"), "Idempotency-Key": "k-1"}
    body = example(MedicalScreeningCreate, iin)
    first = service.client.post("/v1/records/medical-screenings", json=body, headers=headers)
    second = service.client.post("/v1/records/medical-screenings", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["record_id"] == second.json()["record_id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    with service.state.sessions() as session:
        assert session.get(MedicalScreeningRow, first.json()["record_id"]) is not None
    before = count(service, MedicalScreeningRow)
    other = {**body, "phq2": 1}
    conflict = service.client.post("/v1/records/medical-screenings", json=other, headers=headers)
    assert conflict.status_code == 409
    assert count(service, MedicalScreeningRow) == before
    # Keys are per user: another clinic user may use the same key for its own record.
    other_user = {**service.headers(UserRole.clinic, "Bostandyk"), "Idempotency-Key": "k-1"}
    third = service.client.post("/v1/records/medical-screenings", json=other, headers=other_user)
    assert third.status_code == 201
    assert third.json()["record_id"] != first.json()["record_id"]


@pytest.mark.parametrize("kind", [k.value for k in PoliceKind])
def test_alert_kinds_raise_alerts(service: Service, kind: str) -> None:
    pid, iin = a_person(service)
    body = {"subject_iin": iin, "event_date": "2025-06-01", "kind": kind, "forms": []}
    if kind in ("protective_order", "court_requirements"):
        body["valid_until"] = "2025-07-01"
    response = service.client.post(
        "/v1/records/police-signals", json=body, headers=service.headers(UserRole.police, "Almaly")
    )
    assert response.status_code == 201, response.text
    expected = kind in ("order_violation", "criminal_offense", "weapon_present")
    assert response.json()["alert"] is expected
    with service.state.sessions() as session:
        alerts = session.scalars(select(Alert)).all()
        assert len(alerts) == int(expected)
        if expected:
            assert alerts[0].family_id == service.seeded.family_of[pid]
            assert alerts[0].district == "Almaly"


def _schema_modules() -> list[ModuleType]:
    """Every `schemas` module of the service's domains (a new domain needs no entry here)."""
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(service.__path__, "service.")
        if info.name.rsplit(".", 1)[-1] == "schemas"
    ]


def _request_schema(name: str) -> type[BaseModel]:
    """The request schema class called `name` in the service's schema modules (re-exports of
    one class count once)."""
    found: list[type[BaseModel]] = list(
        {id(c): c for m in _schema_modules() if (c := getattr(m, name, None)) is not None}.values()
    )
    assert len(found) == 1, f"{name}: expected in exactly one schema module, found {len(found)}"
    return found[0]


def test_openapi_examples_are_valid_bodies(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method} {path} has no docstring"
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            ref = content["application/json"]["schema"]["$ref"].split("/")[-1]
            examples = schemas[ref].get("examples")
            assert examples, f"{method} {path}: request body {ref} has no example"
            model = _request_schema(ref)
            for example_body in examples:
                model.model_validate(example_body)  # raises if the example is invalid
            checked += 1
    assert checked >= 8
    for schema in (SchoolSurveyCreate, MedicalScreeningCreate, PoliceSignalCreate):
        schema.model_validate(example_of(schema))


def test_logs_never_contain_the_iin(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    _pid, iin = a_person(service)
    headers = service.headers(UserRole.police, "Almaly")
    bad = {"subject_iin": iin[:-1] + str((int(iin[-1]) + 1) % 10), "event_date": "2025-05-01"}
    service.client.post("/v1/records/police-signals", json={**bad, "kind": "x"}, headers=headers)
    good = {"subject_iin": iin, "event_date": "2025-05-01", "kind": "weapon_present"}
    assert (
        service.client.post("/v1/records/police-signals", json=good, headers=headers).status_code
        == 201
    )
    assert caplog.records, "the request was logged at all"
    assert iin not in caplog.text
    assert bad["subject_iin"] not in caplog.text
    assert headers["Authorization"].split()[1] not in caplog.text
