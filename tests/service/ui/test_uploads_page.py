"""`/ui/uploads`: a class or a term uploaded through the pages (issue 13).

Template in the reader's language, a preview that stores nothing, per-row problems in that
language, a corrected upload, a commit that stores exactly the previewed file; refusals (a file
of another kind, too large, a formula, no CSRF token, another user's or an expired preview) each
say why and store nothing. SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry, Family, ImportJob, SchoolSurveyRow
from service.ui import pages_uploads
from tests.service.conftest import Service
from tests.service.imports.files import SURVEY_COLUMNS, csv_bytes, persons_of, survey_rows
from tests.service.ui.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
HYPERLINK = '=HYPERLINK("http://evil.example","click")'


def _counts(service: Service) -> tuple[int, int, int]:
    """Stored surveys, import records and access-log entries."""
    with service.state.sessions() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (SchoolSurveyRow, ImportJob, AccessLogEntry)
        )


def _csrf(client: TestClient, path: str = "/ui/uploads") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _preview(
    client: TestClient,
    content: bytes,
    *,
    kind: str = "school_survey",
    filename: str = "class-5b.csv",
    lang: str = "en",
    csrf: str | None = "",
) -> tuple[int, str]:
    data = {"kind": kind}
    if csrf is not None:
        data["csrf_token"] = csrf or _csrf(client)
    response = client.post(
        f"/ui/uploads/preview?lang={lang}",
        data=data,
        files={"file": (filename, content, "application/octet-stream")},
    )
    return response.status_code, response.text


def _token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found is not None, "the preview offers no commit"
    return found.group(1)


def _commit(client: TestClient, token: str, *, lang: str = "en") -> tuple[int, str]:
    response = client.post(
        f"/ui/uploads/commit?lang={lang}", data={"token": token, "csrf_token": _csrf(client)}
    )
    return response.status_code, response.text


def _pending(service: Service) -> list[Path]:
    directory = service.state.settings.resolved_home / "ui-uploads"
    return sorted(directory.glob("*")) if directory.is_dir() else []


def test_template_preview_and_commit_store_exactly_the_file(service: Service) -> None:
    client = service.client
    sign_in(client, "school.almaly")
    page = client.get("/ui/uploads?lang=kk")
    assert page.status_code == 200
    assert "Файл жүктеу" in page.text
    assert 'href="/ui/uploads"' in page.text
    assert "Мектеп сауалнамалары" in page.text
    assert "Медициналық скринингтер" not in page.text  # only the school's own kinds

    # The template, in the page's language; filled in, it uploads as it is.
    template = client.get("/ui/uploads/templates/school_survey?lang=kk")
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(template.text.lstrip("\ufeff"))))
    assert header[0].endswith("(subject_iin)")
    assert "ЖСН" in header[0]
    assert client.get("/ui/uploads/templates/medical_screening").status_code == 404

    iins = persons_of(service, "Almaly")[:4]
    rows = survey_rows(iins)
    buffer = io.StringIO()  # the template's own header row, the example replaced by the class
    csv.writer(buffer).writerows([header, *([r[c] for c in SURVEY_COLUMNS] for r in rows)])
    content = buffer.getvalue().encode()
    before = _counts(service)
    status, preview = _preview(client, content, lang="kk")
    assert status == 200, preview
    assert "Қате табылмады" in preview
    assert re.search(r'id="rows-read">4<', preview)
    assert re.search(r'id="rows-new">4<', preview)
    assert _counts(service) == before  # a preview stores nothing, not even its import record
    assert not any(iin in preview for iin in iins)
    assert len(_pending(service)) == 2  # the file and what binds it to the user

    status, stored = _commit(client, _token(preview), lang="kk")
    assert status == 200, stored
    assert "Сақталған жолдар: 4." in stored
    surveys, imports, log = _counts(service)
    assert (surveys, imports) == (before[0] + 4, before[1] + 1)
    assert log == before[2] + 1  # the upload is in the access log
    assert _pending(service) == []  # the kept file is gone once stored
    # The same preview cannot be stored twice.
    status, again = _commit(client, _token(preview))
    assert status == 410
    assert "expired or was already stored" in again
    assert _counts(service)[0] == before[0] + 4


def test_row_problems_in_the_readers_language_then_the_corrected_file(service: Service) -> None:
    client = service.client
    sign_in(client, "school.almaly")
    iins = persons_of(service, "Almaly")[:3]
    rows = survey_rows(iins)
    rows[0]["feels_safe"] = 7
    rows[1]["event_date"] = "14.03.2025"
    rows[2]["subject_iin"] = iins[2][:-1] + str((int(iins[2][-1]) + 1) % 10)  # a typing error
    before = _counts(service)
    status, page = _preview(client, csv_bytes(rows), lang="ru")
    assert status == 422
    assert "Найдено ошибок: 3. Ничего не сохранено." in page
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "2 Чувствует себя дома в безопасности" in text
    assert "значение не больше 5 7" in text
    assert "3 Дата события (ГГГГ-ММ-ДД) (event_date) дата в виде ГГГГ-ММ-ДД 14.03.2025" in text
    assert "ИИН с верной контрольной цифрой (возможно, опечатка) текст из 12 символов" in text
    assert not any(iin in page for iin in iins)
    assert rows[2]["subject_iin"] not in page
    assert 'name="token"' not in page  # nothing to store
    assert "Файл CSV в кодировке UTF-8" in page  # the form to upload again, in Russian too
    assert _counts(service) == before
    assert _pending(service) == []

    # Corrected and uploaded again: the preview is clean, the commit stores it.
    status, page = _preview(client, csv_bytes(survey_rows(iins)), lang="ru")
    assert status == 200, page
    status, stored = _commit(client, _token(page), lang="ru")
    assert status == 200
    assert "Сохранено строк: 3." in stored
    assert _counts(service)[0] == before[0] + 3


REFUSALS = {  # case: (status, what the page says)
    "pdf": (415, "The file must be a CSV file (.csv) or an Excel workbook (.xlsx)"),
    "too large": (413, "The file is larger than 1 MB"),
    "not text": (422, "The file is not saved as UTF-8 text"),
    "not a workbook": (422, "The file is not a readable Excel workbook"),
    "no header": (422, "Columns missing from the header row: subject_iin"),
    "empty": (422, "The file is empty"),
    "another kind": (422, "Choose what the file holds from the list."),
    "no csrf": (403, "The form did not come from this site"),
}


def test_refusals_say_why_and_store_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_uploads, "PAGE_LIMIT_BYTES", 1024 * 1024)
    client = service.client
    sign_in(client, "school.almaly")
    good = csv_bytes(survey_rows(persons_of(service, "Almaly")[:2]))
    uploads: dict[str, dict[str, Any]] = {
        "pdf": {"content": b"%PDF-1.7 ...", "filename": "class.pdf"},
        "too large": {"content": good + b"\n" * (1024 * 1024)},
        "not text": {"content": bytes(range(256)) * 4},
        "not a workbook": {"content": b"PK\x03\x04 not really", "filename": "class.xlsx"},
        "no header": {"content": good.split(b"\n", 1)[1]},
        "empty": {"content": b""},
        "another kind": {"content": good, "kind": "medical_screening"},
        "no csrf": {"content": good, "csrf": None},
    }
    before = _counts(service)
    for case, upload in uploads.items():
        status, message = REFUSALS[case]
        code, page = _preview(client, **upload)
        assert (case, code, message in page) == (case, status, True), page
        assert 'name="token"' not in page
        assert _counts(service) == before
        assert _pending(service) == []


def test_a_formula_is_refused_as_a_value_and_stored_as_text_where_text_belongs(
    service: Service,
) -> None:
    client = service.client
    sign_in(client, "school.almaly")
    rows = survey_rows(persons_of(service, "Almaly")[:1])
    rows[0]["feels_safe"] = HYPERLINK.replace(",", ";")  # one cell of the CSV
    status, page = _preview(client, csv_bytes(rows))
    assert status == 422
    assert "a whole number" in page
    assert "HYPERLINK" not in page  # shown by its shape only, never echoed

    # The admin's register upload: a formula in a text column is stored as the text it is.
    sign_in(client, "admin.all")
    columns = ("family_id", "region", "district", "urban", "n_children", "ethnicity",
               "language", "income_group", "disability_in_household", "single_parent")  # fmt: skip
    family = {"family_id": "F-FORMULA", "region": "Almaty", "district": "Almaly",
              "urban": "yes", "n_children": 1, "ethnicity": HYPERLINK, "language": "kk",
              "income_group": "middle", "disability_in_household": "no",
              "single_parent": "no"}  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerows([columns, [family[c] for c in columns]])
    status, page = _preview(client, buffer.getvalue().encode(), kind="families")
    assert status == 200, page
    status, stored = _commit(client, _token(page))
    assert status == 200
    assert "Rows stored: 1." in stored
    with service.state.sessions() as session:
        assert session.scalar(
            select(Family.ethnicity).where(Family.family_id == "F-FORMULA")
        ) == HYPERLINK  # fmt: skip


def test_the_admin_uploads_historical_records(service: Service) -> None:
    client = service.client
    sign_in(client, "admin.all")
    page = client.get("/ui/uploads?lang=en").text
    assert "School surveys (historical, with the date the agency learned of each)" in page
    template = client.get("/ui/uploads/templates/school_survey").text
    assert "(knowledge_date)" in template
    rows = survey_rows(persons_of(service, "Almaly")[:2], day="2024-02-01")
    for row in rows:
        row["knowledge_date"] = "2024-02-05"
    status, page = _preview(client, csv_bytes(rows, (*SURVEY_COLUMNS, "knowledge_date")))
    assert status == 200, page
    status, stored = _commit(client, _token(page))
    assert status == 200
    assert "Rows stored: 2." in stored
    with service.state.sessions() as session:
        found = session.scalars(
            select(SchoolSurveyRow.knowledge_date).where(SchoolSurveyRow.historical)
        ).all()
    assert sorted(found) == [dt.date(2024, 2, 5)] * 2


def test_a_preview_is_its_uploaders_and_expires(service: Service) -> None:
    client = service.client
    sign_in(client, "school.almaly")
    content = csv_bytes(survey_rows(persons_of(service, "Almaly")[:2]))
    _, page = _preview(client, content)
    token = _token(page)
    sign_in(client, "school.bostandyk")  # another school cannot store it
    assert _commit(client, token)[0] == 410
    sign_in(client, "school.almaly")
    store = pages_uploads.previews(service.state)
    later = dt.datetime.now(dt.UTC) + store.ttl + dt.timedelta(seconds=1)
    owner = service.user(UserRole.school, "Almaly").id
    assert store.load(token, user_id=owner) is not None
    assert store.load(token, user_id=owner, now=later) is None  # expired
    assert store.sweep(now=later) == 1
    assert _pending(service) == []
    # Bytes changed on disk after the preview: not stored.
    _, page = _preview(client, content)
    token = _token(page)
    data = next(p for p in _pending(service) if p.suffix == ".upload")
    data.write_bytes(data.read_bytes() + b"\n")
    before = _counts(service)
    assert _commit(client, token)[0] == 410
    assert _counts(service) == before


PRODUCT = ("features", "model", "fairness", "service", "experiments")


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of `function`'s body, without those of the functions defined inside it."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return out


WRITERS = frozenset({"writer", "DictWriter", "write_csv", "to_csv", "csv_response"})


def _last_name(node: ast.AST) -> str | None:
    """The last name of a call's function or of an attribute (`csv.writer` -> `writer`)."""
    if not isinstance(node, ast.Call):
        is_frame_write = isinstance(node, ast.Attribute) and node.attr in ("write_csv", "to_csv")
        return node.attr if is_frame_write else None  # type: ignore[attr-defined]
    target = node.func
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return None


