"""Calendar months: the `YYYY-MM` text form and month arithmetic, in one place.

A month is carried as the `datetime.date` of its first day (lists, grids, simulated months) and
written as `YYYY-MM` (API paths and queries, the CLI's `--start`, snapshot keys). Adding months to
a day keeps the day of the month and clamps it to the last day of a shorter month (31 Aug + 6
months = 28 Feb), which is what a label horizon "six months after the as-of date" means.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Final

#: `YYYY-MM`, months 01-12: the one pattern the API schemas, routes and `parse_month` share.
MONTH_PATTERN: Final = r"^\d{4}-(0[1-9]|1[0-2])$"


def parse_month(text: str) -> dt.date:
    """The first day of the month `text` (`YYYY-MM`); `ValueError` saying what was expected."""
    if not isinstance(text, str) or re.fullmatch(MONTH_PATTERN, text) is None:
        raise ValueError(f"expected a month YYYY-MM, got {text!r}")
    year, month = text.split("-")
    try:
        return dt.date(int(year), int(month), 1)
    except ValueError:  # year 0000
        raise ValueError(f"expected a month YYYY-MM, got {text!r}") from None


def format_month(day: dt.date) -> str:
    """`YYYY-MM` of the month `day` falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def first_of_month(day: dt.date) -> dt.date:
    """The first day of the month `day` falls in."""
    return dt.date(day.year, day.month, 1)


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (earlier when negative), clamped to the last
    day of the target month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier, clamped to the last day of the month."""
    return months_after(day, -months)


def monthly_dates(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from `start`'s month to `end`'s month, inclusive."""
    first = first_of_month(start)
    dates = []
    while first <= end:
        dates.append(first)
        first = months_after(first, 1)
    return dates
