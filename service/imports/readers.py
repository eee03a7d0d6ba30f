"""Reading an uploaded file row by row: CSV, XLSX, NDJSON and Parquet.

Rows are streamed (memory does not grow with the file, except for XLSX, whose sheet the
reader holds). File-level problems raise `ImportFileError` with a message that says what to do:
an unknown format, a file that is not UTF-8 (a Windows-1251 file, which Excel in Kazakhstan
often writes, is recognised and read; anything else is refused with how to save it as UTF-8),
missing or unexpected columns, a header without rows, an empty sheet, and an XLSX whose
uncompressed content is larger than the limit (a ZIP bomb) or is not a workbook at all.

XLSX cells are read as the values Excel stored: formulas are never evaluated.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Final

from service.errors import ServiceError
from service.imports.kinds import Columns

if TYPE_CHECKING:
    import polars as pl

#: The largest uncompressed XLSX (all parts together) the reader opens.
MAX_XLSX_UNCOMPRESSED: Final = 200 * 1024 * 1024
_SNIFF_BYTES: Final = 64 * 1024
_CHUNK: Final = 1024 * 1024
#: Encodings read besides UTF-8 (charset-normalizer's names).
_READABLE: Final = {"cp1251": "Windows-1251"}
SAVE_AS_UTF8: Final = (
    "save it as UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'; "
    "in LibreOffice, tick 'Edit filter settings' and choose 'Unicode (UTF-8)'"
)
FORMATS: Final = ("csv", "xlsx", "ndjson", "parquet")
_NAME_IN_BRACKETS = re.compile(r"\(([a-z_0-9]+)\)\s*$")


class ImportFileError(ServiceError):
    """The file as a whole cannot be read (422); nothing was stored."""

    status_code = 422


class ImportTooLargeError(ServiceError):
    """The file is larger than the upload limit (413)."""

    status_code = 413


@dataclass
class RowSource:
    """The rows of one file: `rows` yields (row number, {column: value}); row 1 is the header."""

    file_format: str
    header: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def file_format(filename: str | None, head: bytes) -> str:
    """The format of a file from its name, else from its first bytes."""
    name = (filename or "").lower()
    for fmt, suffixes in (
        ("csv", (".csv", ".txt")),
        ("xlsx", (".xlsx", ".xlsm")),
        ("ndjson", (".ndjson", ".jsonl")),
        ("parquet", (".parquet",)),
    ):
        if name.endswith(suffixes):
            return fmt
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip().startswith(b"{"):
        return "ndjson"
    if name and "." in name:
        raise ImportFileError(
            f"file: expected a .csv, .xlsx or .ndjson file, got a .{name.rsplit('.', 1)[1]} file"
        )
    return "csv"


def header_name(cell: object) -> str:
    """A header cell as a column name: `feels_safe`, or a template's translated label that
    ends with the name in brackets ("Feels safe at home, 1-5 (feels_safe)")."""
    text = str(cell if cell is not None else "").strip().lstrip("\ufeff")
    match = _NAME_IN_BRACKETS.search(text.lower())
    return match.group(1) if match else text.lower()


_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


def _names_only(cells: Iterable[str]) -> str:
    """The cells that look like column names; the others only counted. A file without its
    header row has a row of data in its place, and that may hold an IIN or a name."""
    cells = list(cells)
    names = [c for c in cells if _COLUMN_NAME.fullmatch(c)][:10]
    others = len(cells) - len(names)
    return ", ".join([*names, *([f"{others} cells that are not column names"] if others else [])])


def check_header(header: list[str], columns: Columns) -> None:
    """Raise `ImportFileError` for missing, unexpected or repeated columns."""
    problems = []
    missing = [c for c in columns.required if c not in header]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    extra = [c for c in header if c not in columns.allowed]
    if extra:
        problems.append(f"unexpected columns: {_names_only(extra)}")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        raise ImportFileError(
            f"header: {'; '.join(problems)} (expected the columns "
            f"{', '.join(columns.required)}"
            + (f", optionally {', '.join(columns.optional)}" if columns.optional else "")
            + "; download the template of this kind)"
        )


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    guess = best.encoding if best is not None else None
    if guess in _READABLE:
        return guess
    looks = f" (it looks like {guess})" if guess else ""
    raise ImportFileError(f"file: expected UTF-8 text, got another encoding{looks}; {SAVE_AS_UTF8}")


def _delimiter(line: str) -> str:
    # Excel with a Russian or Kazakh locale separates with ";".
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(stream: IO[bytes], columns: Columns) -> RowSource:
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if not head.strip():
        raise ImportFileError("file: expected a header row and data rows, got an empty file")
    encoding = _detect_encoding(head)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        raise ImportFileError(f"file: the header is not valid text; {SAVE_AS_UTF8}") from None
    reader = csv.reader(io.StringIO(first), delimiter=_delimiter(first))
    header = [header_name(c) for c in next(reader, [])]
    check_header(header, columns)
    delimiter = _delimiter(first)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        body = csv.reader(text, delimiter=delimiter)
        number = 1
        while True:
            try:
                cells = next(body)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"row {number + 1}: expected {encoding} text, got bytes that are not; "
                    f"{SAVE_AS_UTF8}"
                ) from None
            except csv.Error as exc:
                raise ImportFileError(f"row {number + 1}: not readable as CSV ({exc})") from None
            number += 1
            if not any(c.strip() for c in cells):
                continue  # a blank line
            yield number, _cells(number, header, cells)

    readable = "Windows-1251" if encoding == "cp1251" else "UTF-8"
    notes = [f"read as {readable}"] if encoding == "cp1251" else []
    return RowSource("csv", header, rows(), encoding=readable, notes=notes)


def _cells(number: int, header: list[str], cells: list[Any]) -> dict[str, Any]:
    if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
        raise ImportFileError(
            f"row {number}: expected {len(header)} cells (one per column of the header), "
            f"got {len(cells)}"
        )
    return {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)}


def guard_xlsx(stream: IO[bytes], *, limit: int | None = None) -> None:
    """Refuse a file that is not an XLSX workbook or whose parts uncompress to more than
    `limit` bytes. The sizes are measured by decompressing (a ZIP's own size fields can lie),
    in chunks, stopping at the limit."""
    limit = limit or MAX_XLSX_UNCOMPRESSED
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError("file: expected an XLSX workbook, got a file that is not") from None
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise ImportFileError("file: expected an XLSX workbook, got another ZIP archive")
        declared = sum(i.file_size for i in archive.infolist())
        if declared > limit:
            raise ImportFileError(_bomb(limit))
        total = 0
        try:
            for info in archive.infolist():
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise ImportFileError(_bomb(limit))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
            raise ImportFileError("file: the XLSX workbook is damaged; save it again") from None
    stream.seek(0)


def _bomb(limit: int) -> str:
    return (
        f"file: expected an XLSX workbook of at most {limit // (1024 * 1024)} MB uncompressed, "
        "got more; split it into smaller files"
    )


def read_xlsx(stream: IO[bytes], columns: Columns) -> RowSource:
    from python_calamine import CalamineError, CalamineWorkbook

    guard_xlsx(stream)
    try:
        book = CalamineWorkbook.from_filelike(stream)
        sheet = book.get_sheet_by_index(0)
        table = sheet.to_python(skip_empty_area=True)
    except (CalamineError, ValueError, OSError) as exc:
        raise ImportFileError(
            f"file: the XLSX workbook cannot be read ({type(exc).__name__})"
        ) from None
    table = [row for row in table if any(c not in ("", None) for c in row)]
    if not table:
        raise ImportFileError(
            f"sheet {sheet.name!r}: expected a header row and data rows, got an empty sheet "
            "(the first sheet of the workbook is read)"
        )
    header = [header_name(c) for c in table[0]]
    while header and header[-1] == "":
        header.pop()
    check_header(header, columns)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for index, cells in enumerate(table[1:], start=2):
            yield index, _cells(index, header, [None if c == "" else c for c in cells])

    return RowSource("xlsx", header, rows())


def read_ndjson(stream: IO[bytes], columns: Columns) -> RowSource:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict")
    allowed = set(columns.allowed)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        try:
            for line in text:
                number += 1
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    raise ImportFileError(
                        f"line {number}: expected one JSON object per line, got text that is "
                        "not JSON"
                    ) from None
                if not isinstance(value, dict):
                    raise ImportFileError(
                        f"line {number}: expected a JSON object, got {type(value).__name__}"
                    )
                extra = [k for k in value if k not in allowed]
                if extra:
                    raise ImportFileError(
                        f"line {number}: unexpected keys: {_names_only(map(str, extra))} "
                        f"(expected only {', '.join(columns.allowed)})"
                    )
                if isinstance(value.get("forms"), list):
                    value["forms"] = ",".join(str(f) for f in value["forms"])
                yield number, value
        except UnicodeDecodeError:
            raise ImportFileError(
                f"line {number + 1}: expected UTF-8 text; {SAVE_AS_UTF8}"
            ) from None

    return RowSource("ndjson", list(columns.allowed), rows(), encoding="UTF-8")


def read_parquet(stream: IO[bytes], columns: Columns) -> RowSource:
    import polars as pl

    try:
        frame = pl.read_parquet(stream)
    except Exception as exc:  # polars raises many kinds for a damaged file
        raise ImportFileError(
            f"file: the Parquet file cannot be read ({type(exc).__name__})"
        ) from None
    header = list(frame.columns)
    check_header(header, columns)

    return RowSource("parquet", header, frame_rows(frame))


def frame_rows(frame: pl.DataFrame) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a data frame, numbered as in a file with a header (from 2), read in slices;
    a list of forms becomes the text formats' comma-joined value."""
    number = 1
    for start in range(0, frame.height, 10_000):
        for row in frame.slice(start, 10_000).iter_rows(named=True):
            number += 1
            if isinstance(row.get("forms"), list):
                row["forms"] = ",".join(row["forms"])
            yield number, row


def open_rows(stream: IO[bytes], *, filename: str | None, columns: Columns) -> RowSource:
    """The rows of an uploaded file, after the file-level checks."""
    head = stream.read(8)
    stream.seek(0)
    fmt = file_format(filename, head)
    reader = {
        "csv": read_csv,
        "xlsx": read_xlsx,
        "ndjson": read_ndjson,
        "parquet": read_parquet,
    }[fmt]
    return reader(stream, columns)
