"""Inputs that must fail, fail cleanly (issue 15, findings 8 and 9).

- Numbers beyond a 64-bit column in a path, a query, a body or a token are a 422 (or a 401 for
  a token), never a 500.
- Bodies the contract does not allow are refused naming the field: an IIN born in the future,
  an event in year 0001, an order valid before its event or for decades, `"3"` or `true` where
  an integer or a number is expected.
- A 404 never repeats the value that was not found, in the answer or in any log line, so an
  IIN typed into the wrong place goes nowhere.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select

from features.iin import make_iin
from service.auth.roles import UserRole
from service.records.schemas import SCHOOL_SURVEY_EXAMPLE
from service.request_log import ACCESS_LOGGER, RouteTemplateFilter
from service.storage.tables import Correction, Decision, PoliceSignalRow, SchoolSurveyRow
from tests.service.conftest import TOKEN_KEY, Service

BIG = 2**31  # one past the largest id (PostgreSQL INTEGER)
HUGE = 10**30
BEYOND_64 = 2**63  # the example of issue 15: a 500 on SQLite too
COUNCIL = (UserRole.council, "Almaly")
#: A valid IIN (check digit right) that is nobody in the seeded registry.
STRAY_IIN = "850315401231"


def _iin_born(born: dt.date) -> str:
    return next(v for s in range(100) if (v := make_iin(born, male=False, serial=s)) is not None)


def _family(service: Service) -> str:
    return service.seeded.families["Almaly"][0]


# ---- finding 8: numbers beyond 64 bits --------------------------------------------------------


@pytest.mark.parametrize("value", [BIG, BEYOND_64, HUGE])
@pytest.mark.parametrize(
    ("method", "path", "role", "loc"),
    [
        ("GET", "/v1/audit/access-log?after={v}", (UserRole.auditor, None), ["query", "after"]),
        ("POST", "/v1/admin/users/{v}/disable", (UserRole.admin, None), ["path", "user_id"]),
        ("POST", "/v1/admin/users/{v}/reset-password", (UserRole.admin, None), ["path", "user_id"]),
        ("GET", "/v1/imports/{v}", (UserRole.school, "Almaly"), ["path", "import_id"]),
    ],
)
def test_numbers_beyond_64_bits_in_paths_and_queries_are_422(
    service: Service,
    method: str,
    path: str,
    role: tuple[UserRole, str | None],
    loc: list[str],
    value: int,
) -> None:
    response = service.client.request(method, path.format(v=value), headers=service.headers(*role))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


def test_the_largest_64_bit_id_is_valid_input(service: Service) -> None:
    """The bound is the column's, not lower: 2^31-1 is looked up (and not found), on
    PostgreSQL (32-bit INTEGER ids) as on SQLite."""
    admin = service.headers(UserRole.admin)
    response = service.client.post(f"/v1/admin/users/{BIG - 1}/disable", headers=admin)
    assert response.status_code == 404, response.text
    auditor = service.headers(UserRole.auditor)
    response = service.client.get(f"/v1/audit/access-log?after={BIG - 1}", headers=auditor)
    assert response.status_code == 200, response.text
    assert response.json()["entries"] == []


@pytest.mark.parametrize("supersedes_id", [BIG, BEYOND_64, HUGE, 0])
def test_supersedes_id_beyond_the_column_is_422(service: Service, supersedes_id: int) -> None:
    body = {"measures": ["psychologist"], "supersedes_id": supersedes_id}
    response = service.client.post(
        f"/v1/families/{_family(service)}/decisions", json=body, headers=service.headers(*COUNCIL)
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "supersedes_id"]
    with service.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": str(HUGE)},  # the example of issue 15
        {"sub": str(BIG)},
        {"sub": str(BEYOND_64)},
        {"sub": "0"},
        {"sub": "-1"},
        {"exp": HUGE},
    ],
    ids=["sub-1e30", "sub-2^31", "sub-2^63", "sub-0", "sub-negative", "exp-1e30"],
)
def test_a_signed_token_with_an_absurd_number_is_401(
    service: Service, claims: dict[str, Any]
) -> None:
    admin = service.user(UserRole.admin)
    payload = {
        "sub": str(admin.id),
        "name": admin.username,
        "role": "admin",
        "ver": 0,
        "iat": int(dt.datetime.now(dt.UTC).timestamp()),
        "exp": int(dt.datetime.now(dt.UTC).timestamp()) + 600,
        **claims,
    }
    token = jwt.encode(payload, TOKEN_KEY, algorithm="HS256")
    response = service.client.get("/v1/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text


# ---- finding 8: bodies the contract does not allow --------------------------------------------

_SURVEY = {k: v for k, v in SCHOOL_SURVEY_EXAMPLE.items() if k != "subject_iin"}
_ORDER = {"event_date": "2025-03-12", "kind": "protective_order", "forms": ["physical"]}

Case = tuple[str, UserRole, dict[str, Any], list[str | int]]


def _survey(field: str, value: Any) -> Case:
    """A school survey whose `field` is `value`: refused, naming the field."""
    return ("school-surveys", UserRole.school, {**_SURVEY, field: value}, ["body", field])


def _order(valid_until: str) -> Case:
    """A protective order valid until `valid_until`: refused by the body's own check."""
    return ("police-signals", UserRole.police, {**_ORDER, "valid_until": valid_until}, ["body"])