class _Function:
    """What the check needs of one function: its returns, its assignments, its calls."""

    def __init__(self, where: str, node: ast.FunctionDef) -> None:
        self.where, self.name = where, node.name
        nodes = _own_nodes(node)
        self.returns = [n.value for n in nodes if isinstance(n, ast.Return) and n.value]
        self.assigned: dict[str, list[ast.expr]] = {}
        for n in nodes:
            if isinstance(n, ast.Assign):
                for target in n.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(n.value)
        #: Calls and attributes that may write CSV (others are never unparsed: it is slow).
        self.writes = [n for n in nodes if _last_name(n) in WRITERS]

    def made_safe(self, value: ast.expr, makers: set[str]) -> bool:
        """`value` is a CSV document made by a safe maker, directly or through a local name."""
        if isinstance(value, ast.Call):
            return ast.unparse(value.func).rsplit(".", 1)[-1] in makers
        if isinstance(value, ast.Name) and value.id in self.assigned:
            return all(self.made_safe(v, makers) for v in self.assigned[value.id])
        return False


def _safe_makers(functions: list[_Function]) -> set[str]:
    """`csv_text` and every function whose returns all come from a safe maker (a fixpoint:
    `template_csv` returns `csv_text(...)`, a page returns `template_csv(...)`)."""
    makers = {"csv_text"}
    while True:
        more = {
            f.name
            for f in functions
            if f.name not in makers and f.returns and all(f.made_safe(v, makers) for v in f.returns)
        }
        if not more:
            return makers
        makers |= more


