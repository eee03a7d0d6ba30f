"""Files the intake tests upload: school survey CSVs from the seeded registry, hand-made XLSX
workbooks (with a formula, empty, a ZIP bomb) and NDJSON."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

from tests.service.conftest import Service

SURVEY_COLUMNS = (
    "subject_iin", "event_date", "feels_safe", "afraid_of_adult", "seen_violence",
    "hurt_by_adult", "hunger_neglect", "wants_counsellor", "unexplained_injury",
    "behaviour_change", "days_absent",
)  # fmt: skip


def persons_of(service: Service, district: str) -> list[str]:
    """The IINs of the seeded persons of `district`, in a stable order."""
    families = set(service.seeded.families[district])
    return [
        service.seeded.iins[pid]
        for pid in sorted(service.seeded.iins)
        if service.seeded.family_of[pid] in families
    ]


def survey_rows(iins: Sequence[str], *, day: str = "2025-05-02") -> list[dict[str, Any]]:
    return [
        {
            "subject_iin": iin,
            "event_date": day,
            "feels_safe": 1 + i % 5,
            "afraid_of_adult": "yes" if i % 3 == 0 else "no",
            "seen_violence": "no",
            "hurt_by_adult": "false",
            "hunger_neglect": "0",
            "wants_counsellor": "true",
            "unexplained_injury": "no",
            "behaviour_change": "no",
            "days_absent": i % 7,
        }
        for i, iin in enumerate(iins)
    ]


def csv_bytes(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str] = SURVEY_COLUMNS,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(str(row.get(c, "")) for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def _cell(ref: str, value: Any) -> str:
    if isinstance(value, tuple):  # (formula, cached value)
        formula, cached = value
        return f'<c r="{ref}"><f>{formula}</f><v>{cached}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def xlsx_bytes(table: Sequence[Sequence[Any]], *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook of one sheet (cells inline; a tuple is a formula and its stored
    value)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    rows = "".join(
        f'<row r="{r}">'
        + "".join(_cell(f"{letters[c]}{r}", v) for c, v in enumerate(cells))
        + "</row>"
        for r, cells in enumerate(table, start=1)
    )
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="applicatio'
            'n/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" Content'
            'Type="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="applic'
            'ation/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override P'
            'artName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-o'
            'fficedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
            'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schem'
            'as.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl'
            '/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
            f'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/works'
            'heet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{rows}'
            "</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ndjson_bytes(rows: Sequence[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def upload(
    service: Service,
    role: Any,
    district: str | None,
    *,
    kind: str,
    content: bytes,
    filename: str = "upload.csv",
    historical: bool = False,
) -> Any:
    return service.client.post(
        "/v1/imports",
        data={"kind": kind, "historical": str(historical).lower()},
        files={"file": (filename, content, "application/octet-stream")},
        headers=service.headers(role, district),
    )