REFUSED: dict[str, Case] = {
    "iin-born-2099": _survey("subject_iin", _iin_born(dt.date(2099, 3, 1))),
    "event-in-year-1": _survey("event_date", "0001-01-01"),
    "event-in-1899": _survey("event_date", "1899-12-31"),
    "int-as-string": _survey("feels_safe", "3"),
    "int-as-true": _survey("days_absent", True),
    "bool-as-1": _survey("seen_violence", 1),
    "bool-as-string": _survey("seen_violence", "yes"),
    "valid-until-before-event": _order("2025-03-11"),
    "valid-until-9999": _order("9999-12-31"),
    "valid-until-after-5-years": _order("2030-03-14"),
}


def _records(service: Service) -> tuple[int, int]:
    with service.state.sessions() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (SchoolSurveyRow, PoliceSignalRow)
        )


@pytest.mark.parametrize("case", list(REFUSED))
def test_bodies_outside_the_contract_are_refused_naming_the_field(
    sqlite_service: Service, case: str
) -> None:
    kind, role, body, loc = REFUSED[case]
    body = {"subject_iin": STRAY_IIN, **body}
    before = _records(sqlite_service)
    response = sqlite_service.client.post(
        f"/v1/records/{kind}", json=body, headers=sqlite_service.headers(role, "Almaly")
    )
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [loc]
    if loc == ["body"]:
        assert errors[0]["msg"].startswith("Value error, valid_until: expected")
    assert body["subject_iin"] not in response.text
    assert _records(sqlite_service) == before  # nothing stored


@pytest.mark.parametrize(
    ("kind", "role", "body"),
    [
        ("school-surveys", UserRole.school, {**_SURVEY, "event_date": "1900-01-01"}),
        ("police-signals", UserRole.police, {**_ORDER, "valid_until": "2025-03-12"}),
        ("police-signals", UserRole.police, {**_ORDER, "valid_until": "2030-03-12"}),
    ],
    ids=["event-on-1900-01-01", "valid-until-the-event-day", "valid-until-5-years-later"],
)
def test_the_bounds_themselves_are_accepted(
    sqlite_service: Service, kind: str, role: UserRole, body: dict[str, Any]
) -> None:
    response = sqlite_service.client.post(
        f"/v1/records/{kind}",
        json={"subject_iin": STRAY_IIN, **body},
        headers=sqlite_service.headers(role, "Almaly"),
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("capacity", [True, "0.1", None])
def test_capacity_must_be_a_number(sqlite_service: Service, capacity: Any) -> None:
    response = sqlite_service.client.put(
        "/v1/admin/districts/Almaly/capacity",
        json={"capacity": capacity},
        headers=sqlite_service.headers(UserRole.admin),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "capacity"]


@pytest.mark.parametrize("new_value", ["3", True, 2.5])
def test_a_correction_is_as_strict_as_a_submission(sqlite_service: Service, new_value: Any) -> None:
    with sqlite_service.state.sessions() as session:
        row = session.scalars(
            select(SchoolSurveyRow).where(
                SchoolSurveyRow.family_id.in_(sqlite_service.seeded.families["Almaly"])
            )
        ).first()
        assert row is not None
        family_id, record_id = row.family_id, row.record_id
    body = {
        "record_type": "school_survey",
        "record_id": record_id,
        "field": "days_absent",
        "new_value": new_value,
        "reason": "The school confirmed a typing error.",
    }
    response = sqlite_service.client.post(
        f"/v1/families/{family_id}/corrections",
        json=body,
        headers=sqlite_service.headers(*COUNCIL),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "new_value"]
    with sqlite_service.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Correction)) == 0


