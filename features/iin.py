"""Kazakh individual identification numbers (IIN): generation for the simulator, validation.

Layout of the 12 digits: ``YYMMDD`` birth date, one digit for century and sex (3/4 = born in the
1900s, male/female; 5/6 = 2000s; 1/2 = 1800s), a 4-digit serial, and a check digit. The check
digit is the weighted sum of the first 11 digits with weights 1..11, mod 11; if that is 10, the
weights 3..11,1,2 are used instead; if it is 10 again the number is never issued.

Error messages never contain the IIN itself: it identifies a person (guardrail 6).
"""

from __future__ import annotations

import datetime as dt
from operator import mul
from typing import Final

import numpy as np
import numpy.typing as npt

_W1: Final = np.arange(1, 12, dtype=np.int64)
_W2: Final = np.array([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], dtype=np.int64)
_CENTURY_BASE: Final = {18: 1, 19: 3, 20: 5}  # + 1 for female


_W1_TUPLE: Final = tuple(int(w) for w in _W1)
_W2_TUPLE: Final = tuple(int(w) for w in _W2)


def check_digit(digits: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Check digits of 11-digit prefixes (shape ``(..., 11)``); 10 marks an unusable number."""
    d = np.asarray(digits, dtype=np.int64)
    first = (d @ _W1) % 11
    second = (d @ _W2) % 11
    return np.where(first == 10, second, first)


def _century_digit(year: int, male: bool) -> int:
    century = year // 100
    if century not in _CENTURY_BASE:
        raise ValueError(f"birth_date: expected a year from 1800 to 2099, got {year}")
    return _CENTURY_BASE[century] + (0 if male else 1)


def make_iin(birth_date: dt.date, *, male: bool, serial: int) -> str | None:
    """The IIN for a birth date, sex and serial (0-9999), or None when its check digit is 10."""
    if not 0 <= serial <= 9999:
        raise ValueError(f"serial: expected an integer from 0 to 9999, got {serial}")
    prefix = (
        f"{birth_date.year % 100:02d}{birth_date.month:02d}{birth_date.day:02d}"
        f"{_century_digit(birth_date.year, male)}{serial:04d}"
    )
    check = int(check_digit([int(c) for c in prefix]))
    return None if check == 10 else prefix + str(check)


def make_iins(
    birth_year: npt.NDArray[np.integer],
    birth_month: npt.NDArray[np.integer],
    birth_day: npt.NDArray[np.integer],
    male: npt.NDArray[np.bool_],
    serial: npt.NDArray[np.integer],
) -> npt.NDArray[np.int64]:
    """Vectorised IINs as 12-digit integers (format with zero padding to 12 characters).

    Serials whose check digit would be 10 are moved to the next serial (mod 10000) until the
    number is valid, so every returned number is issuable. Years must lie in 1800-2099.
    """
    year = np.asarray(birth_year, dtype=np.int64)
    if year.size and (year.min() < 1800 or year.max() > 2099):
        raise ValueError("birth_year: expected years from 1800 to 2099")
    century = np.select([year < 1900, year < 2000], [1, 3], 5) + np.where(male, 0, 1)
    date_part = (year % 100) * 10_000 + np.asarray(birth_month, np.int64) * 100 + birth_day
    ser = np.asarray(serial, dtype=np.int64) % 10_000
    for _ in range(20):
        prefix = (date_part * 10 + century) * 10_000 + ser
        digits = (prefix[:, None] // 10 ** np.arange(10, -1, -1, dtype=np.int64)) % 10
        check = check_digit(digits)
        bad = check == 10
        if not bad.any():
            out: npt.NDArray[np.int64] = prefix * 10 + check
            return out
        ser = np.where(bad, (ser + 1) % 10_000, ser)
    raise RuntimeError("could not find valid IIN serials")  # pragma: no cover - 1/11 per try


def validate_iin(value: str, *, today: dt.date | None = None) -> dt.date:
    """The birth date encoded in a valid IIN; ``ValueError`` (without the IIN) otherwise.

    A birth date after `today` (default: the current UTC date) is refused: nobody holds an IIN
    before being born, so such a number is a typing error (or a made-up one)."""
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ValueError("iin: expected exactly 12 digits")
    digits = [c - 48 for c in value.encode("ascii")]  # ASCII digits checked above
    if digits[6] not in (1, 2, 3, 4, 5, 6):
        raise ValueError("iin: the 7th digit (century and sex) must be 1-6")
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[digits[6]]
    year = century + int(value[0:2])
    try:
        born = dt.date(year, int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise ValueError("iin: the first six digits are not a valid birth date") from None
    if born > (today or dt.datetime.now(dt.UTC).date()):
        raise ValueError("iin: the birth date (first six digits) lies in the future")
    # Pure Python for one number: numpy's per-call overhead dominated bulk uploads.
    first = sum(map(mul, digits[:11], _W1_TUPLE)) % 11
    check = first if first != 10 else sum(map(mul, digits[:11], _W2_TUPLE)) % 11
    if check == 10 or check != digits[11]:
        raise ValueError("iin: the check digit does not match")
    return born


def iin_is_male(value: str) -> bool:
    """Sex encoded in a (validated) IIN: odd century digit means male."""
    return int(value[6]) % 2 == 1
