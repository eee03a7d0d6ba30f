"""The bulk intake's reports in the reader's language.

The intake (`service.imports`) reports in English for API clients: per row the column, what was
expected and what came (`RowError`), per file one sentence (`ImportFileError`). A clerk reads the
upload page in Kazakh, Russian or English, so each known sentence is matched here and rendered
from the pages' catalogue, with its numbers, dates and codes kept; the column is shown with the
template's label in the same language (`service.imports.templates.LABELS`). A sentence not
matched is shown as it came (English), marked as such.

Nothing here can leak an IIN or a name: the intake's reports never hold one
(`service.imports.validate.shown`), and only their parts are reused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from features import i18n as core
from features.i18n import N_, Catalog
from service.imports import templates
from service.imports.validate import RowError
from service.ui import i18n

Match = Callable[[re.Match[str]], dict[str, str]]


def _none(_: re.Match[str]) -> dict[str, str]:
    return {}


def _groups(*names: str) -> Match:
    return lambda m: dict(zip(names, m.groups(), strict=True))


def _choices(m: re.Match[str]) -> dict[str, str]:
    return {"values": ", ".join(re.findall(r"'([^']*)'", m.group(1)))}


#: What a row's column should have held: (pattern of the intake's English, msgid, fields).
EXPECTED: Final[tuple[tuple[re.Pattern[str], str, Match], ...]] = tuple(
    (re.compile(p), m, f)
    for p, m, f in (
        (r"^a value \(the column is required\)$", N_("a value (the column is required)"), _none),
        (
            r"^a value \(change (\w+) needs it\)$",
            N_("a value (the change %(change)s needs it)"),
            _groups("change"),
        ),
        (
            r"^String should have at least (\d+) characters?$",
            N_("at least %(n)s characters"),
            _groups("n"),
        ),
        (
            r"^String should have at most (\d+) characters?$",
            N_("at most %(n)s characters"),
            _groups("n"),
        ),
        (r"^String should match pattern .*$", N_("12 digits"), _none),
        (r"^Input should be a valid date.*$", N_("a date written as YYYY-MM-DD"), _none),
        (
            r"^Input should be less than or equal to (.+)$",
            N_("a value of at most %(limit)s"),
            _groups("limit"),
        ),
        (
            r"^Input should be greater than or equal to (.+)$",
            N_("a value of at least %(limit)s"),
            _groups("limit"),
        ),
        (r"^Input should be less than (.+)$", N_("a value below %(limit)s"), _groups("limit")),
        (r"^Input should be greater than (.+)$", N_("a value above %(limit)s"), _groups("limit")),
        (r"^Input should be a valid boolean.*$", N_("yes or no"), _none),
        (r"^Input should be a valid integer.*$", N_("a whole number"), _none),
        (r"^Input should be a valid number.*$", N_("a number"), _none),
        (r"^Input should be a valid string.*$", N_("text"), _none),
        (r"^Input should be ((?:'[^']*'(?:, | or )?)+)$", N_("one of: %(values)s"), _choices),
        (
            r"^Extra inputs are not permitted$",
            N_("no such column (download the template of this kind)"),
            _none,
        ),
        (r"^a date not after today$", N_("a date not after today"), _none),
        (r"^a date on or after event_date$", N_("a date on or after the date of the event"), _none),
        (r"^iin: expected exactly 12 digits$", N_("an IIN of exactly 12 digits"), _none),
        (
            r"^iin: the 7th digit .*$",
            N_("an IIN whose 7th digit (century and sex) is 1 to 6"),
            _none,
        ),
        (
            r"^iin: the first six digits are not a valid birth date$",
            N_("an IIN whose first six digits are a birth date"),
            _none,
        ),
        (
            r"^iin: the birth date .*lies in the future$",
            N_("an IIN whose birth date is not in the future"),
            _none,
        ),
        (
            r"^iin: the check digit does not match$",
            N_("an IIN whose check digit matches (a typing error?)"),
            _none,
        ),
        (
            r"^valid_until: expected a date on or after event_date.*$",
            N_("a validity date on or after the date of the event"),
            _none,
        ),
        (
            r"^valid_until: expected a date at most 5 years after event_date.*$",
            N_("a validity date at most 5 years after the date of the event"),
            _none,
        ),
        (
            r"^your institution \((.+)\)$",
            N_("a record of your institution (%(institution)s)"),
            _groups("institution"),
        ),
        (
            r"^a person of your district \((.+)\)$",
            N_("a person of your district (%(district)s)"),
            _groups("district"),
        ),
        (r"^a row not repeated within the file$", N_("a row not repeated within the file"), _none),
        (r"^a family of the register$", N_("a family of the register"), _none),
        (r"^a person of the register$", N_("a person of the register"), _none),
        (
            r"^an IIN not (?:given to|held by) another person.*$",
            N_("an IIN no other person of the register holds"),
            _none,
        ),
    )
)

#: What came instead (the intake shows values only when they cannot be an IIN or a name).
GOT: Final[tuple[tuple[re.Pattern[str], str, Match], ...]] = tuple(
    (re.compile(p), m, f)
    for p, m, f in (
        (r"^nothing$", N_("nothing"), _none),
        (r"^text of (\d+) characters$", N_("text of %(n)s characters"), _groups("n")),
        (r"^a number of (\d+) digits$", N_("a number of %(n)s digits"), _groups("n")),
        (r"^a later date$", N_("a later date"), _none),
        (r"^an earlier( date)?$", N_("an earlier date"), lambda m: {}),
        (r"^another$", N_("another institution's"), _none),
        (r"^a person of another district$", N_("a person of another district"), _none),
        (r"^an unknown id$", N_("a number the register does not hold"), _none),
        (r"^a repeat of an earlier row$", N_("a repeat of a row stored earlier"), _none),
        (r"^a repeat of row (\d+)$", N_("a repeat of row %(row)s"), _groups("row")),
        (r"^a repeat$", N_("a repeat"), _none),
        (r"^the IIN of another person$", N_("the IIN of another person"), _none),
    )
)

#: One sentence about the whole file.
FILE: Final[tuple[tuple[re.Pattern[str], str, Match], ...]] = tuple(
    (re.compile(p, re.S), m, f)
    for p, m, f in (
        (
            r"^file: expected UTF-8 text.*$|^file: the header is not valid text.*$",
            N_(
                "The file is not saved as UTF-8 text. In Excel choose File, Save As, "
                '"CSV UTF-8 (Comma delimited)"; in LibreOffice tick "Edit filter settings" '
                'and choose "Unicode (UTF-8)".'
            ),
            _none,
        ),
        (
            r"^row (\d+): expected \S+ text, got bytes that are not.*$",
            N_("Row %(row)s is not readable text: save the file as UTF-8 and upload it again."),
            _groups("row"),
        ),
        (
            r"^row (\d+): not readable as CSV.*$",
            N_("Row %(row)s cannot be read as CSV (a quotation mark not closed?)."),
            _groups("row"),
        ),
        (
            r"^row (\d+): expected (\d+) cells .*, got (\d+)$",
            N_("Row %(row)s has %(got)s cells, but the header has %(expected)s columns."),
            _groups("row", "expected", "got"),
        ),
        (
            r"^file: expected a header row and data rows, got an empty file$",
            N_("The file is empty: it needs the header row of the template and your rows."),
            _none,
        ),
        (
            r"^file: expected data rows below the header, got none$",
            N_("The file has the header row but no rows below it."),
            _none,
        ),
        (
            r"^sheet .*: expected a header row and data rows, got an empty sheet.*$",
            N_(
                "The first sheet of the workbook is empty: put the header row and your rows on "
                "the first sheet."
            ),
            _none,
        ),
        (
            r"^file: expected an XLSX workbook, got .*$|^file: the XLSX workbook .*$",
            N_(
                "The file is not a readable Excel workbook (XLSX): open it in Excel and save it "
                'again as "Excel Workbook (*.xlsx)", or save it as CSV UTF-8.'
            ),
            _none,
        ),
        (
            r"^file: expected an XLSX workbook of at most (\d+) MB uncompressed.*$",
            N_(
                "The workbook holds more than %(mb)s MB of data once unpacked: split it into "
                "smaller files."
            ),
            _groups("mb"),
        ),
        (
            r"^file: expected at most (\d+) MB, got more.*$",
            N_("The file is larger than %(mb)s MB: split it into smaller files."),
            _groups("mb"),
        ),
    )
)

_HEADER_PARTS: Final = {
    "missing columns": N_("Columns missing from the header row: %(columns)s."),
    "unexpected columns": N_("Columns the template does not have: %(columns)s."),
    "repeated columns": N_("Columns named twice: %(columns)s."),
}
_HEADER_ADVICE: Final = N_(
    "Download the template of this kind: its first row names the columns the file needs."
)
_CELLS_NOT_NAMES: Final = re.compile(r"(\d+) cells that are not column names")
_NOT_NAMES: Final = N_("%(n)s cells that are not column names")


@dataclass(frozen=True)
class Text:
    """A message for the page; `lang` is "en" when it could only be shown as the intake said it
    (the page marks it so a screen reader reads it in English)."""

    text: str
    lang: str | None = None


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: Text
    expected: Text
    got: Text


def _render(
    table: tuple[tuple[re.Pattern[str], str, Match], ...], text: str, catalog: Catalog
) -> Text | None:
    for pattern, msgid, fields in table:
        found = pattern.match(text)
        if found is not None:
            values = fields(found)
            message = catalog.gettext(msgid)
            return Text(message % values if values else message)
    return None


def column_label(column: str | None, catalog: Catalog, labels: Catalog) -> Text:
    """A column as the template names it in the page's language: "Label (name)"."""
    if column is None:
        return Text(catalog.gettext(N_("the whole row")))
    label = templates.LABELS.get(column)
    if label is None:
        return Text(column)
    return Text(f"{labels.gettext(label)} ({column})")