# ---- finding 9: a 404 never repeats what was not found ----------------------------------------

NOT_FOUND: dict[str, tuple[str, str, tuple[UserRole, str | None], dict[str, Any] | None]] = {
    "family": ("GET", "/v1/families/{iin}", COUNCIL, None),
    "person-export": ("GET", "/v1/persons/{iin}/export", COUNCIL, None),
    "person-dispute": ("POST", "/v1/persons/{iin}/disputes", COUNCIL, {"statement": "x" * 20}),
    "family-explanation": ("GET", "/v1/families/{iin}/explanation", COUNCIL, None),
    "decision": ("POST", "/v1/families/{iin}/decisions", COUNCIL, {"measures": ["psychologist"]}),
    "district-lists": ("GET", "/v1/districts/{iin}/lists", (UserRole.auditor, None), None),
    "district-list": ("GET", "/v1/districts/{iin}/lists/2025-06", (UserRole.auditor, None), None),
    "lists-to-build": (
        "POST",
        "/v1/lists",
        (UserRole.admin, None),
        {"month": "2025-06", "districts": ["Almaly", "{iin}"]},
    ),
    "correction-record": (
        "POST",
        "/v1/families/{family}/corrections",
        COUNCIL,
        {
            "record_type": "school_survey",
            "record_id": "{iin}",
            "field": "days_absent",
            "new_value": 2,
            "reason": "The school confirmed a typing error.",
        },
    ),
}


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, **names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", list(NOT_FOUND))
def test_a_404_never_repeats_the_value(
    listed_service: Service, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    method, path, role, body = NOT_FOUND[case]
    names = {"iin": STRAY_IIN, "family": _family(listed_service)}
    with caplog.at_level(logging.DEBUG):
        response = listed_service.client.request(
            method,
            _fill(path, **names),
            json=_fill(body, **names),
            headers=listed_service.headers(*role),
        )
    assert response.status_code == 404, response.text
    assert STRAY_IIN not in response.text
    assert response.json()["detail"].split(":")[0] in (
        "family_id", "district", "districts", "month", "record_id", "person_id",
    )  # fmt: skip
    # The server's records; httpx's "HTTP Request: GET ..." line is the test client's own.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert STRAY_IIN not in logged


def test_uvicorn_access_log_shows_the_route_not_the_path(listed_service: Service) -> None:
    """The server's own log line of a request (uvicorn's access log) has the route template
    in place of the path and no query string."""
    log_filter = next(
        f for f in logging.getLogger(ACCESS_LOGGER).filters if isinstance(f, RouteTemplateFilter)
    )
    lines = {
        f"/v1/families/{STRAY_IIN}": '"GET /v1/families/{family_id} HTTP/1.1" 404',
        f"/v1/persons/{STRAY_IIN}/export?x={STRAY_IIN}": (
            '"GET /v1/persons/{person_id}/export?… HTTP/1.1" 404'
        ),
        f"/v1/no/such/{STRAY_IIN}": '"GET <no route> HTTP/1.1" 404',
        "/health": '"GET /health HTTP/1.1" 404',
    }
    for path, expected in lines.items():
        record = logging.LogRecord(
            ACCESS_LOGGER,
            logging.INFO,
            __file__,
            0,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 404),
            None,
        )
        assert log_filter.filter(record)
        message = record.getMessage()
        assert message == f"127.0.0.1:5000 - {expected}"
        assert STRAY_IIN not in message


def test_an_unexpected_field_is_refused_without_repeating_its_name(
    sqlite_service: Service,
) -> None:
    """A field name is input too: an IIN sent as a key is not echoed in `loc`."""
    response = sqlite_service.client.post(
        f"/v1/families/{_family(sqlite_service)}/decisions",
        json={"measures": ["psychologist"], STRAY_IIN: 1},
        headers=sqlite_service.headers(*COUNCIL),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {
            "loc": ["body", "(unexpected field)"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]
    assert STRAY_IIN not in response.text
