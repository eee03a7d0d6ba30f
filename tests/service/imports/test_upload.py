"""`POST /v1/imports`: what is stored, what is refused, and that a refusal stores nothing.

Every bad input of issue 16 gets a clear per-file or per-row error, never shows an IIN or a
name, and leaves the database as it was; a re-upload stores nothing twice. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.imports import readers
from service.storage.tables import AccessLogEntry, ImportJob, SchoolSurveyRow
from tests.service.conftest import Service
from tests.service.imports.files import (
    SURVEY_COLUMNS,
    csv_bytes,
    ndjson_bytes,
    persons_of,
    survey_rows,
    upload,
    xlsx_bytes,
)

R = UserRole


def _count(service: Service) -> int:
    with service.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SchoolSurveyRow)) or 0)


def test_upload_stores_rows_once(service: Service) -> None:
    iins = persons_of(service, "Almaly")[:6]
    before = _count(service)
    first = upload(service, R.school, "Almaly", kind="school_survey",
                   content=csv_bytes(survey_rows(iins[:4])))  # fmt: skip
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["rows"], body["stored"], body["already_stored"]) == (
        "done", 4, 4, 0,
    )  # fmt: skip
    assert _count(service) == before + 4
    again = upload(service, R.school, "Almaly", kind="school_survey",
                   content=csv_bytes(survey_rows(iins[:4])))  # fmt: skip
    assert (again.json()["stored"], again.json()["already_stored"]) == (0, 4)
    # The same rows inside another file (with a new one, as NDJSON) are not stored again.
    mixed = upload(service, R.school, "Almaly", kind="school_survey",
                   content=ndjson_bytes(survey_rows(iins[:5])), filename="more.ndjson")  # fmt: skip
    assert mixed.status_code == 201, mixed.text
    assert (mixed.json()["stored"], mixed.json()["already_stored"]) == (1, 4)
    assert _count(service) == before + 5
    with service.state.sessions() as session:
        rows = session.scalars(
            select(SchoolSurveyRow).where(SchoolSurveyRow.import_id.is_not(None))
        )
        stored = list(rows)
        # Live: known from the moment the service stored it (the server's clock).
        assert {r.knowledge_date for r in stored} == {dt.datetime.now(dt.UTC).date()}
        assert not any(r.historical for r in stored)
        assert all(r.family_id is not None for r in stored)
        actions = session.scalars(
            select(AccessLogEntry.action).where(AccessLogEntry.action.like("import:%"))
        ).all()
    assert actions[0] == "import:school_survey:4rows:4new"
    assert len(actions) == 3
    assert not any(iin in first.text + again.text + mixed.text for iin in iins)


def test_a_windows_1251_file_is_read(service: Service) -> None:
    iins = persons_of(service, "Almaly")[:2]
    template = service.client.get(
        "/v1/imports/templates/school_survey?lang=ru", headers=service.headers(R.school, "Almaly")
    )
    header = template.text.lstrip("\ufeff").splitlines()[0]
    assert "Чувствует себя дома в безопасности" in header
    rows = survey_rows(iins)
    text = header + "\n" + "\n".join(",".join(str(r[c]) for c in SURVEY_COLUMNS) for r in rows)
    text = text.replace("yes", "да").replace(",no,", ",нет,")
    response = upload(service, R.school, "Almaly", kind="school_survey",
                      content=text.encode("cp1251"))  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["encoding"] == "Windows-1251"
    assert response.json()["stored"] == 2


def test_xlsx_values_are_read_and_formulas_never_evaluated(service: Service) -> None:
    iins = persons_of(service, "Almaly")[:2]
    rows = survey_rows(iins)
    table: list[list[Any]] = [list(SURVEY_COLUMNS)]
    for row in rows:
        table.append([row[c] for c in SURVEY_COLUMNS])
    table[1][2] = ("1+1", 4)  # the stored value (4) is read, the formula (2) never run
    response = upload(service, R.school, "Almaly", kind="school_survey",
                      content=xlsx_bytes(table), filename="surveys.xlsx")  # fmt: skip
    assert response.status_code == 201, response.text
    with service.state.sessions() as session:
        values = session.scalars(
            select(SchoolSurveyRow.feels_safe).where(SchoolSurveyRow.import_id.is_not(None))
        ).all()
    assert sorted(values) == sorted([4, rows[1]["feels_safe"]])


def _zip_bomb() -> bytes:
    buffer = io.BytesIO(xlsx_bytes([list(SURVEY_COLUMNS)]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (3 * 1024 * 1024))
    return buffer.getvalue()


def _bad(service: Service) -> dict[str, tuple[dict[str, Any], int, str]]:
    """Case -> (upload arguments, status, a fragment the answer must contain)."""
    own = persons_of(service, "Almaly")
    other = persons_of(service, "Bostandyk")
    rows = survey_rows(own[:3])
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    missing = [c for c in SURVEY_COLUMNS if c != "feels_safe"]
    return {
        "unknown kind": ({"kind": "surveys", "content": csv_bytes(rows)}, 422, "expected one of"),
        "another role's kind": (
            {"kind": "police_signal", "content": csv_bytes(rows)}, 403, "may upload only",
        ),
        "missing column": (
            {"kind": "school_survey", "content": csv_bytes(rows, missing)}, 422,
            "missing columns: feels_safe",
        ),
        "extra column": (
            {"kind": "school_survey", "content": csv_bytes(rows, [*SURVEY_COLUMNS, "notes"])},
            422, "unexpected columns: notes",
        ),
        "knowledge date on a live upload": (
            {"kind": "school_survey",
             "content": csv_bytes(rows, [*SURVEY_COLUMNS, "knowledge_date"])},
            422, "unexpected columns: knowledge_date",
        ),
        "wrong encoding": (
            {"kind": "school_survey", "content": csv_bytes(rows, encoding="utf-16")},
            422, "CSV UTF-8",
        ),
        "header only": (
            {"kind": "school_survey", "content": csv_bytes([])}, 422, "got none",
        ),
        "empty file": ({"kind": "school_survey", "content": b""}, 422, "empty file"),
        "duplicate rows": (
            {"kind": "school_survey", "content": csv_bytes([*rows, rows[0]])}, 422,
            "a repeat of row 2",
        ),
        "another district": (
            {"kind": "school_survey", "content": csv_bytes(survey_rows([own[0], other[0]]))},
            422, "a person of another district",
        ),
        "another institution": (
            {"kind": "school_survey",
             "content": csv_bytes([{**r, "institution_id": "school-elsewhere"} for r in rows],
                                  [*SURVEY_COLUMNS, "institution_id"])},
            422, "your institution",
        ),
        "future date": (
            {"kind": "school_survey", "content": csv_bytes(survey_rows(own[:2], day=future))},
            422, "a date not after today",
        ),
        "value out of range": (
            {"kind": "school_survey", "content": csv_bytes([{**rows[0], "feels_safe": 9}])},
            422, "less than or equal to 5",
        ),
        "invalid IIN": (
            {"kind": "school_survey",
             "content": csv_bytes([{**rows[0], "subject_iin": own[0][:11] + "0"}])},
            422, "text of 12 characters",
        ),
        "empty XLSX sheet": (
            {"kind": "school_survey", "content": xlsx_bytes([]), "filename": "s.xlsx"},
            422, "empty sheet",
        ),
        "not a workbook": (
            {"kind": "school_survey", "content": b"PK\x03\x04 broken", "filename": "s.xlsx"},
            422, "expected an XLSX workbook",
        ),
        "ZIP bomb as XLSX": (
            {"kind": "school_survey", "content": _zip_bomb(), "filename": "s.xlsx"},
            422, "at most 1 MB uncompressed",
        ),
    }  # fmt: skip


BAD_CASES = [
    "unknown kind", "another role's kind", "missing column", "extra column",
    "knowledge date on a live upload", "wrong encoding", "header only", "empty file",
    "duplicate rows", "another district", "another institution", "future date",
    "value out of range", "invalid IIN", "empty XLSX sheet", "not a workbook",
    "ZIP bomb as XLSX",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_refused_and_nothing_stored(
    sqlite_service: Service, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    service = sqlite_service
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 1024 * 1024)
    arguments, status, fragment = _bad(service)[case]
    before = _count(service)
    response = upload(service, R.school, "Almaly", **arguments)
    assert response.status_code == status, response.text
    assert fragment in response.text
    assert _count(service) == before
    with service.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0
    for iin in service.seeded.iins.values():
        assert iin not in response.text
    if status == 422 and "errors" in response.json():  # a per-row report
        errors = response.json()["errors"]
        assert errors
        assert all({"row", "column", "expected", "got"} <= set(e) for e in errors)
        assert all(e["row"] >= 2 for e in errors)


@pytest.mark.parametrize("case", ["duplicate rows", "another district", "ZIP bomb as XLSX"])
def test_bad_input_on_each_backend(
    service: Service, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 1024 * 1024)
    arguments, status, fragment = _bad(service)[case]
    before = _count(service)
    response = upload(service, R.school, "Almaly", **arguments)
    assert (response.status_code, fragment in response.text) == (status, True), response.text
    assert _count(service) == before


def test_one_bad_row_stores_nothing_and_the_report_names_it(service: Service) -> None:
    rows = survey_rows(persons_of(service, "Almaly")[:5])
    rows[3] = {**rows[3], "days_absent": 40}
    before = _count(service)
    response = upload(service, R.school, "Almaly", kind="school_survey", content=csv_bytes(rows))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 5, "column": "days_absent", "expected": "Input should be less than or equal "
         "to 31", "got": "40"},
    ]  # fmt: skip
    assert _count(service) == before


def test_too_large_is_413_naming_the_limit(
    sqlite_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_service.state.settings, "max_upload_bytes", 1024 * 1024)
    rows = survey_rows(persons_of(sqlite_service, "Almaly")) * 400
    content = csv_bytes(rows)
    assert len(content) > 1024 * 1024
    response = upload(sqlite_service, R.school, "Almaly", kind="school_survey", content=content)
    assert response.status_code == 413
    assert "at most 1 MB" in response.json()["detail"]
    assert list((sqlite_service.state.settings.resolved_home / "imports").iterdir()) == []


@pytest.mark.parametrize(
    ("role", "kind", "historical", "status"),
    [
        (R.school, "school_survey", False, 201),
        (R.clinic, "hospital_injury", False, 201),
        (R.guardianship, "guardianship_care", False, 201),
        (R.clinic, "school_survey", False, 403),
        (R.police, "guardianship_care", False, 403),
        (R.school, "school_survey", True, 403),
        (R.school, "families", False, 403),
        (R.council, "school_survey", False, 403),
        (R.auditor, "school_survey", False, 403),
        (R.admin, "school_survey", False, 403),
    ],
)
def test_roles_upload_only_their_kinds(
    sqlite_service: Service, role: UserRole, kind: str, historical: bool, status: int
) -> None:
    template: Callable[[str], Any] = lambda k: sqlite_service.client.get(  # noqa: E731
        f"/v1/imports/templates/{k}", headers=sqlite_service.headers(R.admin)
    )
    content = template(kind).content
    district = None if role in (R.admin, R.auditor) else "Almaly"
    response = upload(sqlite_service, role, district, kind=kind, content=content,
                      historical=historical)  # fmt: skip
    assert response.status_code == status, response.text


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("kind", ["school_survey", "police_signal", "hospital_injury"])
def test_templates_upload_as_they_are(sqlite_service: Service, lang: str, kind: str) -> None:
    role = {"school_survey": R.school, "police_signal": R.police}.get(kind, R.clinic)
    headers = sqlite_service.headers(role, "Almaly")
    response = sqlite_service.client.get(f"/v1/imports/templates/{kind}?lang={lang}",
                                         headers=headers)  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.lstrip("\ufeff").splitlines()
    assert len(lines) == 2
    assert "(subject_iin)" in lines[0]
    assert "(event_date)" in lines[0]
    stored = upload(sqlite_service, role, "Almaly", kind=kind, content=response.content)
    assert stored.status_code == 201, stored.text
    assert stored.json()["stored"] == 1


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        # A CSV saved without its header row: the first row of data stands in its place.
        ("upload.csv", "Айгүл Нұрланқызы,850315401231,2025-05-02\n".encode()),
        ("upload.ndjson", b'{"850315401231": "x", "record_id": "r1"}\n'),
    ],
)
def test_a_file_without_its_header_never_echoes_an_iin_or_a_name(
    sqlite_service: Service, filename: str, content: bytes
) -> None:
    before = _count(sqlite_service)
    response = upload(
        sqlite_service, R.school, "Almaly", kind="school_survey", content=content,
        filename=filename,
    )  # fmt: skip
    assert response.status_code == 422
    assert "850315401231" not in response.text
    assert "айгүл" not in response.text.lower()
    assert "not column names" in response.text
    assert _count(sqlite_service) == before
