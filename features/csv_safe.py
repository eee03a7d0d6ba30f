"""CSV that a spreadsheet program opens without running anything (OWASP CSV injection).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel and LibreOffice (`=HYPERLINK(...)` in a name, say). Every CSV the product writes goes
through `csv_text` (or, for a polars frame, `neutralise_frame` before `write_csv`), which
prefixes such cells with an apostrophe: the spreadsheet shows the text as typed and evaluates
nothing. Numbers are written as numbers (a negative number stays
`-0.5`); only text is neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Final

import polars as pl

#: What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

#: Excel reads UTF-8 (Cyrillic) correctly only after a byte-order mark.
BOM: Final = "\ufeff"

Cell = str | int | float | None


def neutralise(cell: Cell) -> Cell:
    """`cell` with an apostrophe before a leading formula character; non-text unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, bom: bool = True) -> str:
    """The whole CSV document, every text cell neutralised, with a BOM by default."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return (BOM if bom else "") + buffer.getvalue()


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell neutralised as `neutralise` does, ready for `write_csv`.

    Text columns (String, Categorical, Enum) become String with the apostrophe where needed;
    numbers, dates and booleans are left as they are."""
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    ]
    return frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in text
    )