def test_every_csv_the_product_writes_is_neutralised() -> None:
    """Each place that writes CSV goes through `features.csv_safe` (`csv_text`, or
    `neutralise_frame` before polars' `write_csv`), so a formula stored as text (above) reaches
    a spreadsheet as text. Checked on the source, so a new writer cannot skip it."""
    functions: list[_Function] = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text())
            functions += [
                _Function(where, f) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
            ]
    makers = _safe_makers(functions)
    writes: dict[str, list[tuple[str, bool]]] = {}
    for function in functions:
        for node in function.writes:
            if isinstance(node, ast.Attribute):  # polars' write_csv, called or passed on
                call = ast.unparse(node)
                safe = ast.unparse(node.value).startswith("neutralise_frame(")
            elif (call := ast.unparse(node.func)) in ("csv.writer", "csv.DictWriter"):  # type: ignore[attr-defined]
                safe = (function.where, function.name) == ("features/csv_safe.py", "csv_text")
            elif call.endswith("csv_response"):
                safe = bool(node.args) and function.made_safe(node.args[0], makers)  # type: ignore[attr-defined]
            else:
                continue
            writes.setdefault(function.where, []).append((f"{function.name}: {call}", safe))
    unsafe = {where: [w for w, safe in found if not safe] for where, found in writes.items()}
    assert {where: bad for where, bad in unsafe.items() if bad} == {}
    # The writers found: the council's list, the templates (API and page), the scores command.
    assert set(writes) >= {
        "features/csv_safe.py", "service/ui/pages_council.py", "service/imports/routes.py",
        "service/ui/pages_uploads.py", "experiments/cli/model.py",
    }  # fmt: skip
    assert "template_csv" in makers


def test_the_csv_check_catches_a_writer_that_skips_the_neutraliser() -> None:
    source = """
def raw_export(rows):
    text = ",".join(rows)
    return csv_response(text, "x.csv")

def frame_export(frame, out):
    frame.write_csv(out)

def safe_export(header, rows):
    document = csv_text(header, rows)
    return csv_response(document, "y.csv")
"""
    functions = [
        _Function("x.py", f) for f in ast.walk(ast.parse(source)) if isinstance(f, ast.FunctionDef)
    ]
    makers = _safe_makers(functions)
    verdicts = {}
    for function in functions:
        for node in function.writes:
            if isinstance(node, ast.Attribute):
                verdicts[function.name] = ast.unparse(node.value).startswith("neutralise_frame(")
            elif isinstance(node, ast.Call) and node.args:
                verdicts[function.name] = function.made_safe(node.args[0], makers)
    assert verdicts == {"raw_export": False, "frame_export": False, "safe_export": True}
