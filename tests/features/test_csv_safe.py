"""Every text cell that a spreadsheet would run as a formula comes out as plain text."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.csv_safe import BOM, FORMULA_STARTS, csv_text, neutralise


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_formula_starts_are_prefixed(start: str) -> None:
    assert neutralise(f'{start}HYPERLINK("http://x")') == f'\'{start}HYPERLINK("http://x")'


@pytest.mark.parametrize("cell", ["Айгүл", "a=b", "", "0.5", -0.5, 3, None])
def test_other_cells_are_unchanged(cell: str | float | None) -> None:
    assert neutralise(cell) == cell


@given(st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=4), max_size=5))
def test_no_cell_read_back_starts_a_formula(rows: list[list[str]]) -> None:
    text = csv_text(["name"], rows)
    assert text.startswith(BOM)
    read = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert read[0] == ["name"]
    for written, original in zip(read[1:], rows, strict=True):
        assert [
            c.removeprefix("'") if o.startswith(FORMULA_STARTS) else c
            for c, o in zip(written, original, strict=True)
        ] == original
        assert not any(c.startswith(FORMULA_STARTS) for c in written)
