from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.months import (
    MONTH_PATTERN,
    first_of_month,
    format_month,
    monthly_dates,
    months_after,
    months_before,
    parse_month,
)

D = dt.date
DAYS = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
SHIFTS = st.integers(min_value=-600, max_value=600)


def test_months_after_clamps_to_month_end() -> None:
    assert months_after(D(2024, 8, 31), 6) == D(2025, 2, 28)
    assert months_after(D(2023, 11, 30), 3) == D(2024, 2, 29)


def test_months_before_clamps_and_crosses_years() -> None:
    assert months_before(D(2024, 3, 31), 1) == D(2024, 2, 29)
    assert months_before(D(2024, 1, 15), 1) == D(2023, 12, 15)
    assert months_before(D(2024, 1, 15), 25) == D(2021, 12, 15)
    assert months_before(D(2024, 5, 31), 0) == D(2024, 5, 31)
    assert months_before(D(2024, 5, 10), -2) == D(2024, 7, 10)


def test_months_out_of_the_calendar_raise() -> None:
    with pytest.raises(ValueError, match="year"):
        months_after(D(9999, 12, 1), 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-01", D(2024, 1, 1)), ("1999-12", D(1999, 12, 1)), ("2025-02", D(2025, 2, 1))],
)
def test_parse_month_gives_the_first_day(text: str, expected: dt.date) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-13",
        "2024-00",
        "2024-1",
        "24-01",
        "2024-01-01",
        "January",
        "",
        " 2024-01",
        "2024-01\n",
        "0000-01",
    ],
)
def test_parse_month_refuses_anything_but_yyyy_mm(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a month YYYY-MM, got") as info:
        parse_month(text)
    assert repr(text) in str(info.value)


def test_pattern_and_parser_agree() -> None:
    assert re.fullmatch(MONTH_PATTERN, "2024-07")
    assert not re.fullmatch(MONTH_PATTERN, "2024-7")
    assert not re.fullmatch(MONTH_PATTERN, "2024-13")


def test_first_of_month_and_format() -> None:
    assert first_of_month(D(2024, 2, 29)) == D(2024, 2, 1)
    assert format_month(D(2024, 2, 29)) == "2024-02"
    assert format_month(D(987, 3, 1)) == "0987-03"


def test_monthly_dates_are_first_days_inclusive() -> None:
    dates = monthly_dates(D(2023, 11, 15), D(2024, 2, 1))
    assert dates == [D(2023, 11, 1), D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1)]
    assert monthly_dates(D(2024, 3, 2), D(2024, 2, 28)) == []


@settings(max_examples=200, deadline=None)
@given(day=DAYS)
def test_format_then_parse_is_the_first_of_the_month(day: dt.date) -> None:
    text = format_month(day)
    assert re.fullmatch(MONTH_PATTERN, text)
    assert parse_month(text) == first_of_month(day)
    assert format_month(parse_month(text)) == text


@settings(max_examples=200, deadline=None)
@given(day=DAYS, n=SHIFTS)
def test_months_after_lands_n_calendar_months_later_clamped(day: dt.date, n: int) -> None:
    later = months_after(day, n)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == n
    first = first_of_month(day)
    days_in_target = (months_after(first, n + 1) - months_after(first, n)).days
    assert later.day == min(day.day, days_in_target)
    assert months_before(later, n) == day or day.day > later.day


@settings(max_examples=200, deadline=None)
@given(day=DAYS, a=SHIFTS, b=SHIFTS)
def test_first_days_add_up(day: dt.date, a: int, b: int) -> None:
    first = first_of_month(day)
    assert months_after(months_after(first, a), b) == months_after(first, a + b)
    assert months_before(months_after(first, a), a) == first
