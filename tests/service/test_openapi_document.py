"""The OpenAPI document tells the truth (issue 15, finding 10): security, error answers with
their bodies, timestamps with a UTC offset, and rules such as the IIN check visible to clients.
The fuzz test (`test_openapi_fuzz.py`) checks the answers against the document; these tests
check that the document says what it must."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from service.auth.roles import UserRole
from tests.service.conftest import Service
from tests.service.factory import PASSWORD

PUBLIC = {("post", "/v1/token"), ("get", "/health"), ("get", "/docs"), ("get", "/redoc")}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def document(sqlite_service: Service) -> dict[str, Any]:
    response = sqlite_service.client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_bearer_token_is_declared_and_required_by_every_protected_operation(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert len(schemes) == 1
    (name, scheme), *_ = schemes.items()
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/v1/token"
    for method, path, operation in _operations(document):
        if (method, path) in PUBLIC or not path.startswith("/v1/"):
            assert "security" not in operation, f"{method} {path}"
        else:
            assert operation.get("security") == [{name: []}], f"{method} {path}"


def test_every_operation_declares_its_error_answers_with_their_bodies(
    document: dict[str, Any],
) -> None:
    error = "#/components/schemas/ErrorRead"
    invalid = "#/components/schemas/ValidationErrorRead"
    assert set(document["components"]["schemas"]["ErrorRead"]["required"]) == {"detail"}
    checked = 0
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        expected: set[str] = set()
        if "security" in operation:
            expected |= {"401", "403"}
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "413", "422"}
        if operation.get("parameters"):
            expected.add("422")
        if path.startswith("/v1/"):
            expected.add("503")
        assert expected <= set(responses), f"{method} {path}: {sorted(expected - set(responses))}"
        for code, response in responses.items():
            if int(code) < 400:
                continue
            ref = response["content"]["application/json"]["schema"].get("$ref")
            if path.startswith("/v1/imports") and code == "422":
                continue  # an upload's row report is a body of its own
            assert ref == (invalid if code == "422" else error), f"{method} {path} {code}"
            checked += 1
    assert checked > 100
    token = document["paths"]["/v1/token"]["post"]["responses"]
    assert {"401", "429"} <= set(token)
    assert "Retry-After" in token["429"]["headers"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_iin_rule_is_in_the_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    with_iin = [name for name, s in schemas.items() if "subject_iin" in s.get("properties", {})]
    assert len(with_iin) >= 3
    for name in with_iin:
        field = schemas[name]["properties"]["subject_iin"]
        assert field["pattern"] == "^[0-9]{12}$", name
        assert "check digit" in field["description"], name
        assert "not in the future" in field["description"], name
        assert "1900-01-01" in schemas[name]["properties"]["event_date"]["description"], name


def test_timestamps_carry_a_utc_offset(sqlite_service: Service) -> None:
    """Timestamps are stored naive (UTC); every one the API sends has its offset."""
    client = sqlite_service.client
    council = sqlite_service.headers(UserRole.council, "Almaly")
    family = sqlite_service.seeded.families["Almaly"][0]
    decision = client.post(
        f"/v1/families/{family}/decisions", json={"measures": ["psychologist"]}, headers=council
    )
    assert decision.status_code == 201, decision.text
    view = client.get(f"/v1/families/{family}", headers=council)
    assert view.status_code == 200, view.text
    token = client.post("/v1/token", data={"username": "council.almaly", "password": PASSWORD})
    assert token.status_code == 200, token.text
    stamps = [
        decision.json()["created_at"],
        *[d["created_at"] for d in view.json()["decisions"]],
        token.json()["expires_at"],
    ]
    for stamp in stamps:
        assert RFC3339.match(stamp), stamp
        assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(0), stamp


def test_read_schemas_declare_date_time_only_for_aware_values(document: dict[str, Any]) -> None:
    """Every `date-time` property of a response schema says it is UTC with an offset, so no
    Read schema is left with a plain `datetime` field (which would go out naive)."""
    found = 0
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            variants = prop.get("anyOf", [prop])
            if any(v.get("format") == "date-time" for v in variants):
                found += 1
                assert "UTC" in prop.get("description", ""), f"{name}.{field}"
    assert found >= 3