def _labels(lang: str) -> Catalog:
    return core.catalog(templates.LOCALES_DIR, templates.DOMAIN, i18n.as_lang(lang))


def row_problems(errors: list[RowError], lang: str) -> list[RowProblem]:
    """The intake's row errors in `lang`."""
    catalog, labels = i18n.catalog(lang), _labels(lang)
    out = []
    for error in errors:
        expected = _render(EXPECTED, error.expected, catalog) or Text(error.expected, "en")
        got_text = error.got or "nothing"
        got = _render(GOT, got_text, catalog) or Text(got_text)
        out.append(
            RowProblem(error.row, column_label(error.column, catalog, labels), expected, got)
        )
    return out


def file_problem(detail: str, lang: str) -> list[Text]:
    """A file-level refusal (`ImportFileError`, `ImportTooLargeError`) in `lang`: one or more
    sentences."""
    catalog = i18n.catalog(lang)
    if detail.startswith("header: "):
        return _header_problem(detail.removeprefix("header: "), catalog)
    found = _render(FILE, detail, catalog)
    if found is not None:
        return [found]
    return [Text(catalog.gettext(N_("The file cannot be read:"))), Text(detail, "en")]


def _header_problem(detail: str, catalog: Catalog) -> list[Text]:
    problems = detail.split(" (expected the columns", 1)[0]
    out = []
    for part in problems.split("; "):
        name, _, columns = part.partition(": ")
        msgid = _HEADER_PARTS.get(name)
        if msgid is None:
            continue
        columns = _CELLS_NOT_NAMES.sub(
            lambda m: catalog.gettext(_NOT_NAMES) % {"n": m.group(1)}, columns
        )
        out.append(Text(catalog.gettext(msgid) % {"columns": columns}))
    out.append(Text(catalog.gettext(_HEADER_ADVICE)))
    return out
